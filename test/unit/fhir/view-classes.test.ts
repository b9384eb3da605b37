import { describe, expect, it } from 'vitest';
import type * as fhir4 from 'fhir/r4';
import { EmergencyView, findSection, type ObservationEntry, type ViewSection } from '../../../common/emergency-view';
import { buildEmergencyView } from '../../../main/fhir/index';
import { code, entry, ipsBundle, LOINC, MEDICATIONS, RESULTS, SNOMED } from './helpers';

/** Issue 13, classes 2, 3, 8, 9 and the per-entry source: one synthetic bundle per behaviour. */

const me = { reference: 'urn:uuid:patient-1' };
const build = (b: fhir4.Bundle): EmergencyView => {
  const v = buildEmergencyView(b);
  expect(EmergencyView.safeParse(v).success).toBe(true);
  return v;
};
const section = (v: EmergencyView, kind: Parameters<typeof findSection>[1]): ViewSection => findSection(v, kind)!;
const PREGNANCY = '10162-6';
const SOCIAL = '29762-2';
const otherPatient = (id: string, given: string, gender: 'male' | 'female' = 'female'): fhir4.BundleEntry =>
  entry(`urn:uuid:${id}`, {
    resourceType: 'Patient',
    id,
    name: [{ family: 'Other', given: [given] }],
    birthDate: '1990-02-01',
    gender,
  });
const pregnant = (id: string, subject: fhir4.Reference): fhir4.BundleEntry =>
  entry(`urn:uuid:${id}`, {
    resourceType: 'Observation',
    status: 'final',
    subject,
    code: code(LOINC, '82810-3', 'Pregnancy status'),
    valueCodeableConcept: code(SNOMED, '77386006', 'Pregnant'),
  });

describe("class 2: entries about other people are never shown as the patient's", () => {
  it('a bundle with several Patients: their pregnancy entries are listed apart, flagged, and the view says so at the top', () => {
    const v = build(
      ipsBundle(
        [{ loinc: PREGNANCY, refs: ['urn:uuid:p1', 'urn:uuid:p2', 'urn:uuid:mine'] }],
        [
          otherPatient('other-1', 'Anna'),
          otherPatient('other-2', 'Eleni'),
          pregnant('p1', { reference: 'urn:uuid:other-1' }),
          pregnant('p2', { reference: 'Patient/other-2' }),
          pregnant('mine', me),
        ],
        { gender: 'male' },
      ),
    );
    expect(section(v, 'pregnancy').entries.map((e) => e.key)).toEqual(['entry-6']);
    expect(section(v, 'pregnancy').otherSubjectEntries).toBe(2);
    expect(v.otherSubjectEntries.map((o) => [o.subject, o.sectionKind, o.entry.key, o.entry.subject])).toEqual([
      ['Patient · Anna Other · born 1990-02-01', 'pregnancy', 'entry-4', 'Patient · Anna Other · born 1990-02-01'],
      ['Patient · Eleni Other · born 1990-02-01', 'pregnancy', 'entry-5', 'Patient · Eleni Other · born 1990-02-01'],
    ]);
    expect(v.otherPatients.map((p) => p.names[0])).toEqual(['Anna Other', 'Eleni Other']);
    expect(v.notices.slice(0, 2).map((n) => n.code)).toEqual(['SEVERAL_PATIENTS', 'OTHER_SUBJECT_ENTRIES']);
    expect(v.notices[0]?.detail).toBe(
      'The document holds 3 patients; the summary is about Pat Test. Entries about the others are listed apart.',
    );
  });

  it("a section whose entries are all about someone else does not show its text as the patient's", () => {
    const v = build(
      ipsBundle(
        [
          {
            loinc: PREGNANCY,
            refs: ['urn:uuid:p1'],
            div: '<div xmlns="http://www.w3.org/1999/xhtml">Pregnancy status: Pregnant</div>',
          },
        ],
        [otherPatient('other-1', 'Anna'), pregnant('p1', { reference: 'urn:uuid:other-1' })],
        { gender: 'male' },
      ),
    );
    expect(section(v, 'pregnancy')).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'no-information', text: 'Only entries about someone else (listed apart)' },
      otherSubjectEntries: 1,
      narrative: 'Pregnancy status: Pregnant',
    });
  });

  it("a subject that is not in the document, or an identifier that is not the patient's, is someone else; a display-only subject is not judged", () => {
    const smoker = (id: string, subject: fhir4.Reference): fhir4.BundleEntry =>
      entry(`urn:uuid:${id}`, {
        resourceType: 'Observation',
        status: 'final',
        subject,
        code: code(LOINC, '72166-2', 'Tobacco smoking status'),
        valueCodeableConcept: { text: 'Smoker' },
      });
    const v = build(
      ipsBundle(
        [{ loinc: SOCIAL, refs: ['urn:uuid:a', 'urn:uuid:b', 'urn:uuid:c', 'urn:uuid:d'] }],
        [
          smoker('a', { reference: 'Patient/somebody-else' }),
          smoker('b', { identifier: { system: 'urn:oid:1.2.3', value: 'X-1' } }),
          smoker('c', { identifier: { system: 'urn:oid:1.2.3', value: 'ME-1' } }),
          smoker('d', { display: 'Pat Test' }),
        ],
        { identifier: [{ system: 'urn:oid:1.2.3', value: 'ME-1' }] },
      ),
    );
    expect(
      section(v, 'socialHistory')
        .entries.map((e) => e.key)
        .sort(),
    ).toEqual(['entry-4', 'entry-5']);
    expect(v.otherSubjectEntries.map((o) => o.subject)).toEqual([
      'not in the document: Patient/somebody-else',
      'identified as X-1 (urn:oid:1.2.3)',
    ]);
    expect(v.otherPatients).toEqual([]);
  });

  it('unlisted resources and panel members about another patient are listed apart too', () => {
    const v = build(
      ipsBundle(
        [{ loinc: RESULTS, refs: ['urn:uuid:panel'] }],
        [
          otherPatient('other-1', 'Anna'),
          entry('urn:uuid:panel', {
            resourceType: 'Observation',
            status: 'final',
            subject: me,
            code: { text: 'Panel' },
            hasMember: [{ reference: 'urn:uuid:m-other' }],
          }),
          entry('urn:uuid:m-other', {
            resourceType: 'Observation',
            status: 'final',
            subject: { reference: 'urn:uuid:other-1' },
            code: { text: 'Member' },
            valueString: 'x',
          }),
          entry('urn:uuid:al', {
            resourceType: 'AllergyIntolerance',
            patient: { reference: 'urn:uuid:other-1' },
            code: { text: 'Peanut' },
            criticality: 'high',
          }),
        ],
      ),
    );
    const panel = section(v, 'results').entries[0] as ObservationEntry;
    expect(panel.members).toEqual([]);
    expect(section(v, 'allergies').status).toBe('absent');
    expect(v.otherSubjectEntries.map((o) => [o.entry.key, o.entry.listedInSection, o.entry.referencedBy])).toEqual([
      ['entry-4', true, 'linked from Observation: Panel'],
      ['entry-5', false, undefined],
    ]);
  });
});

