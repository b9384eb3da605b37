import { describe, expect, it } from 'vitest';
import type * as fhir4 from 'fhir/r4';
import { EmergencyView, findSection, type SectionKind, type ViewEntry } from '../../../common/emergency-view';
import { buildEmergencyView } from '../../../main/fhir/index';
import { ALLERGIES, code, entry, ipsBundle, MEDICATIONS, PROBLEMS, SNOMED } from './helpers';

/** Issue 13, classes 4–7: one synthetic bundle per behaviour. */

const subject = { reference: 'urn:uuid:patient-1' };
const build = (b: fhir4.Bundle): EmergencyView => {
  const v = buildEmergencyView(b);
  expect(EmergencyView.safeParse(v).success).toBe(true);
  return v;
};
const one = (loinc: string, kind: SectionKind, resource: fhir4.FhirResource): ViewEntry => {
  const v = build(ipsBundle([{ loinc, refs: ['urn:uuid:x'] }], [entry('urn:uuid:x', resource)]));
  const e = findSection(v, kind)?.entries[0];
  if (!e) throw new Error(`no ${kind} entry`);
  return e;
};
const statement = (extra: Partial<fhir4.MedicationStatement>): fhir4.MedicationStatement => ({
  resourceType: 'MedicationStatement',
  status: 'active',
  subject,
  medicationCodeableConcept: code('http://www.whocc.no/atc', 'A10AB01', 'insulin (human)'),
  ...extra,
});
const dosageOf = (dosage: fhir4.Dosage[]) => {
  const e = one(MEDICATIONS, 'medications', statement({ dosage }));
  if (e.type !== 'medication') throw new Error('not a medication');
  return e;
};

describe('class 4: medication status "unknown" is not "stopped"', () => {
  it.each(['unknown', 'active', 'on-hold', 'intended', 'draft'])(
    'MedicationStatement %s is not de-emphasised',
    (status) => {
      expect(
        one(MEDICATIONS, 'medications', statement({ status: status as fhir4.MedicationStatement['status'] })),
      ).toMatchObject({ active: true, status });
    },
  );
  it.each(['stopped', 'completed', 'not-taken', 'entered-in-error'])('MedicationStatement %s is inactive', (status) => {
    expect(
      one(MEDICATIONS, 'medications', statement({ status: status as fhir4.MedicationStatement['status'] })),
    ).toMatchObject({ active: false });
  });
  it('a MedicationRequest with status unknown sorts with the active ones, before a stopped one', () => {
    const req = (id: string, status: string, name: string): fhir4.BundleEntry =>
      entry(`urn:uuid:${id}`, {
        resourceType: 'MedicationRequest',
        intent: 'order',
        status: status as fhir4.MedicationRequest['status'],
        subject,
        medicationCodeableConcept: { text: name },
      });
    const v = build(
      ipsBundle(
        [{ loinc: MEDICATIONS, refs: ['urn:uuid:s', 'urn:uuid:u', 'urn:uuid:c'] }],
        [req('s', 'stopped', 'aspirin'), req('u', 'unknown', 'methotrexate'), req('c', 'cancelled', 'ibuprofen')],
      ),
    );
    const meds = findSection(v, 'medications')!.entries;
    expect(meds.map((e) => e.type === 'medication' && [e.medication, e.active])).toEqual([
      ['methotrexate', true],
      ['aspirin', false],
      ['ibuprofen', false],
    ]);
  });
});

