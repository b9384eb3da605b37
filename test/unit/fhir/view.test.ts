import { describe, expect, it } from 'vitest';
import type * as fhir4 from 'fhir/r4';
import { EmergencyView, findSection, type ViewEntry, type ViewSection } from '../../../common/emergency-view';
import { buildEmergencyView } from '../../../main/fhir/index';
import { htmlToText } from '../../../main/fhir/text';
import { ALLERGIES, code, entry, ipsBundle, LOINC, MEDICATIONS, PROBLEMS, RESULTS, SNOMED } from './helpers';

const subject = { reference: 'urn:uuid:patient-1' };

function build(bundle: fhir4.Bundle): EmergencyView {
  const v = buildEmergencyView(bundle);
  expect(EmergencyView.safeParse(v).success).toBe(true);
  return v;
}
const section = (v: EmergencyView, kind: Parameters<typeof findSection>[1]): ViewSection => findSection(v, kind)!;
const names = (entries: ViewEntry[]) =>
  entries.map((e) =>
    e.type === 'allergy'
      ? e.substance
      : e.type === 'problem'
        ? e.problem
        : e.type === 'medication'
          ? e.medication
          : e.type === 'observation'
            ? e.name
            : e.type,
  );

const allergy = (id: string, substance: string, extra: Partial<fhir4.AllergyIntolerance> = {}): fhir4.BundleEntry =>
  entry(`urn:uuid:${id}`, {
    resourceType: 'AllergyIntolerance',
    id,
    patient: subject,
    code: code(SNOMED, id, substance),
    ...extra,
  });

describe('section status: entries, no information, absent', () => {
  it('emptyReason gives no-information; nilknown gives none-known; a missing section is absent', () => {
    const v = build(
      ipsBundle([
        { loinc: ALLERGIES, emptyReason: 'unavailable' },
        { loinc: PROBLEMS, emptyReason: 'nilknown' },
      ]),
    );
    expect(section(v, 'allergies')).toMatchObject({
      status: 'no-information',
      inDocument: true,
      noInformation: { kind: 'no-information', text: 'Unavailable' },
    });
    expect(section(v, 'problems')).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'none-known', text: 'Nil known' },
    });
    expect(section(v, 'medications')).toMatchObject({ status: 'absent', inDocument: false, entries: [] });
    expect(v.notices).toContainEqual({
      code: 'REQUIRED_SECTION_ABSENT',
      detail: 'The document has no Medication Summary section.',
    });
  });

  it('an entry coded SNOMED 1287211007 or an IPS no-info code is no-information, not an entry', () => {
    const v = build(
      ipsBundle(
        [
          { loinc: ALLERGIES, refs: ['urn:uuid:a1'] },
          { loinc: MEDICATIONS, refs: ['urn:uuid:m1'] },
        ],
        [
          entry('urn:uuid:a1', {
            resourceType: 'AllergyIntolerance',
            patient: subject,
            code: code(SNOMED, '1287211007', 'No information about allergy'),
          }),
          entry('urn:uuid:m1', {
            resourceType: 'MedicationStatement',
            status: 'active',
            subject,
            medicationCodeableConcept: code(
              'http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips',
              'no-medication-info',
            ),
          }),
        ],
      ),
    );
    expect(section(v, 'allergies')).toMatchObject({
      status: 'no-information',
      entries: [],
      noInformation: { kind: 'no-information', text: 'No information about allergy' },
    });
    // The entry that states it is named, so nothing the section lists goes unaccounted for.
    expect(section(v, 'allergies').noInformation?.entryKeys).toEqual(['entry-2']);
    // No display in the document: the known display of the IPS code is used.
    expect(section(v, 'medications').noInformation).toMatchObject({
      kind: 'no-information',
      text: 'No information about medications',
    });
  });

  it('"No known allergy" (716186003) is none-known; among real allergies it stays, as a statement, last', () => {
    const only = build(
      ipsBundle(
        [{ loinc: ALLERGIES, refs: ['urn:uuid:nka'] }],
        [allergy('nka', 'No known allergy', { code: code(SNOMED, '716186003', 'No known allergy') })],
      ),
    );
    expect(section(only, 'allergies').noInformation).toMatchObject({ kind: 'none-known', text: 'No known allergy' });

    const mixed = build(
      ipsBundle(
        [{ loinc: ALLERGIES, refs: ['urn:uuid:nkfa', 'urn:uuid:pen'] }],
        [
          allergy('nkfa', 'No known food allergy', { code: code(SNOMED, '429625007', 'No known food allergy') }),
          allergy('pen', 'Penicillin'),
        ],
      ),
    );
    const s = section(mixed, 'allergies');
    expect(s.status).toBe('entries');
    expect(names(s.entries)).toEqual(['Penicillin', 'No known food allergy']);
    expect(s.entries[1]?.absence).toBe('none-known');
  });

  it('a section with narrative only says so and keeps the text (tags stripped)', () => {
    const v = build(
      ipsBundle([
        {
          loinc: '18776-5',
          title: 'Plan of Care',
          div: '<div xmlns="http://www.w3.org/1999/xhtml"><p>Continue <b>anastrozole</b></p><p>Review &amp; follow up</p></div>',
        },
      ]),
    );
    const s = section(v, 'planOfCare');
    expect(s).toMatchObject({ status: 'no-information', noInformation: { kind: 'narrative-only' } });
    expect(s.narrative).toBe('Continue anastrozole\nReview & follow up');
  });
});