describe('class 3: linked observations are shown under the one that links them', () => {
  it('"Blood type and antibody screen" shows its members; a member the section also lists is shown once', () => {
    const obs = (id: string, name: string, extra: Partial<fhir4.Observation> = {}): fhir4.BundleEntry =>
      entry(`urn:uuid:${id}`, {
        resourceType: 'Observation',
        status: 'final',
        subject: me,
        code: { text: name },
        ...extra,
      });
    const v = build(
      ipsBundle(
        [{ loinc: RESULTS, refs: ['urn:uuid:abo', 'urn:uuid:panel'] }],
        [
          obs('panel', 'Blood type and antibody screen', {
            hasMember: [{ reference: 'urn:uuid:abo' }, { reference: 'Observation/screen' }],
          }),
          obs('abo', 'ABO and Rh group', { valueCodeableConcept: { text: 'A Rh(D) positive' } }),
          {
            fullUrl: 'urn:uuid:screen',
            resource: {
              resourceType: 'Observation',
              id: 'screen',
              status: 'final',
              subject: me,
              code: { text: 'Antibody screen' },
              valueCodeableConcept: { text: 'Negative' },
              hasMember: [{ reference: 'urn:uuid:panel' }],
            },
          },
        ],
      ),
    );
    const entries = section(v, 'results').entries;
    expect(entries).toHaveLength(1);
    const panel = entries[0] as ObservationEntry;
    expect(panel.name).toBe('Blood type and antibody screen');
    expect(panel.members.map((m) => [m.name, m.value, m.link, m.level])).toEqual([
      ['ABO and Rh group', 'A Rh(D) positive', 'hasMember', 1],
      ['Antibody screen', 'Negative', 'hasMember', 1],
    ]);
  });

  it('"Pregnancy status" shows the estimated delivery date it links to (hasMember) and what it was derived from, nested', () => {
    const v = build(
      ipsBundle(
        [{ loinc: PREGNANCY, refs: ['urn:uuid:status'] }],
        [
          entry('urn:uuid:status', {
            resourceType: 'Observation',
            status: 'final',
            subject: me,
            code: code(LOINC, '82810-3', 'Pregnancy status'),
            valueCodeableConcept: code(SNOMED, '77386006', 'Pregnant'),
            hasMember: [{ reference: 'urn:uuid:edd' }],
          }),
          entry('urn:uuid:edd', {
            resourceType: 'Observation',
            status: 'final',
            subject: me,
            code: code(LOINC, '11778-8', 'Delivery date Estimated'),
            valueDateTime: '2025-03-01',
            derivedFrom: [{ reference: 'urn:uuid:lmp' }],
          }),
          entry('urn:uuid:lmp', {
            resourceType: 'Observation',
            status: 'final',
            subject: me,
            code: code(LOINC, '8665-2', 'Last menstrual period start date'),
            valueDateTime: '2024-05-25',
          }),
        ],
      ),
    );
    const s = section(v, 'pregnancy');
    expect(s.entries).toHaveLength(1);
    expect((s.entries[0] as ObservationEntry).members.map((m) => [m.name, m.value, m.link, m.level])).toEqual([
      ['Delivery date Estimated', '2025-03-01', 'hasMember', 1],
      ['Last menstrual period start date', '2024-05-25', 'derivedFrom', 2],
    ]);
    // Linked, not unlisted: no notice says they are outside the sections.
    expect(v.notices.map((n) => n.code)).not.toContain('UNLISTED_RESOURCES');
  });

  it('report results keep their own members', () => {
    const v = build(
      ipsBundle(
        [{ loinc: RESULTS, refs: ['urn:uuid:rep'] }],
        [
          entry('urn:uuid:rep', {
            resourceType: 'DiagnosticReport',
            status: 'final',
            subject: me,
            code: { text: 'Blood bank' },
            result: [{ reference: 'urn:uuid:panel' }, { reference: 'urn:uuid:gone' }],
          }),
          entry('urn:uuid:panel', {
            resourceType: 'Observation',
            status: 'final',
            subject: me,
            code: { text: 'Panel' },
            hasMember: [{ reference: 'urn:uuid:m' }],
          }),
          entry('urn:uuid:m', {
            resourceType: 'Observation',
            status: 'final',
            subject: me,
            code: { text: 'Rh' },
            valueString: 'positive',
          }),
        ],
      ),
    );
    const rep = section(v, 'results').entries[0];
    expect(
      rep?.type === 'report' && [
        rep.results.map((r) => r.name),
        rep.results[0]?.members.map((m) => m.name),
        rep.unresolvedResults,
      ],
    ).toEqual([['Panel'], ['Rh'], 1]);
  });
});

