import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../scripts/training/index';
import { syntheticLargePng } from '../../scripts/simulator/assets';
import { openByScan, SAMPLES_DIR, screenshot, signIn, startUiApp, type UiApp } from './support/ui';

/**
 * A 70 MB image (over the old 64 MB whole-bytes limit) from the real RGW, into the encrypted cache,
 * then streamed to the viewer by the attachment route (the harness's /hcp-attachment/, the same
 * main/viewer code as the app's hcp-attachment: scheme): the page shows it, the bytes it is served
 * are the original's, a Range request gets 206, and after lock or close the route refuses.
 */
const MB = 1024 * 1024;

describe('streamed attachment viewer (harness, real Chromium, real RGW)', () => {
  let dir: string;
  let env: TrainingEnvironment;
  let app: UiApp;
  let page: Page;
  const original = syntheticLargePng(70 * MB);
  const side = original.readUInt32BE(16);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-viewer-'));
    env = await startTrainingEnvironment({
      dir,
      samples: [join(SAMPLES_DIR, 'IPS_IG-bundle-01.json')],
      attachmentsMb: [],
      largeImagesMb: [70],
    });
    app = await startUiApp({ configFile: env.configFile });
    page = await app.open();
  }, 900_000);

  afterAll(async () => {
    await app?.close();
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const fetchInPage = (url: string, range?: string) =>
    page.evaluate(
      async ({ url, range }) => {
        const res = await fetch(url, range ? { headers: { Range: range } } : {});
        const body = new Uint8Array(await res.arrayBuffer());
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
        return {
          status: res.status,
          contentRange: res.headers.get('content-range'),
          length: body.length,
          sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
          head: [...body.subarray(0, 64)],
        };
      },
      { url, range },
    );

  it('shows the 70 MB image streamed from the encrypted cache; the served bytes are the original', async () => {
    const patient = env.patients[0]!;
    const object = patient.objects.find((o) => o.contentType === 'image/png' && o.size > 64 * MB)!;
    expect(object.size).toBe(original.length);
    await signIn(page, env.pki.clinician, env.pki.passphrase);
    await openByScan(page, patient.qrText, { rescans: 2 });
    const row = page.getByTestId(`attachment-${object.id}`);
    await row.getByTestId('attachment-view').click();
    const img = row.getByTestId('attachment-image');
    await img.waitFor({ timeout: 300_000 });
    // Decoded by Chromium: the whole stream arrived and is a valid PNG of the original's size.
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    await expect
      .poll(
        () =>
          img.evaluate((el) => {
            const image = el as unknown as { complete: boolean; naturalWidth: number };
            return image.complete ? image.naturalWidth : 0;
          }),
        { timeout: 300_000 },
      )
      .toBe(side);
    h.disable();
    console.log(
      `[viewer] ${original.length} B PNG shown; main-process event loop max delay while it streamed ${(h.max / 1e6).toFixed(0)} ms`,
    );
    const src = await img.getAttribute('src');
    expect(src).toMatch(/^\/hcp-attachment\//);
    await screenshot(page, 'viewer-large-image', false);

    const whole = await fetchInPage(src!);
    expect(whole.status).toBe(200);
    expect(whole.length).toBe(original.length);
    expect(whole.sha256).toBe(createHash('sha256').update(original).digest('hex'));

    const from = 5 * 65_536 - 10;
    const part = await fetchInPage(src!, `bytes=${from}-${from + 63}`);
    expect(part.status).toBe(206);
    expect(part.contentRange).toBe(`bytes ${from}-${from + 63}/${original.length}`);
    expect(Buffer.from(part.head).equals(original.subarray(from, from + 64))).toBe(true);
  }, 600_000);

  it('after lock the route refuses; after unlock it serves; after close it refuses again', async () => {
    const img = page.getByTestId('attachment-image');
    const src = (await img.getAttribute('src'))!;
    await page.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor();
    expect(await page.getByTestId('attachment-image').count()).toBe(0);
    expect((await fetchInPage(src, 'bytes=0-7')).status).toBe(403);

    await page.getByTestId('unlock-passphrase').fill(env.pki.passphrase);
    await page.getByTestId('unlock').click();
    await page.getByTestId('lock-now').waitFor();
    const again = await fetchInPage(src, 'bytes=0-7');
    expect(again.status).toBe(206);
    expect(Buffer.from(again.head).equals(original.subarray(0, 8))).toBe(true);

    await page.getByTestId('close-record').click();
    await page.getByTestId('view-scan').waitFor();
    expect((await fetchInPage(src, 'bytes=0-7')).status).toBe(403);
    // Without the harness token the route is closed whatever the session.
    expect((await fetchInPage(src.replace(/\?token=.*$/, ''))).status).toBe(403);
  }, 300_000);
});
