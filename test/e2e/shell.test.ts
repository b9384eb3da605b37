import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchHarness, type LaunchedHarness } from '../../scripts/harness/launch';
import { launchChromium } from '../support/chromium';

const SHOTS = join(process.cwd(), 'test-results', 'screenshots');

describe('app shell in Chromium through the browser harness', () => {
  let harness: LaunchedHarness;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), 'hcp-e2e-shell-'));
    harness = await launchHarness({ configFile: null, dataDir, build: false });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens every route, with the training banner and the signed-out frame', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(harness.url);
    await expect.poll(() => page.getByTestId('training-banner').isVisible()).toBe(true);
    expect(await page.getByTestId('training-banner').textContent()).toContain('TRAINING — synthetic data');
    expect(await page.getByTestId('clinician').textContent()).toContain('No clinician signed in');
    for (const route of ['scan', 'patient', 'additions', 'audit', 'diagnostics', 'settings']) {
      await page.getByTestId(`nav-${route}`).click();
      await page.getByTestId(`view-${route}`).waitFor();
      expect(page.url()).toContain(`#/${route}`);
      await page.screenshot({ path: join(SHOTS, `shell-${route}.png`) });
    }
    expect(errors).toEqual([]);
  });

  it('refuses the page and the API without the per-run token', async () => {
    expect((await fetch(harness.origin + '/')).status).toBe(403);
    const api = await fetch(harness.origin + '/ipc/app.info', {
      method: 'POST',
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(api.status).toBe(403);
    const events = await fetch(harness.origin + '/events?token=wrong');
    expect(events.status).toBe(403);
  });

  it('answers a malformed request with a typed error through the same dispatcher', async () => {
    const res = await fetch(harness.origin + '/ipc/app.info', {
      method: 'POST',
      body: JSON.stringify({ unexpected: 1 }),
      headers: { 'Content-Type': 'application/json', 'X-HCP-Token': harness.token },
    });
    const body = (await res.json()) as { ok: boolean; error?: { code: string } };
    expect(body.ok).toBe(false);
    expect(body.error?.code).toBe('IPC_INVALID_REQUEST');
  });
});