describe('class 8: resources only other resources point at get a place', () => {
  it('a MedicationRequest referenced only from a MedicationStatement (basedOn / derivedFrom) is shown, saying so', () => {
    const v = build(
      ipsBundle(
        [{ loinc: MEDICATIONS, refs: ['urn:uuid:ms'] }],
        [
          entry('urn:uuid:ms', {
            resourceType: 'MedicationStatement',
            status: 'active',
            subject: me,
            medicationCodeableConcept: { text: 'clopidogrel 75 mg' },
            basedOn: [{ reference: 'urn:uuid:mr' }],
            derivedFrom: [{ reference: 'urn:uuid:mr2' }],
          }),
          entry('urn:uuid:mr', {
            resourceType: 'MedicationRequest',
            status: 'active',
            intent: 'order',
            subject: me,
            medicationCodeableConcept: { text: 'clopidogrel 75 mg tablet' },
          }),
          entry('urn:uuid:mr2', {
            resourceType: 'MedicationRequest',
            status: 'unknown',
            intent: 'order',
            subject: me,
            medicationCodeableConcept: { text: 'aspirin 100 mg' },
          }),
          entry('urn:uuid:cp', {
            resourceType: 'CarePlan',
            status: 'active',
            intent: 'plan',
            subject: me,
            title: 'Cardiac rehab',
            addresses: [{ reference: 'urn:uuid:cond' }],
          }),
          entry('urn:uuid:goal', {
            resourceType: 'Goal',
            lifecycleStatus: 'active',
            subject: me,
            description: { text: 'Walk 30 min' },
          }),
        ],
      ),
    );
    const meds = section(v, 'medications').entries;
    expect(
      meds.map((e) => e.type === 'medication' && [e.medication, e.listedInSection, e.referencedBy ?? null]),
    ).toEqual([
      ['clopidogrel 75 mg', true, null],
      ['clopidogrel 75 mg tablet', false, 'MedicationStatement: clopidogrel 75 mg'],
      ['aspirin 100 mg', false, 'MedicationStatement: clopidogrel 75 mg'],
    ]);
    expect(v.notices.find((n) => n.code === 'REFERENCED_ONLY')?.detail).toMatch(
      /^2 entries are in no section but referred to/,
    );
  });

  it('infrastructure (Medication, Practitioner, Organization) is not shown as an entry', () => {
    const v = build(
      ipsBundle(
        [{ loinc: MEDICATIONS, refs: ['urn:uuid:ms'] }],
        [
          entry('urn:uuid:ms', {
            resourceType: 'MedicationStatement',
            status: 'active',
            subject: me,
            medicationReference: { reference: 'urn:uuid:med' },
            informationSource: { reference: 'urn:uuid:dr' },
          }),
          entry('urn:uuid:med', { resourceType: 'Medication', code: { text: 'metformin' } }),
          entry('urn:uuid:dr', { resourceType: 'Practitioner', name: [{ family: 'House' }] }),
        ],
      ),
    );
    expect(v.sections.flatMap((s) => s.entries).map((e) => e.resourceType)).toEqual(['MedicationStatement']);
    expect(v.notices.map((n) => n.code)).not.toContain('REFERENCED_ONLY');
  });
});

