import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  answerChannel,
  navigate,
  readUserConfig,
  recordCalls,
  scanWithWedge,
  screenshot,
  signIn,
  startUiApp,
  type UiApp,
} from './support/ui';
import { openRecordFrom, previewFor } from './support/record-fixtures';

/**
 * Clinician-UI behaviour in Chromium through the browser harness, against the real main handlers
 * (app, session with the training PKI, settings, diagnostics). The emergency channels are answered
 * in the page here (answerChannel), so that each UI state (expiry, cancel, "other" reason...) can be
 * produced on demand; ui-full-flow.test.ts runs them for real against the sandbox cloud.
 */
const CODE = 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789';
const RECORD_ID = openRecordFrom('IPS_IG-bundle-01.json').recordId;

describe('clinician UI flows', () => {
  let app: UiApp;

  beforeAll(async () => {
    app = await startUiApp({ pki: true });
  });

  afterAll(async () => {
    await app?.close();
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });

  it('sign-in: a file is required; the credential goes to session.signIn as base64 and a refusal shows its reason', async () => {
    const page = await app.open();
    const calls = recordCalls(page);
    const form = page.getByTestId('scan-sign-in');
    await form.getByTestId('sign-in').click();
    expect(await form.getByTestId('file-problem').innerText()).toBe('Choose your credential file first.');
    expect(calls.some((c) => c.channel === 'session.signIn')).toBe(false);

    await form.getByTestId('credential-file').setInputFiles({
      name: 'not-a-credential.p12',
      mimeType: 'application/x-pkcs12',
      buffer: Buffer.from('this is not PKCS#12'),
    });
    await form.getByTestId('credential-passphrase').fill('wrong');
    await form.getByTestId('sign-in').click();
    const refusal = form.getByTestId('sign-in-refused');
    await refusal.waitFor();
    const call = calls.find((c) => c.channel === 'session.signIn');
    expect(call?.request).toEqual({
      fileName: 'not-a-credential.p12',
      credentialBase64: Buffer.from('this is not PKCS#12').toString('base64'),
      passphrase: 'wrong',
    });
    expect(await refusal.getByTestId('error-message').getAttribute('data-code')).toBe(
      'PKI_CREDENTIAL_UNSUPPORTED_FORMAT',
    );
    expect(await form.getByTestId('credential-passphrase').inputValue()).toBe('');
    await page.close();
  });

  it('settings: the language switch applies at once, is saved in the user file and survives a reload; bounds are enforced', async () => {
    const page = await app.open();
    await navigate(page, 'settings');
    await page.getByTestId('setting-language').selectOption('el');
    await expect.poll(() => page.getByTestId('nav-scan').innerText()).toBe('Σάρωση');
    expect(await page.locator('html').getAttribute('lang')).toBe('el');
    expect(readUserConfig(app.dataDir)).toEqual({ ui: { defaultLanguage: 'el' } });
    await page.reload();
    await expect.poll(() => page.getByTestId('nav-settings').innerText()).toBe('Ρυθμίσεις');

    await page.getByTestId('setting-idle').fill('2');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    expect(readUserConfig(app.dataDir)).toEqual({ ui: { defaultLanguage: 'el' }, session: { idleLockMinutes: 2 } });

    await page.getByTestId('setting-idle').fill('99');
    await page.getByTestId('settings-save').click();
    await expect.poll(() => page.getByTestId('error-message').getAttribute('data-code')).toBe('INVALID_INPUT');
    expect(readUserConfig(app.dataDir)).toEqual({ ui: { defaultLanguage: 'el' }, session: { idleLockMinutes: 2 } });

    await page.getByTestId('setting-idle').fill('5');
    await page.getByTestId('setting-language').selectOption('en');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    expect(await page.getByTestId('nav-scan').innerText()).toBe('Scan');
    expect(readUserConfig(app.dataDir)).toEqual({});
    await page.close();
  });

  it('a wedge scan on any screen goes to the scan screen and to emergency.scan (source wedge)', async () => {
    const page = await app.open();
    const calls = recordCalls(page);
    await navigate(page, 'settings');
    await scanWithWedge(page, CODE);
    await page.getByTestId('view-scan').waitFor();
    await expect
      .poll(() => calls.filter((c) => c.channel === 'emergency.scan'))
      .toEqual([{ channel: 'emergency.scan', request: { text: CODE, source: 'wedge' } }]);
    // The real handler parses the code (not a real patient's: its checksum fails) and answers a typed error.
    await expect.poll(() => page.getByTestId('error-message').getAttribute('data-code')).toMatch(/^QR_/);
    await page.close();
  });

  it('manual entry: typing is not a scan; the code goes as "manual", a pasted one as "paste"', async () => {
    const page = await app.open();
    const calls = recordCalls(page);
    await answerChannel(page, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
    await page.getByTestId('manual-code').click();
    await page.keyboard.type('HCP1ABCDEFGHJKMNPQRS', { delay: 110 });
    await page.keyboard.press('Enter');
    await page.getByTestId('scan-preview').waitFor();
    expect(calls.filter((c) => c.channel === 'emergency.scan').map((c) => c.request)).toEqual([
      { text: 'HCP1ABCDEFGHJKMNPQRS', source: 'manual' },
    ]);

    await page.getByTestId('manual-code').focus();
    await page.evaluate(`(() => {
      const el = document.querySelector('[data-testid="manual-code"]');
      const data = new DataTransfer();
      data.setData('text/plain', 'HCP1PASTEDCODE0123456789');
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
      el.value = 'HCP1PASTEDCODE0123456789';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    })()`);
    await page.getByTestId('manual-submit').click();
    await expect.poll(() => calls.filter((c) => c.channel === 'emergency.scan').length).toBe(2);
    expect(calls.filter((c) => c.channel === 'emergency.scan')[1]?.request).toEqual({
      text: 'HCP1PASTEDCODE0123456789',
      source: 'paste',
    });
    // The list entry is added when the answer arrives, after the request was recorded.
    await expect.poll(() => page.getByTestId('recent-scans').locator('li').count()).toBe(2);
    await page.close();
  });

  async function signedInWithRecord(page: Page, overrides = {}) {
    await answerChannel(page, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
    await answerChannel(page, 'emergency.open', () => ({
      ok: true,
      value: openRecordFrom('IPS_IG-bundle-01.json', overrides),
    }));
    await answerChannel(page, 'emergency.current', () => ({ ok: true, value: null }));
    await answerChannel(page, 'emergency.close', () => ({ ok: true, value: { closed: true } }));
    if ((await page.getByTestId('lock-now').count()) === 0)
      await signIn(page, app.pki!.files.clinician, app.pki!.passphrase);
    await page.getByTestId('lock-now').waitFor();
    await navigate(page, 'scan');
  }

  it('break the glass: a reason is required ("other" needs text); open, then close clears the record', async () => {
    const page = await app.open();
    const calls = recordCalls(page);
    await signedInWithRecord(page);
    await scanWithWedge(page, CODE);
    await page.getByTestId('open-record').click();
    const dialog = page.getByTestId('break-glass');
    await dialog.getByTestId('confirm-open').click();
    await dialog.getByTestId('reason-problem').waitFor();
    await dialog.getByTestId('reason-other').check();
    await dialog.getByTestId('confirm-open').click();
    await dialog.getByTestId('text-problem').waitFor();
    expect(calls.some((c) => c.channel === 'emergency.open')).toBe(false);
    await dialog.getByTestId('reason-text').fill('  Brought in by ambulance, no ID  ');
    await dialog.getByTestId('confirm-open').click();
    await page.getByTestId('patient-header').waitFor();
    expect(calls.find((c) => c.channel === 'emergency.open')?.request).toEqual({
      scanId: 'scan-1',
      reason: { code: 'other', text: 'Brought in by ambulance, no ID' },
    });
    expect(page.url()).toContain('#/patient');

    await page.getByTestId('close-record').click();
    await page.getByTestId('view-scan').waitFor();
    await expect
      .poll(() => calls.find((c) => c.channel === 'emergency.close')?.request)
      .toEqual({ recordId: RECORD_ID });
    await navigate(page, 'patient');
    expect(await page.getByTestId('record-ended').innerText()).toBe('The record was closed.');
    expect(await page.getByTestId('patient-header').count()).toBe(0);
    await page.close();
  });

  it('the record leaves the screen when emergency access expires', async () => {
    const page = await app.open();
    await signedInWithRecord(page, { accessExpiresAt: new Date(Date.now() + 4000).toISOString() });
    await scanWithWedge(page, CODE);
    await page.getByTestId('open-record').click();
    await page.getByTestId('reason-emergency-treatment').check();
    await page.getByTestId('confirm-open').click();
    await page.getByTestId('patient-header').waitFor();
    await page.getByTestId('record-ended').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('record-ended').innerText()).toContain('time limit');
    expect(await page.getByTestId('patient-header').count()).toBe(0);
    await page.close();
  });

  it('documents: download shows progress and can be cancelled', async () => {
    const page = await app.open();
    const calls = recordCalls(page);
    await signedInWithRecord(page);
    let release: () => void = () => undefined;
    await answerChannel(
      page,
      'emergency.attachment',
      () => new Promise((resolve) => (release = () => resolve({ ok: false, error: { code: 'CANCELLED' } }))),
    );
    await answerChannel(page, 'emergency.cancelAttachment', () => {
      release();
      return { ok: true, value: { cancelled: true } };
    });
    await scanWithWedge(page, CODE);
    await page.getByTestId('open-record').click();
    await page.getByTestId('reason-emergency-treatment').check();
    await page.getByTestId('confirm-open').click();
    const row = page.getByTestId('attachment-att-discharge');
    await row.getByTestId('attachment-view').click();
    await row.locator('progress').waitFor();
    await row.getByTestId('attachment-cancel').click();
    await row.getByText('Download cancelled.').waitFor();
    await expect
      .poll(() => calls.find((c) => c.channel === 'emergency.cancelAttachment')?.request)
      .toEqual({ recordId: RECORD_ID, attachmentId: 'att-discharge' });
    expect(await page.getByTestId('attachment-att-dicom').getByTestId('attachment-view').isDisabled()).toBe(true);
    await page.close();
  });

  it('idle lock: after the configured minutes without input the workstation locks, hides the record and asks for the passphrase', async () => {
    const page = await app.open({ clock: true });
    const calls = recordCalls(page);
    await signedInWithRecord(page);
    await scanWithWedge(page, CODE);
    await page.getByTestId('open-record').click();
    await page.getByTestId('reason-emergency-treatment').check();
    await page.getByTestId('confirm-open').click();
    await page.getByTestId('patient-header').waitFor();

    await page.clock.fastForward('04:00');
    expect(await page.getByTestId('lock-screen').count()).toBe(0);
    await page.mouse.move(200, 200); // activity restarts the count
    await page.clock.fastForward('04:00');
    expect(await page.getByTestId('lock-screen').count()).toBe(0);
    await page.clock.fastForward('01:05');
    await page.getByTestId('lock-screen').waitFor();
    expect(await page.getByTestId('patient-header').count()).toBe(0);
    expect(calls.some((c) => c.channel === 'session.lock')).toBe(true);
    expect(await page.getByTestId('lock-clinician').innerText()).toContain('Eleni Training');

    await screenshot(page, 'lock-after-idle-en');
    await page.getByTestId('unlock-passphrase').fill('not the passphrase');
    await page.getByTestId('unlock').click();
    await expect
      .poll(() => page.getByTestId('lock-screen').getByTestId('error-message').getAttribute('data-code'))
      .toBe('PKI_CREDENTIAL_WRONG_PASSPHRASE');
    await page.getByTestId('unlock-passphrase').fill(app.pki!.passphrase);
    await page.getByTestId('unlock').click();
    await page.getByTestId('lock-now').waitFor();
    expect(calls.filter((c) => c.channel === 'session.unlock').map((c) => c.request)).toEqual([
      { passphrase: 'not the passphrase' },
      { passphrase: app.pki!.passphrase },
    ]);
    await page.close();
  });
});

describe('configuration error screen', () => {
  let app: UiApp;
  afterAll(async () => {
    await app?.close();
  });

  it('a broken hospital configuration file opens the error screen naming the file and key, not the app', async () => {
    const dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'hcp-e2e-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ hri: { url: 'ftp://wrong.example' }, session: { idleLockMinutes: 0 } }));
    app = await startUiApp({ configFile: file });
    const page = await app.open();
    const screen = page.getByTestId('config-error');
    await screen.waitFor();
    const text = await screen.innerText();
    expect(text).toContain(file);
    expect(text).toContain('hri.url');
    expect(text).toContain('session.idleLockMinutes');
    expect(await page.getByTestId('view-scan').count()).toBe(0);
    await screenshot(page, 'config-error-en');
  });
});