describe('class 5: "no known ..." written as text only is a statement of absence', () => {
  const allergyText = (text: string, coding?: fhir4.Coding[]): fhir4.AllergyIntolerance => ({
    resourceType: 'AllergyIntolerance',
    patient: subject,
    code: { text, ...(coding ? { coding } : {}) },
  });
  const section = (loinc: string, kind: SectionKind, r: fhir4.FhirResource) =>
    findSection(build(ipsBundle([{ loinc, refs: ['urn:uuid:x'] }], [entry('urn:uuid:x', r)])), kind)!;

  it.each([
    'No known allergies',
    'NKDA',
    'No known drug allergies.',
    'Keine bekannten Allergien',
    'Sin alergias conocidas',
    'Καμία γνωστή αλλεργία',
  ])('allergy "%s" makes the section none-known', (text) => {
    expect(section(ALLERGIES, 'allergies', allergyText(text))).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'none-known', text },
      entries: [],
    });
  });
  it('a local code with a "no known" display counts too; "no information" text is no-information', () => {
    expect(
      section(
        ALLERGIES,
        'allergies',
        allergyText('', [{ system: 'urn:oid:1.2.3.4', code: 'NKA', display: 'No known allergies' }]),
      ).noInformation,
    ).toMatchObject({ kind: 'none-known', text: 'No known allergies' });
    expect(section(ALLERGIES, 'allergies', allergyText('No information about allergies')).noInformation).toMatchObject({
      kind: 'no-information',
      text: 'No information about allergies',
    });
  });
  it('medications and problems: text-only "No known medications" / "No current problems"', () => {
    expect(
      section(MEDICATIONS, 'medications', statement({ medicationCodeableConcept: { text: 'No known medications' } }))
        .noInformation?.kind,
    ).toBe('none-known');
    expect(
      section(PROBLEMS, 'problems', { resourceType: 'Condition', subject, code: { text: 'No current problems' } })
        .noInformation?.kind,
    ).toBe('none-known');
  });
  it('real allergies written as text, qualified statements, and texts contradicted by a SNOMED code stay entries', () => {
    for (const text of [
      'Penicillin',
      'No drug allergies but allergic to peanuts',
      'Nonsteroidal anti-inflammatory drugs',
      'Nuts',
    ]) {
      expect(section(ALLERGIES, 'allergies', allergyText(text))).toMatchObject({
        status: 'entries',
        entries: [{ substance: text }],
      });
    }
    const coded = section(
      ALLERGIES,
      'allergies',
      allergyText('no known allergy', [{ system: SNOMED, code: '91936005', display: 'Allergy to penicillin' }]),
    );
    expect(coded.status).toBe('entries');
    expect(coded.entries[0]?.absence).toBeUndefined();
  });
});

describe('class 6: dosage keeps its timing', () => {
  it('"1, twice a day, for 14 days": dose, frequency, bounds, route', () => {
    const e = dosageOf([
      {
        timing: {
          repeat: {
            frequency: 2,
            period: 1,
            periodUnit: 'd',
            boundsDuration: { value: 14, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' },
          },
        },
        route: code('http://standardterms.edqm.eu', '20053000', 'Oral use'),
        doseAndRate: [{ doseQuantity: { value: 1 } }],
      },
    ]);
    expect(e.dosage).toEqual(['1, twice a day, for 14 days, Oral use']);
    expect(e.dosageDetails[0]).toMatchObject({ dose: '1', timing: 'twice a day, for 14 days', route: 'Oral use' });
  });
  it('the text is kept and the structure added; as needed, when, every n hours, bounds period, max dose', () => {
    const e = dosageOf([
      { sequence: 2, text: 'at night', timing: { repeat: { when: ['HS'] } } },
      {
        sequence: 1,
        text: 'Take one or two for pain',
        doseAndRate: [{ doseRange: { low: { value: 1, unit: 'tablet' }, high: { value: 2, unit: 'tablet' } } }],
        timing: {
          repeat: {
            frequency: 1,
            period: 4,
            periodMax: 6,
            periodUnit: 'h',
            boundsPeriod: { start: '2024-01-01', end: '2024-01-14' },
          },
        },
        asNeededCodeableConcept: { text: 'pain' },
        maxDosePerPeriod: {
          numerator: { value: 8, unit: 'tablet' },
          denominator: { value: 1, system: 'http://unitsofmeasure.org', code: 'd' },
        },
      },
    ]);
    expect(e.dosage).toEqual([
      'Take one or two for pain (1–2 tablet, every 4–6 hours, from 2024-01-01 to 2024-01-14, as needed for pain, max 8 tablet per day)',
      'at night (at bedtime)',
    ]);
    expect(e.dosageDetails[0]).toMatchObject({
      text: 'Take one or two for pain',
      asNeeded: 'as needed for pain',
      maxDose: '8 tablet per day',
    });
  });
  it('frequency words, timing codes, days and times, duration per dose, count', () => {
    expect(
      dosageOf([{ timing: { repeat: { frequency: 3, period: 1, periodUnit: 'd', when: ['PC'] } } }]).dosage,
    ).toEqual(['3 times a day, after meals']);
    expect(
      dosageOf([
        {
          timing: {
            repeat: { frequency: 1, period: 1, periodUnit: 'wk', dayOfWeek: ['mon'], timeOfDay: ['08:00:00'] },
          },
        },
      ]).dosage,
    ).toEqual(['once a week, on mon, at 08:00:00']);
    expect(
      dosageOf([
        {
          timing: {
            code: {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation', code: 'BID', display: 'BID' },
              ],
            },
          },
        },
      ]).dosage,
    ).toEqual(['BID']);
    expect(
      dosageOf([
        {
          timing: { repeat: { frequency: 1, period: 8, periodUnit: 'h', duration: 30, durationUnit: 'min', count: 6 } },
          route: { text: 'IV' },
        },
      ]).dosage,
    ).toEqual(['every 8 hours, each time over 30 minutes, 6 doses in all, IV']);
    expect(
      dosageOf([{ asNeededBoolean: true, doseAndRate: [{ doseQuantity: { value: 5, unit: 'mL' } }] }]).dosage,
    ).toEqual(['5 mL, as needed']);
  });
});

