import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
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
import { openRecordFrom, previewFor } from './support/record-fixtures';

/**
 * Issue 13 in the real renderer: a summary holding several Patients says so at the top, and the
 * entries about other people are listed apart under a warning (never in the patient's sections);
 * a panel shows its linked members; every entry has a read-only source view. The emergency
 * channels are answered in the page with views built by main/fhir from real samples.
 */
describe.each<Lang>(['en', 'el'])('identity and linked entries on the summary (%s)', (lang) => {
  let app: UiApp;
  let page: Page;

  async function open(sample: string) {
    await answerChannel(page, 'emergency.scan', () => ({ ok: true, value: previewFor() }));
    await answerChannel(page, 'emergency.open', () => ({ ok: true, value: openRecordFrom(sample) }));
    await answerChannel(page, 'emergency.current', () => ({ ok: true, value: null }));
    await answerChannel(page, 'emergency.close', () => ({ ok: true, value: { closed: true } }));
    if ((await page.getByTestId('lock-now').count()) === 0)
      await signIn(page, app.pki!.files.clinician, app.pki!.passphrase);
    await page.getByTestId('lock-now').waitFor();
    await navigate(page, 'scan');
    await scanWithWedge(page, 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789');
    await page.getByTestId('open-record').click();
    await page.getByTestId('reason-emergency-treatment').check();
    await page.getByTestId('confirm-open').click();
    await page.getByTestId('patient-header').waitFor();
  }

  beforeAll(async () => {
    app = await startUiApp({ language: lang, pki: true });
    page = await app.open();
  });

  afterAll(async () => {
    await app?.close();
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
  });

  it("several Patients: the notice at the top, the other people's entries apart under a warning, not in the sections", async () => {
    await open('CY_Andreas_Ioannou_01.json');
    const others = page.getByTestId('other-patients');
    await others.waitFor();
    expect(await others.locator('li').count()).toBe(9);
    const apart = page.getByTestId('other-subject-entries');
    expect(await apart.getByRole('alert').count()).toBe(1);
    expect(await apart.locator('li.other-subject-entry').count()).toBe(17);
    // The pregnancy section lists five entries about other people: none is in it, it says they are apart.
    const pregnancy = page.getByTestId('section-pregnancy');
    expect(await pregnancy.locator('ul.entries > li').count()).toBe(0);
    expect(await pregnancy.getByTestId('section-listed-apart').count()).toBe(1);
    expect(await untranslatedKeys(page)).toEqual([]);
    await screenshot(page, `ips-other-subjects-${lang}`);
  });

  it("a panel shows its members; an entry's source is its JSON, read-only", async () => {
    await open('IPS_IG-bundle-01.json');
    const members = page.getByTestId('linked-members');
    await members.first().waitFor();
    expect(await members.first().locator('li').count()).toBeGreaterThan(0);
    // Allergies are in the critical band: the full entries (and their source) are one click away, under "Details".
    const allergies = page.getByTestId('section-allergies');
    await allergies.locator('details.crit-details > summary').click();
    const source = allergies.getByTestId('entry-source').first();
    await source.locator('summary').click();
    const json = await source.locator('pre').innerText();
    expect(JSON.parse(json)).toMatchObject({ resourceType: 'AllergyIntolerance' });
    expect(await untranslatedKeys(page)).toEqual([]);
  });

  it('a text-only section (plan of care) shows its text once: the absence line says "text only", the text is below it', async () => {
    await open('IPS_IG-bundle-01.json');
    const plan = page.getByTestId('section-planOfCare');
    await plan.waitFor();
    expect(await plan.getAttribute('data-status')).toBe('no-information');
    expect(await plan.locator('[data-absence="narrative-only"]').count()).toBe(1);
    const text = await plan.innerText();
    expect(text.split('Continue hormone medication with Anastrozole').length - 1).toBe(1);
    expect(await plan.locator('details.narrative[open] .narrative-text').innerText()).toContain(
      'Continue hormone medication with Anastrozole',
    );
  });

  it("a contact's relationship is a label of its own, apart from the name as the document spells it", async () => {
    await open('IPS_IG_bundle-no-info-required-sections.json');
    await page.getByTestId('patient-more').locator('summary').click();
    const contact = page.getByTestId('patient-contact').filter({ hasText: 'Natural mother mother' });
    expect(await contact.getByTestId('contact-name').innerText()).toBe('Natural mother mother');
    expect(await contact.getByTestId('contact-relationship').innerText()).toBe('family member');
    expect(await untranslatedKeys(page)).toEqual([]);
  });
});
