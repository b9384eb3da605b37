import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import {
  answerChannel,
  navigate,
  scanWithWedge,
  screenshot,
  SCREENSHOTS,
  signIn,
  startUiApp,
  untranslatedKeys,
  type Lang,
  type UiApp,
} from './support/ui';
import { ecgPngBase64, openRecordFrom, previewFor } from './support/record-fixtures';

/**
 * Every main screen of the clinician UI, in English and in Greek, rendered by the real renderer
 * against the real main handlers through the browser harness. Screenshots go to
 * test-results/screenshots/<screen>-<lang>.png. The emergency channels (emergency.*) are answered
 * in the page with contract values built by main/fhir from real IPS samples until their handlers
 * (so every state can be shown on demand; ui-full-flow.test.ts runs them for real). The clinician
 * signs in for real with the training PKI's credential.
 */
const SAMPLE = 'NL_core_patient_01.json';

describe.each<Lang>(['en', 'el'])('main screens (%s)', (lang) => {
  let app: UiApp;
  let page: Page;
  const shot = (name: string) => screenshot(page, `${name}-${lang}`);

  async function withEmergencyAnswers(p: Page, sample = SAMPLE, overrides = {}) {
    await answerChannel(p, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
    await answerChannel(p, 'emergency.open', () => ({ ok: true, value: openRecordFrom(sample, overrides) }));
    await answerChannel(p, 'emergency.current', () => ({ ok: true, value: null }));
    await answerChannel(p, 'emergency.close', () => ({ ok: true, value: { closed: true } }));
  }

  async function openRecord(p: Page) {
    await navigate(p, 'scan');
    await scanWithWedge(p, 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789');
    await p.getByTestId('open-record').click();
    await p.getByTestId('reason-emergency-treatment').check();
    await p.getByTestId('confirm-open').click();
    await p.getByTestId('patient-header').waitFor();
  }

  async function ensureSignedIn(p: Page) {
    if ((await p.getByTestId('lock-now').count()) === 0) await signIn(p, app.pki!.files.clinician, app.pki!.passphrase);
    await p.getByTestId('lock-now').waitFor();
    await navigate(p, 'scan');
  }

  beforeAll(async () => {
    app = await startUiApp({ language: lang, pki: true });
    page = await app.open();
  });

  afterAll(async () => {
    await app?.close();
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });

  it('scan screen, signed out: prompt, scanner status, sign-in, manual entry', async () => {
    await page.getByTestId('scanner-wedge').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe(lang);
    expect(await untranslatedKeys(page)).toEqual([]);
    await shot('scan');
  });

  it('scan screen with a refused code shows the error message for its code', async () => {
    await answerChannel(page, 'emergency.scan', () => ({ ok: false, error: { code: 'QR_LAYOUT_MISMATCH' } }));
    await page.getByTestId('manual-code').fill('hcp1abcdef');
    await page.getByTestId('manual-submit').click();
    await expect.poll(() => page.getByTestId('error-message').getAttribute('data-code')).toBe('QR_LAYOUT_MISMATCH');
    expect(await page.getByTestId('recent-scans').innerText()).toMatch(/:\d\d/);
    await shot('scan-error');
    await page.unroute('**/ipc/emergency.scan');
  });

  it('scan preview and the break-the-glass dialog', async () => {
    const p = await app.open();
    await withEmergencyAnswers(p);
    await ensureSignedIn(p);
    await scanWithWedge(p, 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789');
    await p.getByTestId('scan-preview').waitFor();
    expect(await p.getByTestId('preview-ref').innerText()).toBe('K7Q2-M9XD');
    await screenshot(p, `scan-preview-${lang}`);
    await p.getByTestId('open-record').click();
    await p.getByTestId('break-glass').waitFor();
    expect(await p.getByTestId('time-limit').innerText()).toContain('60');
    await p.getByTestId('reason-other').check();
    await p.getByTestId('confirm-open').click();
    await p.getByTestId('text-problem').waitFor();
    expect(await untranslatedKeys(p)).toEqual([]);
    await screenshot(p, `break-glass-${lang}`, false);
    await p.close();
  });

  it('emergency summary: verdict first, critical sections, absence states, documents', async () => {
    const p = await app.open();
    await withEmergencyAnswers(p);
    // Main has the document in its cache (answered here) and its attachment route streams it (fulfilled here).
    const ecg = Buffer.from(ecgPngBase64(), 'base64');
    await answerChannel(p, 'emergency.attachment', () => ({
      ok: true,
      value: { contentType: 'image/png', size: ecg.length },
    }));
    await p.route('**/hcp-attachment/**', (route) =>
      route.fulfill({ status: 200, contentType: 'image/png', body: ecg, headers: { 'Cache-Control': 'no-store' } }),
    );
    await ensureSignedIn(p);
    await openRecord(p);
    // The verdict comes before the data.
    const order = await p.evaluate(
      `[...document.querySelectorAll('[data-testid="provenance"], [data-testid="patient-header"], [data-testid="sections"]')].map((e) => e.dataset.testid)`,
    );
    expect(order).toEqual(['provenance', 'patient-header', 'sections']);
    expect(await p.getByTestId('section-allergies').getAttribute('class')).toContain('section-critical');
    expect(await p.getByTestId('section-pregnancy').getAttribute('data-status')).toBe('absent');
    expect(await untranslatedKeys(p)).toEqual([]);
    await screenshot(p, `patient-${lang}`);
    await screenshot(p, `patient-top-${lang}`, false);
    await p.getByTestId('attachment-att-ecg').getByTestId('attachment-view').click();
    await p.getByTestId('attachment-image').waitFor();
    expect(await p.getByTestId('attachment-image').getAttribute('src')).toMatch(
      /^\/hcp-attachment\/[^/]+\/att-ecg\?token=/,
    );
    await p.getByTestId('documents').screenshot({ path: join(SCREENSHOTS, `documents-${lang}.png`) });
    await p.close();
  });

  it('emergency summary from the cache while offline, with "none known" and an alert', async () => {
    const p = await app.open();
    await withEmergencyAnswers(p, 'NZ_Peter_Jordan_NNJ9186.json', {
      source: 'cache',
      fetchedAt: new Date(Date.now() - 26 * 3_600_000).toISOString(),
      offlineReason: 'CLOUD_UNAVAILABLE',
      integrity: { verified: true, manifestSigned: false, manifestVersion: 1 },
    });
    await ensureSignedIn(p);
    await openRecord(p);
    await p.getByTestId('offline-banner').waitFor();
    await p.getByTestId('manifest-unsigned').waitFor();
    expect(await p.getByTestId('section-alerts').getAttribute('class')).toContain('section-critical');
    expect(await untranslatedKeys(p)).toEqual([]);
    await screenshot(p, `patient-offline-${lang}`);
    await screenshot(p, `patient-offline-top-${lang}`, false);
    await p.close();
  });

  it('lock screen hides the record', async () => {
    const p = await app.open();
    await withEmergencyAnswers(p);
    await ensureSignedIn(p);
    await openRecord(p);
    await p.getByTestId('lock-now').click();
    await p.getByTestId('lock-screen').waitFor();
    expect(await p.getByTestId('patient-header').count()).toBe(0);
    expect(await p.locator('body').innerText()).not.toContain(openRecordFrom(SAMPLE).view.patient.names[0]);
    await screenshot(p, `lock-${lang}`);
    await p.getByTestId('unlock-passphrase').fill(app.pki!.passphrase);
    await p.getByTestId('unlock').click();
    await p.getByTestId('lock-now').waitFor();
    await p.close();
  });

  it('sign-in, diagnostics, settings, additions and audit screens', async () => {
    await signIn(page, app.pki!.files.clinician, app.pki!.passphrase);
    await shot('signin');
    await navigate(page, 'diagnostics');
    await page.getByTestId('diagnostics-status').locator('table').waitFor();
    // The audit chain checked at start, and the database's state, are on the screen.
    await page.locator('[data-testid="diagnostics-audit"][data-verification="intact"]').waitFor();
    await page.locator('[data-testid="diagnostics-storage"][data-state="ok"]').waitFor();
    await page.getByTestId('scanner-test-field').focus();
    await scanWithWedge(page, 'HCP1ABcdEF0123456789XYZ');
    await page.getByTestId('layout-mismatch').waitFor();
    await shot('diagnostics');
    for (const route of ['settings', 'additions', 'audit'] as const) {
      await navigate(page, route);
      if (route === 'audit')
        await page.locator('[data-testid="audit-entries"] tr[data-step="certificate-check"]').first().waitFor();
      expect(await untranslatedKeys(page)).toEqual([]);
      await shot(route);
    }
  });
});