describe('class 7: recordedDate and periods', () => {
  it('a Condition whose only date is recordedDate shows it (and sorts by it)', () => {
    expect(
      one(PROBLEMS, 'problems', {
        resourceType: 'Condition',
        subject,
        code: { text: 'Asthma' },
        recordedDate: '2015-03-02',
      }),
    ).toMatchObject({ problem: 'Asthma', recorded: '2015-03-02' });
  });
  it('a CarePlan shows its period, intent, status and title', () => {
    const e = one('18776-5', 'planOfCare', {
      resourceType: 'CarePlan',
      status: 'active',
      intent: 'plan',
      subject,
      title: 'Oncology follow-up',
      period: { start: '2024-01-01', end: '2024-06-30' },
    });
    expect(e).toMatchObject({
      type: 'other',
      description: 'Oncology follow-up',
      period: '2024-01-01 – 2024-06-30',
      intent: 'plan',
      status: 'active',
    });
  });
  it('a CarePlan named by its title keeps its plan text as the detail line, shown once', () => {
    const plan = (extra: Partial<fhir4.CarePlan>) =>
      one('18776-5', 'planOfCare', { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject, ...extra });
    const daily = 'Daily weights; call the heart failure nurse if weight rises by more than 2 kg in 3 days.';
    expect(plan({ title: 'Heart failure plan', description: daily })).toMatchObject({
      description: 'Heart failure plan',
      detail: daily,
    });
    // Nothing said twice: a description equal to the title, or the only text (no title), or equal to the category's display.
    expect(plan({ title: 'Respiratory therapy', description: 'respiratory therapy' })).not.toHaveProperty('detail');
    expect(plan({ description: daily })).toMatchObject({ description: daily });
    expect(plan({ description: daily })).not.toHaveProperty('detail');
    const category = [code(SNOMED, '53950000', 'Respiratory therapy')];
    expect(plan({ category, description: 'Respiratory therapy' })).not.toHaveProperty('detail');
    expect(plan({ category, title: 'Bronchitis care', description: 'Respiratory therapy' })).toMatchObject({
      description: 'Bronchitis care',
    });
    expect(plan({ category, title: 'Bronchitis care', description: 'Respiratory therapy' })).not.toHaveProperty(
      'detail',
    );
  });
  it('a Goal shows its description concept, start and due date', () => {
    const e = one('18776-5', 'planOfCare', {
      resourceType: 'Goal',
      lifecycleStatus: 'active',
      subject,
      description: { text: 'HbA1c below 7%' },
      startDate: '2024-02-01',
      target: [{ dueDate: '2024-12-31' }],
    });
    expect(e).toMatchObject({ type: 'other', description: 'HbA1c below 7%', period: 'from 2024-02-01 due 2024-12-31' });
  });
});
