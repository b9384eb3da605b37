import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { answerChannel, navigate, scanWithWedge, signIn, startUiApp, type Lang, type UiApp } from './support/ui';
import { openRecordFrom, previewFor } from './support/record-fixtures';

/**
 * axe-core on every main screen, in both languages: no serious or critical violation (WCAG 2.x A/AA
 * rules: contrast, labels, names, landmarks, ARIA). The page is the real renderer in Chromium.
 */
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/**
 * The app's CSP (script-src 'self') refuses page.addScriptTag's inline script, as it should; axe is
 * evaluated through the DevTools protocol instead, which the page's CSP does not govern.
 */
const AXE_SOURCE = readFileSync(AXE, 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(AXE_SOURCE);
  const { violations, passes } = (await page.evaluate(
    `window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }).then((r) => ({ passes: r.passes.length, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })) }))`,
  )) as { violations: AxeViolation[]; passes: number };
  expect(passes, 'axe ran its rules').toBeGreaterThan(10);
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    );
}

describe.each<Lang>(['en', 'el'])('accessibility of the main screens (%s)', (lang) => {
  let app: UiApp;
  let page: Page;

  beforeAll(async () => {
    app = await startUiApp({ language: lang, pki: true });
    page = await app.open();
    await answerChannel(page, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
    await answerChannel(page, 'emergency.open', () => ({ ok: true, value: openRecordFrom('NL_core_patient_01.json') }));
    await answerChannel(page, 'emergency.current', () => ({ ok: true, value: null }));
    await answerChannel(page, 'emergency.close', () => ({ ok: true, value: { closed: true } }));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('scan screen, signed out (sign-in form included)', async () => {
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('scan screen with an error message', async () => {
    await page.getByTestId('manual-code').fill('not a code');
    await answerChannel(page, 'emergency.scan', () => ({ ok: false, error: { code: 'QR_NOT_THIS_FORMAT' } }));
    await page.getByTestId('manual-submit').click();
    await page.getByTestId('error-message').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.unroute('**/ipc/emergency.scan');
    await answerChannel(page, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
  });

  it('sign-in screen with the verified identity', async () => {
    await signIn(page, app.pki!.files.clinician, app.pki!.passphrase);
    await page.getByTestId('identity').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('scan preview and the break-the-glass dialog', async () => {
    await navigate(page, 'scan');
    await scanWithWedge(page, 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789');
    await page.getByTestId('scan-preview').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId('open-record').click();
    await page.getByTestId('break-glass').waitFor();
    await page.getByTestId('confirm-open').click();
    await page.getByTestId('reason-problem').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    // Keyboard only: choose the first reason with the arrow keys, then submit.
    await page.getByTestId('reason-emergency-treatment').focus();
    await page.keyboard.press('Space');
    await page.getByTestId('confirm-open').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('patient-header').waitFor();
  });

  it('emergency summary', async () => {
    expect(await seriousViolations(page)).toEqual([]);
  });

  for (const route of ['diagnostics', 'settings', 'additions', 'audit', 'patient'] as const) {
    it(`${route} screen`, async () => {
      await navigate(page, route);
      expect(await seriousViolations(page)).toEqual([]);
    });
  }

  it('lock screen', async () => {
    await page.getByTestId('lock-now').click();
    await page.getByTestId('lock-screen').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId('unlock-passphrase').fill(app.pki!.passphrase);
    await page.keyboard.press('Enter');
    await page.getByTestId('lock-now').waitFor();
  });
});

describe('accessibility of the configuration-error screen', () => {
  let app: UiApp;
  afterAll(async () => {
    await app?.close();
  });

  it('has no serious or critical violation', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hcp-a11y-config-')), 'config.json');
    writeFileSync(file, '{ "hri": { "url": 42 } }');
    app = await startUiApp({ configFile: file });
    const page = await app.open();
    await page.getByTestId('config-error').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
  });
});