describe('references', () => {
  const condition = (id: string | undefined, text: string): fhir4.Condition => ({
    resourceType: 'Condition',
    ...(id ? { id } : {}),
    subject,
    clinicalStatus: code('http://terminology.hl7.org/CodeSystem/condition-clinical', 'active'),
    code: { text },
  });

  it('resolve by urn:uuid, absolute fullUrl, relative Type/id, id without fullUrl, and versioned refs', () => {
    const v = build(
      ipsBundle(
        [
          {
            loinc: PROBLEMS,
            refs: [
              'urn:uuid:c1',
              'https://example.org/fhir/Condition/c2',
              'Condition/c3',
              'Condition/c4',
              'Condition/c5/_history/2',
            ],
          },
        ],
        [
          entry('urn:uuid:c1', condition('c1', 'by urn')),
          entry('https://example.org/fhir/Condition/c2', condition(undefined, 'by absolute url, no id')),
          entry('https://other.example/fhir/Condition/c3', condition('c3', 'relative against an absolute fullUrl')),
          entry(undefined, condition('c4', 'no fullUrl at all')),
          entry('urn:uuid:c5', condition('c5', 'versioned')),
        ],
      ),
    );
    expect(names(section(v, 'problems').entries)).toEqual([
      'by urn',
      'by absolute url, no id',
      'relative against an absolute fullUrl',
      'no fullUrl at all',
      'versioned',
    ]);
    expect(section(v, 'problems').unresolvedReferences).toEqual([]);
  });

  it('contained resources (#id) resolve within their container', () => {
    const v = build(
      ipsBundle(
        [{ loinc: MEDICATIONS, refs: ['urn:uuid:ms1'] }],
        [
          entry('urn:uuid:ms1', {
            resourceType: 'MedicationStatement',
            status: 'active',
            subject,
            contained: [
              {
                resourceType: 'Medication',
                id: 'med',
                code: code('http://www.whocc.no/atc', 'C10AA01', 'simvastatin'),
                form: { text: 'tablet' },
                ingredient: [
                  {
                    itemCodeableConcept: { text: 'simvastatin' },
                    strength: { numerator: { value: 40, unit: 'mg' }, denominator: { value: 1, unit: 'tablet' } },
                  },
                ],
              },
            ],
            medicationReference: { reference: '#med' },
            dosage: [
              {
                doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }],
                timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
                route: { text: 'oral' },
              },
            ],
          }),
        ],
      ),
    );
    expect(section(v, 'medications').entries[0]).toMatchObject({
      type: 'medication',
      medication: 'simvastatin',
      ingredients: ['simvastatin 40 mg/1 tablet'],
      form: 'tablet',
      dosage: ['1 tablet, once a day, oral'],
      source: 'statement',
      active: true,
    });
  });

  it('an unresolvable section entry is a placeholder and a notice, never a crash; a missing Medication is named as such', () => {
    const v = build(
      ipsBundle(
        [
          { loinc: PROBLEMS, refs: ['Condition/nowhere'] },
          { loinc: MEDICATIONS, refs: ['urn:uuid:mr1'] },
        ],
        [
          entry('urn:uuid:mr1', {
            resourceType: 'MedicationRequest',
            status: 'active',
            intent: 'order',
            subject,
            medicationReference: { reference: 'Medication/gone', display: 'Aspirin 100 mg' },
          }),
        ],
      ),
    );
    expect(section(v, 'problems')).toMatchObject({
      status: 'entries',
      entries: [],
      unresolvedReferences: ['Condition/nowhere'],
    });
    expect(v.notices.map((n) => n.code)).toContain('UNRESOLVED_REFERENCES');
    expect(section(v, 'medications').entries[0]).toMatchObject({ medication: 'Aspirin 100 mg', source: 'request' });
    const noDisplay = build(
      ipsBundle(
        [{ loinc: MEDICATIONS, refs: ['urn:uuid:mr1'] }],
        [
          entry('urn:uuid:mr1', {
            resourceType: 'MedicationRequest',
            status: 'active',
            intent: 'order',
            subject,
            medicationReference: { reference: 'Medication/gone' },
          }),
        ],
      ),
    );
    expect(section(noDisplay, 'medications').entries[0]).toMatchObject({
      medication: '(medication not found: Medication/gone)',
    });
  });

  it('clinical resources no section lists are shown under their usual section, marked as such', () => {
    const v = build(
      ipsBundle(
        [{ loinc: PROBLEMS, emptyReason: 'unavailable' }],
        [allergy('hidden', 'Latex', { criticality: 'high' })],
      ),
    );
    expect(section(v, 'allergies')).toMatchObject({ status: 'entries', inDocument: false });
    expect(section(v, 'allergies').entries[0]).toMatchObject({ substance: 'Latex', listedInSection: false });
    expect(v.notices.map((n) => n.code)).toContain('UNLISTED_RESOURCES');
  });

  it('a subject that is not in the document falls back to the only Patient, with a notice', () => {
    const bundle = ipsBundle([]);
    (bundle.entry![0]!.resource as fhir4.Composition).subject = { reference: 'Patient/elsewhere' };
    const v = build(bundle);
    expect(v.patient).toMatchObject({ found: true, names: ['Pat Test'] });
    expect(v.notices.map((n) => n.code)).toContain('PATIENT_NOT_FOUND');
  });

  it('a malformed resource becomes a readable placeholder entry', () => {
    const broken = {
      resourceType: 'Condition',
      subject,
      code: { coding: 'not-an-array', text: 42 },
      note: 'x',
      onsetPeriod: 7,
    } as unknown as fhir4.Condition;
    const v = build(ipsBundle([{ loinc: PROBLEMS, refs: ['urn:uuid:bad'] }], [entry('urn:uuid:bad', broken)]));
    expect(section(v, 'problems').entries).toHaveLength(1);
  });
});

