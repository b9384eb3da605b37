import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../scripts/training/index';
import {
  navigate,
  openByScan,
  screenshot,
  signIn,
  startUiApp,
  untranslatedKeys,
  SAMPLES_DIR,
  type UiApp,
} from './support/ui';
import { reviewAsPatient } from './support/review';

/**
 * The additions loop in Chromium against the training environment (real RGW sandbox, HRI stand-in,
 * training PKI, seeded patients): the clinician adds a note and a heart rate to an open record,
 * watches them leave the outbox, the patient's review (scripts/simulator/review.ts) merges them into
 * a new record version, and the next open of the record shows both.
 */
const SAMPLES = ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json'].map((f) => join(SAMPLES_DIR, f));
const NOTE = 'Fell from a ladder at 14:20; GCS 15, alert and oriented. E2E note';
const HEART_RATE = '117';

describe('additions: editor -> outbox -> patient review -> next open shows them', () => {
  let dir: string;
  let env: TrainingEnvironment;
  let app: UiApp;
  let page: Page;

  async function setLanguage(p: Page, lang: 'en' | 'el') {
    await navigate(p, 'settings');
    await p.getByTestId('setting-language').selectOption(lang);
    await expect.poll(() => p.locator('html').getAttribute('lang')).toBe(lang);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-additions-'));
    env = await startTrainingEnvironment({ dir, samples: SAMPLES, attachmentsMb: [1] });
    app = await startUiApp({ configFile: env.configFile });
    page = await app.open();
    await signIn(page, env.pki.clinician, env.pki.passphrase);
    await page.getByTestId('identity').waitFor();
  }, 600_000);

  afterAll(async () => {
    await app?.close();
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('without an open record the editor says to open one; the outbox is empty', async () => {
    await navigate(page, 'additions');
    await page.getByTestId('additions-no-record').waitFor();
    await page.getByTestId('outbox-empty').waitFor();
    expect(await page.getByTestId('outbox-badge').count()).toBe(0);
  });

  it('validates with clear messages: empty note, heart rate out of range, a number typed wrong', async () => {
    await openByScan(page, env.patients[0]!.qrText, { rescans: 2 });
    expect(await page.getByTestId('break-glass').getByTestId('error-message').count()).toBe(0);
    await navigate(page, 'additions');
    const editor = page.getByTestId('addition-editor');
    await editor.waitFor();
    // An empty note: refused, the field says why and is linked to it.
    await editor.getByTestId('add-to-draft').click();
    await page.getByTestId('form-problems').waitFor();
    const text = editor.getByTestId('input-text');
    expect(await text.getAttribute('aria-invalid')).toBe('true');
    expect(await text.getAttribute('aria-describedby')).toContain('add-note-text-problem');
    expect(await editor.getByTestId('problem-text').innerText()).toContain('required');
    await expect.poll(() => page.locator(':focus').getAttribute('data-testid')).toBe('input-text');

    // Vital signs: out of range and not a number.
    await editor.getByTestId('kind-vitals').check();
    await editor.getByTestId('input-heartRate').fill('400');
    await editor.getByTestId('input-bodyTemperature').fill('thirty');
    await editor.getByTestId('add-to-draft').click();
    expect(await editor.getByTestId('problem-heartRate').innerText()).toContain('between 0 and 350 /min');
    expect(await editor.getByTestId('problem-bodyTemperature').innerText()).toContain('Enter a number');
    expect(await editor.getByTestId('field-heartRate').innerText()).toContain('/min');
    // Systolic without diastolic.
    await editor.getByTestId('input-heartRate').fill('');
    await editor.getByTestId('input-bodyTemperature').fill('');
    await editor.getByTestId('input-systolic').fill('120');
    await editor.getByTestId('add-to-draft').click();
    expect(await editor.getByTestId('problem-diastolic').innerText()).toContain('together');
    await editor.getByTestId('input-systolic').fill('');
    expect(await page.getByTestId('draft').getByRole('listitem').count()).toBe(0);
  });

  it('a note and a heart rate are signed, queued, and leave the outbox (sent)', async () => {
    const editor = page.getByTestId('addition-editor');
    await editor.getByTestId('kind-note').check();
    await editor.getByTestId('input-text').fill(NOTE);
    await editor.getByTestId('add-to-draft').click();
    await editor.getByTestId('added').waitFor();
    await editor.getByTestId('kind-vitals').check();
    await editor.getByTestId('input-heartRate').fill(HEART_RATE);
    await editor.getByTestId('add-to-draft').click();
    await expect.poll(() => page.getByTestId('draft').locator('li').count()).toBe(2);
    await screenshot(page, 'additions-editor-en');

    await editor.getByTestId('submit-additions').click();
    await editor
      .getByTestId('submit-result')
      .or(editor.getByTestId('error-message'))
      .first()
      .waitFor({ timeout: 30_000 });
    expect(
      await editor.getByTestId('error-message').count(),
      (await editor.getByTestId('error-message').allInnerTexts()).join(' '),
    ).toBe(0);
    const item = page.getByTestId('outbox').locator('[data-testid^="outbox-item-"]').first();
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 60_000 }).toBe('sent');
    expect(await item.innerText()).toMatch(/Clinical note/);
    expect(await item.innerText()).toMatch(/Vital signs/);
    expect(await page.getByTestId('outbox-badge').count()).toBe(0);
    expect(await untranslatedKeys(page)).toEqual([]);
    await screenshot(page, 'additions-outbox-en');
  });

  it('a 5 MB photo is staged in slices and sent as its own object (the outbox says sent)', async () => {
    const editor = page.getByTestId('addition-editor');
    await editor.getByTestId('kind-attachment').check();
    const photo = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), randomBytes(5 * 1024 * 1024)]);
    await editor
      .getByTestId('input-file')
      .setInputFiles({ name: 'wound-photo.png', mimeType: 'image/png', buffer: photo });
    // Staged (3 slices of at most 2 MiB): the title is taken from the file name once it is.
    await expect.poll(() => editor.getByTestId('input-title').inputValue(), { timeout: 30_000 }).toBe('wound-photo');
    expect(await editor.getByTestId('problem-file').count()).toBe(0);
    await editor.getByTestId('add-to-draft').click();
    await editor.getByTestId('added').waitFor();
    await editor.getByTestId('submit-additions').click();
    await editor
      .getByTestId('submit-result')
      .or(editor.getByTestId('error-message'))
      .first()
      .waitFor({ timeout: 30_000 });
    expect(
      await editor.getByTestId('error-message').count(),
      (await editor.getByTestId('error-message').allInnerTexts()).join(' '),
    ).toBe(0);
    const item = page.getByTestId('outbox').locator('[data-testid^="outbox-item-"]').first();
    await expect.poll(() => item.getAttribute('data-status'), { timeout: 60_000 }).toBe('sent');
  });

  it('the editor and the outbox in Greek', async () => {
    await setLanguage(page, 'el');
    await navigate(page, 'additions');
    const editor = page.getByTestId('addition-editor');
    await editor.getByTestId('kind-vitals').check();
    await editor.getByTestId('input-oxygenSaturation').fill('101');
    await editor.getByTestId('add-to-draft').click();
    expect(await editor.getByTestId('problem-oxygenSaturation').innerText()).toContain('από 0 έως 100');
    expect(await page.getByTestId('outbox').locator('[data-status="sent"]').first().innerText()).toContain('Στάλθηκε');
    expect(await untranslatedKeys(page)).toEqual([]);
    await screenshot(page, 'additions-editor-el');
    await editor.getByTestId('input-oxygenSaturation').fill('');
    await setLanguage(page, 'en');
  });

  it("the patient's review merges them (the photo too); the next open shows the note and the heart rate", async () => {
    const patient = env.patients[0]!;
    const result = await reviewAsPatient({
      sandbox: env.sandbox,
      seedDir: env.patientsDir,
      citizenId: patient.citizenId,
      trustAnchorFile: env.pki.root,
    });
    // The note + heart rate, and the photo (its attachment object checked against the signed digests).
    expect(result.pending.map((a) => a.error)).toEqual([null, null]);
    expect(result.pending.flatMap((a) => a.attachments.map((x) => x.ref.size))).toEqual([5 * 1024 * 1024 + 8]);
    expect(result.accepted).toHaveLength(2);
    expect(result.manifestVersion).toBe(patient.manifestVersion + 1);

    await navigate(page, 'patient');
    await page.getByTestId('close-record').click();
    await page.getByTestId('view-scan').waitFor();
    await openByScan(page, patient.qrText, { rescans: 2 });
    expect(await page.getByTestId('break-glass').getByTestId('error-message').count()).toBe(0);
    expect(await page.getByTestId('source').innerText()).toContain('EHR cloud');
    const sections = page.getByTestId('sections');
    await expect.poll(() => sections.innerText()).toContain(NOTE);
    const vitals = await page.getByTestId('section-vitalSigns').innerText();
    expect(vitals).toContain(HEART_RATE);
    expect(vitals).toMatch(/Heart rate/i);
    await page.getByText(NOTE).first().scrollIntoViewIfNeeded();
    await screenshot(page, 'additions-merged-en', false);
  });

  it("a document's progress bar follows main's progress events (determinate)", async () => {
    // Hold the fetch in the page so the bar stays up; main's events are emitted as its download would.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let request: { recordId: string; attachmentId: string } | null = null;
    let continued!: Promise<void>;
    await page.route(
      '**/ipc/emergency.attachment',
      (route) => {
        request = JSON.parse(route.request().postData() ?? 'null') as { recordId: string; attachmentId: string };
        continued = held.then(() => route.continue());
        return continued;
      },
      { times: 1 },
    );
    const viewable = page
      .locator('[data-testid^="attachment-"]')
      .filter({ has: page.getByTestId('attachment-view').and(page.locator(':enabled')) })
      .first();
    const row = page.getByTestId((await viewable.getAttribute('data-testid'))!);
    await row.getByTestId('attachment-view').click();
    await expect.poll(() => request).not.toBeNull();
    const bar = row.getByTestId('attachment-progress');
    expect(await bar.getAttribute('value')).toBeNull(); // indeterminate until main says how far
    app.emit('emergency.attachmentProgress', {
      ...request!,
      receivedBytes: 30_000,
      totalBytes: 120_000,
      state: 'downloading',
    });
    await expect.poll(() => bar.getAttribute('value')).toBe('30000');
    expect(await bar.getAttribute('max')).toBe('120000');
    expect(await row.getByTestId('attachment-progress-text').innerText()).toMatch(/of/);
    // Another record's progress is not this one's: every value the bar takes is recorded, another
    // record's event is emitted, then this record's; once this one's shows, the other never did
    // (events arrive in order).
    // (Page-side code from a string: this file compiles without the DOM library.)
    const recordValues = new Function(
      'el',
      "window.__barValues = []; new MutationObserver(() => window.__barValues.push(el.getAttribute('value'))).observe(el, { attributeFilter: ['value'] });",
    ) as (el: unknown) => void;
    await bar.evaluate(recordValues);
    app.emit('emergency.attachmentProgress', {
      ...request!,
      recordId: 'another',
      receivedBytes: 90_000,
      totalBytes: 120_000,
      state: 'downloading',
    });
    app.emit('emergency.attachmentProgress', {
      ...request!,
      receivedBytes: 45_000,
      totalBytes: 120_000,
      state: 'downloading',
    });
    await expect.poll(() => bar.getAttribute('value')).toBe('45000');
    expect(await page.evaluate('window.__barValues')).toEqual(['45000']);
    await screenshot(page, 'additions-attachment-progress-en', false);
    release();
    await continued;
    await row.getByTestId('attachment-progress').waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('no page errors', () => {
    // (Chromium's favicon request is a 404 in the harness.)
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });
});
