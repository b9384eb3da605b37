import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../scripts/training/index';
import { navigate, openByScan, scanWithWedge, screenshot, startUiApp, SAMPLES_DIR, type UiApp } from './support/ui';

/**
 * The whole path in Chromium, nothing answered in the page: the training environment (a real Ceph
 * RGW sandbox, the HRI stand-in, the training PKI, patients seeded from real IPS samples with their
 * QR codes) and the real workstation behind the browser harness. A clinician signs in with the
 * test-CA credential, scans at scanner speed, breaks the glass and reads the summary.
 */
const SAMPLES = [
  'IPS_IG-bundle-01.json',
  'CY_Andreas_Ioannou_01.json',
  'IPS_IG_bundle-no-info-required-sections.json',
  'DE_no_info_with_Advance_Directive.json',
  'US_Dynamic_Health_IT_Happy_Kid_FHIR_Bundle-IPS.json',
  'NZ_Peter_Jordan_NNJ9186.json',
].map((f) => join(SAMPLES_DIR, f));

describe('full flow: sign in, wedge scan, break the glass, emergency summary', () => {
  let dir: string;
  let env: TrainingEnvironment;
  let app: UiApp;
  let page: Page;

  const errorCode = (p: Page) => p.getByTestId('error-message').first().getAttribute('data-code');

  async function signIn(p: Page, file: string) {
    await p.getByTestId('switch-clinician').click();
    const form = p.getByTestId('view-signin');
    await form.getByTestId('credential-file').setInputFiles(file);
    await form.getByTestId('credential-passphrase').fill(env.pki.passphrase);
    await form.getByTestId('sign-in').click();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-flow-'));
    env = await startTrainingEnvironment({ dir, samples: SAMPLES, attachmentsMb: [1] });
    app = await startUiApp({ configFile: env.configFile });
    page = await app.open();
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a revoked clinician is refused with the reason', async () => {
    await signIn(page, env.pki.revokedClinician);
    await page.getByTestId('sign-in-refused').waitFor();
    expect(await errorCode(page)).toBe('PKI_REVOKED');
    await screenshot(page, 'signin-refused-en');
  });

  it('the training clinician signs in and sees the verified identity', async () => {
    await page.getByTestId('credential-file').setInputFiles(env.pki.clinician);
    await page.getByTestId('credential-passphrase').fill(env.pki.passphrase);
    await page.getByTestId('sign-in').click();
    const identity = page.getByTestId('identity');
    await identity.waitFor();
    expect(await identity.innerText()).toContain('Dr Eleni Training');
    expect(await page.getByTestId('clinician').innerText()).toContain('Dr Eleni Training');
    await screenshot(page, 'signin-verified-en');
  });

  it('a scan typed at scanner speed opens each seeded patient (five real sample bundles)', async () => {
    expect(env.patients.length).toBeGreaterThanOrEqual(5);
    for (const patient of env.patients.slice(0, 5)) {
      await openByScan(page, patient.qrText);
      expect(await page.getByTestId('break-glass').getByTestId('error-message').count()).toBe(0);
      await page.getByTestId('integrity').waitFor();
      if (patient.displayName)
        expect(await page.getByTestId('patient-header').innerText()).toContain(patient.displayName);
      expect(await page.getByTestId('source').innerText()).toContain('EHR cloud');
      await screenshot(page, `flow-patient-${patient.name}`);
      await page.getByTestId('close-record').click();
      await page.getByTestId('view-scan').waitFor();
    }
  });

  it("the audit view lists the clinician's session: break the glass with its reason, downloads", async () => {
    await navigate(page, 'audit');
    const table = page.getByTestId('audit-entries');
    await table.waitFor();
    expect(await table.locator('tr[data-step="emergency-start"]').count()).toBe(5);
    expect(await table.locator('tr[data-step="emergency-stop"]').count()).toBe(5);
    expect(await table.locator('tr[data-step="object-download"]').count()).toBeGreaterThanOrEqual(5);
    expect(await table.locator('tr[data-step="certificate-check"]').count()).toBe(1);
    await screenshot(page, 'flow-audit-en');
  });

  it('a code that is not ours and a garbled code each show their message', async () => {
    await navigate(page, 'scan');
    await page.getByTestId('manual-code').fill('https://example.org/not-a-patient-code');
    await page.getByTestId('manual-submit').click();
    await expect.poll(() => errorCode(page)).toBe('QR_NOT_THIS_FORMAT');

    const qr = env.patients[0]!.qrText;
    const garbled = qr.slice(0, 8) + qr.slice(8).replace(/[A-Z]/g, (c, i: number) => (i % 3 === 0 ? '!' : c));
    await scanWithWedge(page, garbled);
    await expect.poll(() => errorCode(page)).toBe('QR_LAYOUT_MISMATCH');
    expect(await page.getByTestId('error-message').innerText()).toContain('keyboard layout');
    await screenshot(page, 'flow-layout-mismatch-en');
  });

  it('idle lock hides the record; the same clinician unlocks with the passphrase', async () => {
    const p = await app.open({ clock: true });
    // Same workstation, same session: the clinician is signed in already.
    await p.getByTestId('lock-now').waitFor();
    await openByScan(p, env.patients[1]!.qrText);
    await p.clock.fastForward('05:05');
    await p.getByTestId('lock-screen').waitFor();
    expect(await p.getByTestId('patient-header').count()).toBe(0);
    await p.getByTestId('unlock-passphrase').fill(env.pki.passphrase);
    await p.getByTestId('unlock').click();
    await p.getByTestId('lock-now').waitFor();
    await p.close();
  });

  it('with the cloud down, a cached record opens from the cache; an uncached one says why it cannot', async () => {
    await env.stop();
    // Scans rescanned when the busy machine slows a burst into "typing" (the wedge timing is tested elsewhere).
    await openByScan(page, env.patients[0]!.qrText, { rescans: 2 });
    await page.getByTestId('offline-banner').waitFor();
    await screenshot(page, 'flow-offline-en');
    await page.getByTestId('close-record').click();

    await openByScan(page, env.patients[5]!.qrText, { rescans: 2 });
    const code = await page.getByTestId('break-glass').getByTestId('error-message').getAttribute('data-code');
    expect(['HRI_UNAVAILABLE', 'HRI_TIMEOUT', 'CLOUD_UNAVAILABLE', 'CACHE_RECORD_MISSING']).toContain(code);
    await screenshot(page, 'flow-cloud-down-en', false);
  });
});