describe('ordering for the emergency screen', () => {
  it('allergies: high criticality first, then unable-to-assess, unspecified, low; inactive and refuted after', () => {
    const v = build(
      ipsBundle(
        [
          {
            loinc: ALLERGIES,
            refs: ['low', 'none', 'refuted', 'high', 'uta', 'resolved'].map((id) => `urn:uuid:${id}`),
          },
        ],
        [
          allergy('low', 'Low', { criticality: 'low' }),
          allergy('none', 'Unspecified'),
          allergy('refuted', 'Refuted', {
            criticality: 'high',
            verificationStatus: code(
              'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
              'refuted',
            ),
          }),
          allergy('high', 'High', { criticality: 'high' }),
          allergy('uta', 'Unable', { criticality: 'unable-to-assess' }),
          allergy('resolved', 'Resolved', {
            criticality: 'high',
            clinicalStatus: code('http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', 'resolved'),
          }),
        ],
      ),
    );
    expect(names(section(v, 'allergies').entries)).toEqual([
      'High',
      'Unable',
      'Unspecified',
      'Low',
      'Resolved',
      'Refuted',
    ]);
  });

  it('allergy reactions: manifestations and the worst severity', () => {
    const v = build(
      ipsBundle(
        [{ loinc: ALLERGIES, refs: ['urn:uuid:pn'] }],
        [
          allergy('pn', 'Peanut', {
            criticality: 'high',
            verificationStatus: code(
              'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
              'confirmed',
            ),
            reaction: [
              { manifestation: [code(SNOMED, '271807003', 'Rash')], severity: 'mild' },
              { manifestation: [code(SNOMED, '39579001', 'Anaphylaxis')], severity: 'severe' },
            ],
          }),
        ],
      ),
    );
    expect(section(v, 'allergies').entries[0]).toMatchObject({
      highestSeverity: 'severe',
      verificationStatus: 'confirmed',
      reactions: [{ manifestations: ['Rash'] }, { manifestations: ['Anaphylaxis'] }],
    });
  });

  it('problems: active first, document order kept among equals', () => {
    const cond = (id: string, status: string): fhir4.BundleEntry =>
      entry(`urn:uuid:${id}`, {
        resourceType: 'Condition',
        subject,
        code: { text: id },
        clinicalStatus: code('http://terminology.hl7.org/CodeSystem/condition-clinical', status),
      });
    const v = build(
      ipsBundle(
        [{ loinc: PROBLEMS, refs: ['a', 'b', 'c', 'd'].map((i) => `urn:uuid:${i}`) }],
        [cond('a', 'resolved'), cond('b', 'active'), cond('c', 'inactive'), cond('d', 'recurrence')],
      ),
    );
    expect(names(section(v, 'problems').entries)).toEqual(['b', 'd', 'a', 'c']);
  });

  it('results: newest first with value, unit, reference range and interpretation; undated last', () => {
    const obs = (id: string, date: string | undefined, extra: Partial<fhir4.Observation> = {}): fhir4.BundleEntry =>
      entry(`urn:uuid:${id}`, {
        resourceType: 'Observation',
        status: 'final',
        subject,
        code: code(LOINC, id, id),
        ...(date ? { effectiveDateTime: date } : {}),
        ...extra,
      });
    const v = build(
      ipsBundle(
        [{ loinc: RESULTS, refs: ['old', 'undated', 'new', 'mid'].map((i) => `urn:uuid:${i}`) }],
        [
          obs('old', '2019'),
          obs('undated', undefined),
          obs('new', '2024-03-01T10:00:00Z', {
            valueQuantity: { value: 6.2, comparator: '>', unit: 'mmol/L' },
            referenceRange: [{ low: { value: 3.5, unit: 'mmol/L' }, high: { value: 5.1, unit: 'mmol/L' } }],
            interpretation: [code('http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', 'H')],
          }),
          obs('mid', '2021-06'),
        ],
      ),
    );
    const entries = section(v, 'results').entries;
    expect(names(entries)).toEqual(['new', 'mid', 'old', 'undated']);
    expect(entries[0]).toMatchObject({
      value: '>6.2',
      unit: 'mmol/L',
      referenceRange: '3.5–5.1 mmol/L',
      interpretation: ['High'],
      abnormal: true,
    });
  });
});

