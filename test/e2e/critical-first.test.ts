import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { emergencyViewOf } from '../../main/fhir/index';
import { generateTrainingPatients, type TrainingFeature } from '../../scripts/simulator/index';
import type { OpenRecord } from '../../common/ipc/channels/emergency';
import {
  answerChannel,
  navigate,
  scanWithWedge,
  screenshot,
  signIn,
  startUiApp,
  untranslatedKeys,
  type Lang,
  type UiApp,
} from './support/ui';
import { previewFor } from './support/record-fixtures';

/**
 * The critical-first summary of the training patients (scripts/simulator: a DNR order, a
 * high-criticality allergy, a pregnancy) at the two workstation resolutions, in English and Greek:
 * the critical band is entirely above the fold, and a DNR is flagged with the weight of a
 * high-criticality allergy. The views are built by main/fhir from the generated bundles (what the
 * training environment seeds); the emergency channels are answered in the page with them. The
 * screenshots go to docs/screenshots (README, "Screens").
 */
const DOCS = join(process.cwd(), 'docs', 'screenshots');
const FEATURES: { feature: TrainingFeature; slug: string }[] = [
  { feature: 'dnr', slug: 'dnr' },
  { feature: 'high-criticality-allergy', slug: 'allergy' },
  { feature: 'pregnancy', slug: 'pregnant' },
];
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];

/** The look that carries weight: background, text size, border (evaluated in the page). */
const STYLE =
  '(e) => { const s = getComputedStyle(e); return { bg: s.backgroundColor, size: s.fontSize, border: s.borderTopColor, weight: getComputedStyle(e.querySelector("strong")).fontWeight }; }';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** axe-core's serious and critical violations of the page (evaluated through the DevTools protocol: the CSP refuses inline scripts). */
async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    `window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`,
  )) as string[];
  return violations;
}

function recordOf(bundle: unknown, now = new Date()): OpenRecord {
  return {
    recordId: 'rec-training',
    patientRef: '3f9a2c7e5b1d4a60c8e2f1a9b7d3c5e4',
    source: 'cloud',
    fetchedAt: new Date(now.getTime() - 60_000).toISOString(),
    offlineReason: null,
    integrity: { verified: true, manifestSigned: true, manifestVersion: 2 },
    accessExpiresAt: new Date(now.getTime() + 60 * 60_000).toISOString(),
    view: emergencyViewOf(JSON.stringify(bundle)),
    attachments: [],
  };
}

