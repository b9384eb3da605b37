/**
 * The generated training patients (scripts/simulator/generate.ts) in the real UI: the training
 * environment as npm start seeds it (no ../shared), the real renderer in Chromium through the
 * harness, the real handlers on the real RGW. Each patient opens by a wedge scan and the summary
 * shows what the patient is there to demonstrate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../scripts/training/index';
import { openByScan, screenshot, signIn, startUiApp, type UiApp } from './support/ui';

/** What each scenario's summary must show (as the document's language writes it). */
const SHOWS: Record<string, string[]> = {
  'dnr-john-miller': ['Not for resuscitation', 'Dual-chamber pacemaker', 'rivaroxaban'],
  'allergy-eleni-georgiou': ['Πενικιλλίνη', 'Αναφυλαξία'],
  'pregnant-maria-papadopoulou': ['Έγκυος', 'Αιμοσφαιρίνη'],
  'noinfo-klaus-becker': ['Insulinpumpe', 'HbA1c'],
  'noneknown-andreas-nikolaou': ['No known allergy', 'No known medications'],
};

describe('the generated training patients in the UI', () => {
  let dir: string;
  let env: TrainingEnvironment;
  let app: UiApp;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-trn-'));
    env = await startTrainingEnvironment({ dir, attachmentsMb: [] });
    app = await startUiApp({ configFile: env.configFile });
    page = await app.open();
    await signIn(page, env.pki.clinician, env.pki.passphrase);
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every generated patient opens by a wedge scan and shows its scenario', async () => {
    expect(env.patients.map((p) => p.name)).toEqual(Object.keys(SHOWS));
    for (const patient of env.patients) {
      // A wedge scan under load can lose a key: rescan as a clinician would (ui.ts openByScan).
      await openByScan(page, patient.qrText, { rescans: 2 });
      expect(await page.getByTestId('break-glass').getByTestId('error-message').count(), patient.name).toBe(0);
      await page.getByTestId('integrity').waitFor();
      expect(await page.getByTestId('patient-header').innerText()).toContain(patient.displayName!);
      const text = await page.locator('main').first().innerText();
      for (const shown of SHOWS[patient.name]!) expect(text, `${patient.name}: ${shown}`).toContain(shown);
      // The blood-pressure panel's values are in its components: never "no value" above them.
      expect(text, `${patient.name}: a panel shown as having no value`).not.toMatch(/\bno value\b|χωρίς τιμή/i);
      await screenshot(page, `training-${patient.name}`);
      await page.getByTestId('close-record').click();
    }
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  }, 600_000);
});