describe('display text fallback chain', () => {
  const cond = (cc: fhir4.CodeableConcept, text?: fhir4.Narrative): fhir4.BundleEntry =>
    entry('urn:uuid:x', { resourceType: 'Condition', subject, code: cc, ...(text ? { text } : {}) });
  const problemName = (e: fhir4.BundleEntry) =>
    names(section(build(ipsBundle([{ loinc: PROBLEMS, refs: ['urn:uuid:x'] }], [e])), 'problems').entries)[0];

  it('coding display, then text, then code with system short name, then the narrative (plain)', () => {
    expect(
      problemName(cond({ coding: [{ system: SNOMED, code: '38341003', display: 'Hypertension' }], text: 'High BP' })),
    ).toBe('Hypertension');
    expect(problemName(cond({ coding: [{ system: SNOMED, code: '38341003' }], text: 'High BP' }))).toBe('High BP');
    expect(problemName(cond({ coding: [{ system: SNOMED, code: '38341003' }] }))).toBe('38341003 (SNOMED CT)');
    expect(problemName(cond({ coding: [{ system: 'urn:oid:1.2.3', code: 'X1' }] }))).toBe('X1 (OID 1.2.3)');
    expect(
      problemName(
        cond(
          {},
          { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Asthma <i>since</i> 2001</div>' },
        ),
      ),
    ).toBe('Asthma since 2001');
    expect(problemName(cond({}))).toBe('(not named in the document)');
  });

  it('narrative to text: tables, line breaks, entities, scripts; never markup', () => {
    expect(
      htmlToText('<div><table><tr><td>Na</td><td>140</td></tr><tr><td>K</td><td>&lt;3.5</td></tr></table></div>'),
    ).toBe('Na | 140\nK | <3.5');
    expect(htmlToText('<div>a<br/>b&nbsp;c &#233;&#x20AC;<script>alert(1)</script></div>')).toBe('a\nb c é€');
    expect(htmlToText('<div><!-- x --></div>')).toBeUndefined();
  });
});

describe('patient header', () => {
  it('names (official first), identifiers, contacts (emergency first), languages (preferred first)', () => {
    const v = build(
      ipsBundle([], [], {
        name: [
          { use: 'nickname', given: ['Patty'] },
          { use: 'official', family: 'Test', given: ['Patricia', 'Ann'] },
        ],
        identifier: [
          { system: 'urn:oid:2.16.840.1.113883.2.9.4.3.2', value: 'RSSMRA70A01H501S' },
          { type: { text: 'Passport' }, value: 'X123' },
        ],
        contact: [
          { relationship: [code('http://terminology.hl7.org/CodeSystem/v2-0131', 'N')], name: { text: 'Next Kin' } },
          {
            relationship: [code('http://terminology.hl7.org/CodeSystem/v2-0131', 'C')],
            name: { given: ['Em'], family: 'Ergency' },
            telecom: [{ system: 'phone', value: '+30 210 000' }],
          },
        ],
        communication: [
          { language: { text: 'English' } },
          { language: code('urn:ietf:bcp:47', 'el', 'Greek'), preferred: true },
        ],
      }),
    );
    expect(v.patient.names).toEqual(['Patricia Ann Test', 'Patty']);
    expect(v.patient.identifiers).toEqual([
      { value: 'RSSMRA70A01H501S', label: 'urn:oid:2.16.840.1.113883.2.9.4.3.2' },
      { value: 'X123', label: 'Passport' },
    ]);
    expect(v.patient.contacts.map((c) => [c.name, c.emergency, c.relationship])).toEqual([
      ['Em Ergency', true, ['Emergency contact']],
      ['Next Kin', false, ['Next of kin']],
    ]);
    expect(v.patient.languages).toEqual([
      { language: 'Greek', preferred: true },
      { language: 'English', preferred: false },
    ]);
    expect(v.document).toMatchObject({ title: 'Test Summary', date: '2024-01-01', authors: ['Dr Test'] });
  });
  it('a contact relationship sent as a bare HL7 code is named (MTH -> Mother), an unknown one keeps its code', () => {
    const v = build(
      ipsBundle([], [], {
        contact: [
          { relationship: [code('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'MTH')], name: { text: 'A' } },
          { relationship: [code('http://terminology.hl7.org/CodeSystem/v3-RoleClass', 'NOK')], name: { text: 'B' } },
          { relationship: [code('http://terminology.hl7.org/CodeSystem/v3-RoleCode', 'ZZZ')], name: { text: 'C' } },
        ],
      }),
    );
    expect(v.patient.contacts.map((c) => [c.name, c.relationship])).toEqual([
      ['A', ['Mother']],
      ['B', ['Next of kin']],
      ['C', ['ZZZ (v3-RoleCode)']],
    ]);
  });
});