describe.each<Lang>(['en', 'el'])('critical-first summary (%s)', (lang) => {
  let app: UiApp;
  const patients = generateTrainingPatients();

  beforeAll(async () => {
    mkdirSync(DOCS, { recursive: true });
    app = await startUiApp({ language: lang, pki: true });
  });
  afterAll(async () => {
    await app?.close();
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });

  async function openPatient(viewport: { width: number; height: number }, record: OpenRecord): Promise<Page> {
    const p = await app.open({ viewport });
    await answerChannel(p, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
    await answerChannel(p, 'emergency.open', () => ({ ok: true, value: record }));
    await answerChannel(p, 'emergency.current', () => ({ ok: true, value: null }));
    await answerChannel(p, 'emergency.close', () => ({ ok: true, value: { closed: true } }));
    if ((await p.getByTestId('lock-now').count()) === 0) await signIn(p, app.pki!.files.clinician, app.pki!.passphrase);
    await p.getByTestId('lock-now').waitFor();
    await navigate(p, 'scan');
    await scanWithWedge(p, 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789');
    await p.getByTestId('open-record').click();
    await p.getByTestId('reason-emergency-treatment').check();
    await p.getByTestId('confirm-open').click();
    await p.getByTestId('critical-band').waitFor();
    return p;
  }

  for (const { feature, slug } of FEATURES) {
    for (const viewport of VIEWPORTS) {
      it(`${feature} at ${viewport.width}x${viewport.height}: the critical band is above the fold`, async () => {
        const patient = patients.find((x) => x.features.includes(feature));
        expect(patient, feature).toBeTruthy();
        const p = await openPatient(viewport, recordOf(patient!.bundle));
        expect(await p.getByTestId('patient-name').innerText()).toBe(patient!.displayName);
        await p.screenshot({ path: join(DOCS, `${slug}-${lang}-${viewport.width}x${viewport.height}.png`) });
        const band = await p.getByTestId('critical-band').boundingBox();
        expect(band).not.toBeNull();
        expect(band!.y + band!.height, 'bottom of the critical band').toBeLessThanOrEqual(viewport.height);
        const flags = p.getByTestId('critical-flags');
        if (feature === 'dnr') expect(await flags.locator('[data-kind="directive"]').count()).toBeGreaterThan(0);
        if (feature === 'high-criticality-allergy')
          expect(await flags.locator('[data-kind="allergy"]').count()).toBeGreaterThan(0);
        if (feature === 'pregnancy') {
          expect(await p.getByTestId('section-pregnancy').getAttribute('data-status')).toBe('entries');
          expect(await flags.locator('[data-kind="pregnancy"]').count()).toBe(1);
        }
        expect(await untranslatedKeys(p)).toEqual([]);
        await p.close();
      });
    }
  }

  it('a DNR order is flagged with the same weight as a high-criticality allergy', async () => {
    const both = patients.find((x) => x.features.includes('dnr'))!;
    const p = await openPatient(VIEWPORTS[0]!, recordOf(both.bundle));
    const directive = p.getByTestId('critical-flags').locator('[data-kind="directive"]').first();
    const look = await directive.evaluate(STYLE);
    const allergyPatient = patients.find((x) => x.features.includes('high-criticality-allergy'))!;
    const q = await openPatient(VIEWPORTS[0]!, recordOf(allergyPatient.bundle));
    const allergy = q.getByTestId('critical-flags').locator('[data-kind="allergy"]').first();
    const look2 = await allergy.evaluate(STYLE);
    expect(look).toEqual(look2);
    await p.close();
    await q.close();
  });

  it('dark theme (following the OS) and forced colours: axe finds no serious violation', async () => {
    const patient = patients.find((x) => x.features.includes('high-criticality-allergy'))!;
    const p = await openPatient(VIEWPORTS[0]!, recordOf(patient.bundle));
    await p.emulateMedia({ colorScheme: 'dark' });
    expect(await p.evaluate('getComputedStyle(document.body).backgroundColor')).not.toBe('rgb(245, 247, 250)');
    expect(await seriousViolations(p)).toEqual([]);
    await screenshot(p, `patient-dark-${lang}`, false);
    await p.emulateMedia({ colorScheme: 'light', forcedColors: 'active' });
    expect(await seriousViolations(p)).toEqual([]);
    await screenshot(p, `patient-forced-colors-${lang}`, false);
    await p.close();
  });

  it('the break-the-glass dialog with an error keeps its buttons in view at 1366x768', async () => {
    const p = await app.open({ viewport: VIEWPORTS[0]! });
    await answerChannel(p, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
    await answerChannel(p, 'emergency.open', () => ({ ok: false, error: { code: 'HRI_UNAVAILABLE' } }));
    await answerChannel(p, 'emergency.current', () => ({ ok: true, value: null }));
    if ((await p.getByTestId('lock-now').count()) === 0) await signIn(p, app.pki!.files.clinician, app.pki!.passphrase);
    await navigate(p, 'scan');
    await scanWithWedge(p, 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789');
    await p.getByTestId('open-record').click();
    await p.getByTestId('reason-other').check();
    await p.getByTestId('reason-text').fill('Brought in unconscious by ambulance, no relatives present');
    await p.getByTestId('confirm-open').click();
    await p.getByTestId('break-glass').getByTestId('error-message').waitFor();
    for (const id of ['confirm-open', 'cancel-open']) {
      const box = await p.getByTestId(id).boundingBox();
      expect(box, id).not.toBeNull();
      expect(box!.y + box!.height, id).toBeLessThanOrEqual(VIEWPORTS[0]!.height);
    }
    await screenshot(p, `break-glass-error-1366-${lang}`, false);
    await p.close();
  });
});
