import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../scripts/training/index';
import { createShlViaAdmin } from '../../scripts/sandbox/index';
import { navigate, scanWithWedge, screenshot, signIn, startUiApp, SAMPLES_DIR, type UiApp } from './support/ui';

/**
 * A SMART Health Link patient opened in Chromium, nothing answered in the page: the training
 * environment (sandbox with its SHL server, training PKI, patients with an SHL each), the real
 * workstation behind the browser harness. Scan -> preview (server, label) -> break the glass ->
 * passcode (wrong: the attempts left; right: the summary) -> provenance "SMART Health Link".
 */
const SAMPLES = ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json', 'DE_no_info_with_Advance_Directive.json'].map(
  (f) => join(SAMPLES_DIR, f),
);

describe('SMART Health Link in the browser', () => {
  let dir: string;
  let env: TrainingEnvironment;
  let app: UiApp;
  let page: Page;
  const errorCode = (p: Page) => p.getByTestId('error-message').first().getAttribute('data-code');
  const link = (kind: 'plain' | 'passcode' | 'card') => env.shls.find((l) => l.kind === kind)!;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-shl-'));
    env = await startTrainingEnvironment({ dir, samples: SAMPLES, attachmentsMb: [] });
    app = await startUiApp({ configFile: env.configFile });
    page = await app.open();
    await signIn(page, env.pki.clinician, env.pki.passphrase);
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the training sheet lists the links, one kind per patient', () => {
    expect(env.shls.map((l) => l.kind)).toEqual(['plain', 'passcode', 'card']);
    const sheet = readFileSync(env.sheetFile, 'utf8');
    expect(sheet).toContain('## SMART Health Links (HL7)');
    expect(sheet).toContain('`4321`');
  });

  it('a passcode link scanned at scanner speed: wrong passcode shows the attempts left, the right one opens the summary', async () => {
    const l = link('passcode');
    await navigate(page, 'scan');
    // As at the bedside (and in openByScan): a burst slowed by a busy machine reads as typing; scan again.
    const recent = page.getByTestId('recent-scans').locator('li');
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await recent.count();
      await scanWithWedge(page, l.shlink);
      const read = await expect
        .poll(() => recent.count(), { timeout: 15_000 })
        .toBeGreaterThan(before)
        .then(
          () => true,
          () => false,
        );
      // A burst cut short by the load reads as a partial (garbled) scan: that one is scanned again too.
      if (read && (await recent.first().getAttribute('class')) === 'recent-ok') break;
    }
    const preview = page.getByTestId('scan-preview');
    await preview.waitFor({ timeout: 30_000 });
    const host = new URL(env.sandbox.shl!.url).host;
    expect(await preview.getByTestId('preview-shl').innerText()).toContain(host);
    expect(await preview.getByTestId('preview-shl').innerText()).toContain(l.label);
    await preview.getByTestId('preview-shl-passcode').waitFor();

    await page.getByTestId('open-record').click();
    await page.getByTestId('reason-unconscious-patient').check();
    await page.getByTestId('confirm-open').click();
    const dialog = page.getByTestId('shl-passcode');
    await dialog.getByTestId('shl-passcode-input').waitFor();
    expect(await dialog.getByTestId('shl-passcode-from').innerText()).toContain(host);

    await dialog.getByTestId('shl-passcode-input').fill('0000');
    await dialog.getByTestId('shl-passcode-submit').click();
    await dialog.getByTestId('shl-remaining').waitFor({ timeout: 30_000 });
    expect(await dialog.getByTestId('error-message').getAttribute('data-code')).toBe('SHL_PASSCODE_WRONG');
    expect(await dialog.getByTestId('shl-remaining').innerText()).toContain('4');
    await screenshot(page, 'shl-passcode-wrong-en');

    await dialog.getByTestId('shl-passcode-input').fill(l.passcode!);
    await dialog.getByTestId('shl-passcode-submit').click();
    await page.getByTestId('patient-header').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('patient-header').innerText()).toContain(l.displayName!);
    expect(await page.getByTestId('source').getAttribute('data-source')).toBe('shl');
    expect(await page.getByTestId('source').innerText()).toContain(`SMART Health Link from ${host}`);
    await page.getByTestId('shl-unsigned').waitFor();
    await screenshot(page, 'shl-patient-en');
    await page.getByTestId('close-record').click();
    await page.getByTestId('view-scan').waitFor();
  });

  it('a SMART Health Card link (pasted) opens with "issuer verified"', async () => {
    const l = link('card');
    await navigate(page, 'scan');
    await page.getByTestId('manual-code').fill(l.shlink);
    await page.getByTestId('manual-submit').click();
    await page.getByTestId('scan-preview').waitFor({ timeout: 30_000 });
    await page.getByTestId('open-record').click();
    await page.getByTestId('reason-emergency-treatment').check();
    await page.getByTestId('confirm-open').click();
    await page.getByTestId('patient-header').waitFor({ timeout: 60_000 });
    await page.getByTestId('shl-card-verified').waitFor();
    await page.getByTestId('close-record').click();
    await page.getByTestId('view-scan').waitFor();
  });

  it('a card whose issuer cannot be reached opens marked "issuer not verified"', async () => {
    const bundle = JSON.parse(readFileSync(SAMPLES[0]!, 'utf8')) as unknown;
    const made = await createShlViaAdmin(env.sandbox.shl!, { bundle, as: 'shc', flag: 'U', unreachableIssuer: true });
    await navigate(page, 'scan');
    await page.getByTestId('manual-code').fill(made.shlink);
    await page.getByTestId('manual-submit').click();
    await page.getByTestId('scan-preview').waitFor({ timeout: 30_000 });
    await page.getByTestId('open-record').click();
    await page.getByTestId('reason-emergency-treatment').check();
    await page.getByTestId('confirm-open').click();
    await page.getByTestId('patient-header').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('shl-card-unverified').innerText()).toContain('Issuer not verified');
    await screenshot(page, 'shl-issuer-not-verified-en');
    await page.getByTestId('close-record').click();
    await page.getByTestId('view-scan').waitFor();
  });

  it('a link garbled by the scanner keyboard layout says so', async () => {
    await navigate(page, 'scan');
    // QWERTZ: ":" arrives as "Ö" and "/" as "-".
    await page.getByTestId('manual-code').fill(link('plain').shlink.replace('shlink:/', 'shlinkÖ-'));
    await page.getByTestId('manual-submit').click();
    await expect.poll(() => errorCode(page)).toBe('SHL_LAYOUT_MISMATCH');
    expect(await page.getByTestId('error-message').innerText()).toContain('keyboard layout');
  });
});
