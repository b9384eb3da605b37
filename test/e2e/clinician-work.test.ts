import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../scripts/training/index';
import { createTrainingPki } from '../support/test-ca/training';
import { writeSecondClinician } from '../support/second-clinician';
import { auditSteps } from '../support/flow';
import {
  navigate,
  openByScan,
  scanWithWedge,
  screenshot,
  signIn,
  startUiApp,
  SAMPLES_DIR,
  type UiApp,
} from './support/ui';

/**
 * No lost work, on the real path (training environment: real RGW, HRI stand-in, training PKI,
 * seeded patients; the real workstation behind the harness): a lock keeps the emergency for the
 * same clinician and the additions being typed; a scan while writing asks first; a second patient
 * asks first and the first one's draft is kept; another clinician at the locked screen starts fresh.
 */
const SAMPLES = ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json'].map((f) => join(SAMPLES_DIR, f));
const NOTE = 'Fell from a ladder, GCS 15. Typed before the lock.';

describe('a lock, a scan or a second patient loses nothing', () => {
  let dir: string;
  let env: TrainingEnvironment;
  let app: UiApp;
  let page: Page;
  let second: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-work-'));
    // The training PKI made here (the environment keeps existing files), so a second clinician can be issued.
    const pki = createTrainingPki(join(dir, 'pki'));
    second = writeSecondClinician(pki);
    env = await startTrainingEnvironment({ dir, samples: SAMPLES });
    app = await startUiApp({ configFile: env.configFile });
    page = await app.open({ viewport: { width: 1366, height: 768 } });
    await signIn(page, env.pki.clinician, env.pki.passphrase);
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const patientName = () => page.getByTestId('patient-name').innerText();

  it('lock and unlock by the same clinician: the record and the note being typed are back where they were', async () => {
    await openByScan(page, env.patients[0]!.qrText);
    const name = await patientName();
    expect(name).toContain(env.patients[0]!.displayName!);
    await navigate(page, 'additions');
    expect(await page.getByTestId('editor-patient').innerText()).toContain(name);
    await page.getByTestId('input-text').fill(NOTE);

    await page.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor();
    expect(await page.getByTestId('patient-header').count()).toBe(0);
    expect(await page.locator('body').innerText()).not.toContain(name);
    expect(await page.getByTestId('lock-kept').innerText()).toMatch(/until \d{1,2}:\d{2}/);
    await screenshot(page, 'lock-keeps-emergency-en', false);

    await page.getByTestId('unlock-passphrase').fill(env.pki.passphrase);
    await page.getByTestId('unlock').click();
    await page.getByTestId('lock-now').waitFor();
    await page.getByTestId('view-additions').waitFor();
    await expect.poll(() => page.getByTestId('input-text').inputValue()).toBe(NOTE);
    await navigate(page, 'patient');
    expect(await patientName()).toBe(name);

    // The Audit screen still lists the whole session (the unlock does not start a new one).
    await navigate(page, 'audit');
    const table = page.getByTestId('audit-entries');
    await table.locator('tr[data-step="session-unlock"]').waitFor();
    expect(await table.locator('tr[data-step="emergency-start"]').count()).toBe(1);
    expect(await table.locator('tr[data-step="session-lock"]').count()).toBe(1);
    await navigate(page, 'patient');
    const steps = auditSteps(app.harness.workstation).map((s) => s.step);
    expect(steps.slice(steps.lastIndexOf('session-lock'))).toEqual([
      'session-lock',
      'certificate-check',
      'session-unlock',
    ]);
    expect(steps.filter((s) => s === '110138')).toEqual([]);
  });

  it('print: audited as a disclosure, and the PDF has the patient, the allergies and who printed it (Ctrl+P too)', async () => {
    await navigate(page, 'patient');
    const name = await patientName();
    // The browser's print dialog is replaced by a counter; the PDF is Chromium's print of the page (print stylesheet).
    await page.evaluate('window.print = () => { window.__printed = (window.__printed || 0) + 1; }');
    await page.getByTestId('print-record').click();
    await expect.poll(() => page.evaluate('window.__printed || 0')).toBe(1);
    const printed = auditSteps(app.harness.workstation).filter((s) => s.step === 'record-print');
    expect(printed.at(-1)?.details.format).toBe('print');
    const file = join(dir, 'summary.pdf');
    writeFileSync(file, await page.pdf({ format: 'A4' }));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain(name);
    expect(text).toMatch(/penicillin/i);
    expect(text).toMatch(/Printed by Dr Eleni Training at/);
    expect(text).not.toMatch(/Diagnostics|Switch clinician/);
    await page.keyboard.press('Control+P');
    await expect.poll(() => page.evaluate('window.__printed || 0')).toBe(2);
    expect(auditSteps(app.harness.workstation).filter((s) => s.step === 'record-print')).toHaveLength(
      printed.length + 1,
    );
  });

  it('typing with no field focused shows a hint; Alt+M goes to the code field', async () => {
    await page
      .getByTestId('view-patient')
      .locator('.patient-banner')
      .click({ position: { x: 5, y: 5 } });
    await page.keyboard.type('abcdef', { delay: 150 });
    await page.getByTestId('typing-hint').waitFor();
    await page.keyboard.press('Alt+M');
    await page.getByTestId('view-scan').waitFor();
    await expect.poll(() => page.evaluate('document.activeElement && document.activeElement.id')).toBe('manual-code');
    await navigate(page, 'patient');
  });

  /** Scan at scanner speed until the question appears (under load a burst can read as typing: scan again, as at the bedside). */
  async function scanUntilAsked(qrText: string) {
    const ask = page.getByTestId('scan-while-draft');
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.getByTestId('view-additions').locator('h1').click();
      await scanWithWedge(page, qrText);
      if (
        await ask.waitFor({ timeout: 10_000 }).then(
          () => true,
          () => false,
        )
      )
        return ask;
    }
    throw new Error('the scan was never taken as a scan');
  }

  it('a scan while additions are being written asks first; staying keeps the draft, going shows the scan', async () => {
    await navigate(page, 'additions');
    const ask = await scanUntilAsked(env.patients[1]!.qrText);
    expect(await page.getByTestId('view-additions').count()).toBe(1);
    await screenshot(page, 'scan-while-draft-en', false);
    await ask.getByTestId('scan-while-draft-stay').click();
    await ask.waitFor({ state: 'hidden' });
    expect(await page.getByTestId('input-text').inputValue()).toBe(NOTE);

    await (await scanUntilAsked(env.patients[1]!.qrText)).getByTestId('scan-while-draft-go').click();
    await page.getByTestId('view-scan').waitFor();
    await page.getByTestId('scan-preview').waitFor();
  });

  it("opening a second patient says which record it closes, and the first one's draft is kept", async () => {
    const first = await (async () => {
      await navigate(page, 'patient');
      return patientName();
    })();
    await navigate(page, 'scan');
    await page.getByTestId('open-record').click();
    const warn = page.getByTestId('closes-open-record');
    await warn.waitFor();
    expect(await warn.innerText()).toContain(first);
    expect(await page.getByTestId('draft-kept-note').count()).toBe(1);
    await screenshot(page, 'second-patient-asks-en', false);
    await page.getByTestId('reason-emergency-treatment').check();
    await page.getByTestId('confirm-open').click();
    await page.getByTestId('patient-header').waitFor({ timeout: 60_000 });
    expect(await patientName()).toContain(env.patients[1]!.displayName!);

    await navigate(page, 'additions');
    const kept = page.getByTestId('kept-drafts');
    await kept.waitFor();
    expect(await kept.innerText()).toContain(first);
    // The new record's editor starts empty: the note stays with the first patient.
    expect(await page.getByTestId('input-text').inputValue()).toBe('');
    // Scans in this session now name the patients.
    await navigate(page, 'scan');
    expect(await page.getByTestId('recent-scans').innerText()).toContain(env.patients[1]!.displayName!);
  });

  it('another clinician signing in at the locked screen starts fresh: the record is gone and the grant ended (audited)', async () => {
    await page.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor();
    await page.getByTestId('lock-another').locator('summary').click();
    await page.getByTestId('credential-file').setInputFiles(second);
    await page.getByTestId('credential-passphrase').fill(env.pki.passphrase);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('lock-now').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('clinician').innerText()).toContain('Petros Second');
    await navigate(page, 'patient');
    expect(await page.getByTestId('patient-header').count()).toBe(0);
    await navigate(page, 'additions');
    expect(await page.getByTestId('kept-drafts').count()).toBe(0);
    const stops = auditSteps(app.harness.workstation).filter((s) => s.step === '110138');
    expect(stops.at(-1)?.details['stop-reason']).toBe('clinician-changed');
  });
});