describe('class 9: the narrative is shown when no structured entry is usable', () => {
  it('a section whose only reference points at nothing and whose text says "No information about medications"', () => {
    const v = build(
      ipsBundle([
        {
          loinc: MEDICATIONS,
          refs: ['urn:uuid:nowhere'],
          div: '<div xmlns="http://www.w3.org/1999/xhtml">No information about medications</div>',
        },
      ]),
    );
    expect(section(v, 'medications')).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'narrative-only', text: 'No information about medications' },
      unresolvedReferences: ['urn:uuid:nowhere'],
    });
  });
  it('without a narrative, an unresolvable reference still says entries are missing', () => {
    expect(
      section(build(ipsBundle([{ loinc: MEDICATIONS, refs: ['urn:uuid:nowhere'] }])), 'medications'),
    ).toMatchObject({ status: 'entries', entries: [], unresolvedReferences: ['urn:uuid:nowhere'] });
  });
});

describe('the source of each entry', () => {
  it('is the resource JSON, formatted (the medication entry keeps its own "source": statement or request)', () => {
    const ms: fhir4.MedicationStatement = {
      resourceType: 'MedicationStatement',
      status: 'active',
      subject: me,
      medicationCodeableConcept: { text: 'insulin' },
    };
    const v = build(ipsBundle([{ loinc: MEDICATIONS, refs: ['urn:uuid:ms'] }], [entry('urn:uuid:ms', ms)]));
    const e = section(v, 'medications').entries[0]!;
    expect(e.resourceJson).toBe(JSON.stringify(ms, null, 2));
    expect(e).toMatchObject({ source: 'statement' });
  });
});

describe('views read back from the cache', () => {
  it('a view cached by an earlier view model (without the new fields) is rebuilt from the cached IPS; junk with no IPS is refused', async () => {
    const { cachedEmergencyViewOffThread: cachedEmergencyView, stopEmergencyViewWorkers } =
      await import('../../../main/fhir/off-thread');
    const ips = Buffer.from(
      JSON.stringify(
        ipsBundle(
          [{ loinc: MEDICATIONS, refs: ['urn:uuid:ms'] }],
          [
            entry('urn:uuid:ms', {
              resourceType: 'MedicationStatement',
              status: 'unknown',
              subject: me,
              medicationCodeableConcept: { text: 'insulin' },
            }),
          ],
        ),
      ),
    );
    const current = build(JSON.parse(ips.toString()) as fhir4.Bundle);
    await expect(cachedEmergencyView(current, ips)).resolves.toEqual(current);
    const { otherPatients: _p, otherSubjectEntries: _o, ...older } = current;
    expect(EmergencyView.safeParse(older).success).toBe(false);
    await expect(cachedEmergencyView(older, ips)).resolves.toEqual(current);
    await expect(cachedEmergencyView(older, Buffer.from('not json'))).resolves.toBeUndefined();
    await expect(cachedEmergencyView({ junk: 1 }, undefined)).resolves.toBeUndefined();
    await stopEmergencyViewWorkers();
  });
});
