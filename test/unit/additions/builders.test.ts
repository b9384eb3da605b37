import { createHash } from 'node:crypto';
import type * as fhir4 from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { VITAL_SIGNS } from '../../../common/additions';
import { WorkstationError } from '../../../common/errors';
import { attachmentRefsOf } from '../../../main/additions/attachments';
import { buildAdditionBundle, kindCounts, patientReferenceOf } from '../../../main/additions/fhir';
import { counterIds, EVERY_FORM, PATIENT, STAGED_ATTACHMENTS } from './helpers';

const author = {
  name: 'Dr Eleni Test',
  registration: 'GR-MED-12345',
  certFingerprint: 'AB'.repeat(32),
  roleText: 'physician',
};
const ctx = {
  patient: PATIENT,
  author,
  workstation: { id: 'ws-er-01', site: 'General Hospital' },
  recorded: new Date('2026-03-01T10:00:00.000Z'),
  newId: counterIds(),
};

const resources = (b: fhir4.Bundle) => (b.entry ?? []).map((e) => e.resource!);
const ofType = <T extends fhir4.FhirResource['resourceType']>(b: fhir4.Bundle, t: T) =>
  resources(b).filter((r) => r.resourceType === t) as Extract<fhir4.FhirResource, { resourceType: T }>[];

describe('buildAdditionBundle', () => {
  const bundle = buildAdditionBundle(EVERY_FORM, {
    attachments: STAGED_ATTACHMENTS,
    ...ctx,
    newId: counterIds(),
  });

  it('is a collection bundle: Practitioner first, Provenance last, every entry with a unique urn:uuid fullUrl', () => {
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    expect(bundle.timestamp).toBe('2026-03-01T10:00:00.000Z');
    const entries = bundle.entry!;
    expect(entries[0]!.resource!.resourceType).toBe('Practitioner');
    expect(entries.at(-1)!.resource!.resourceType).toBe('Provenance');
    const urls = entries.map((e) => e.fullUrl);
    expect(new Set(urls).size).toBe(urls.length);
    for (const e of entries) expect(e.fullUrl).toBe(`urn:uuid:${e.resource!.id}`);
  });

  it('has a Provenance: every clinical resource a target, author = the Practitioner, the workstation as device, the patient as source', () => {
    const [prov] = ofType(bundle, 'Provenance');
    const clinical = bundle.entry!.filter((e) => !['Practitioner', 'Provenance'].includes(e.resource!.resourceType));
    expect(prov!.target.map((t) => t.reference).sort()).toEqual(clinical.map((e) => e.fullUrl).sort());
    expect(prov!.recorded).toBe('2026-03-01T10:00:00.000Z');
    const practitionerUrl = bundle.entry![0]!.fullUrl;
    expect(prov!.agent[0]).toMatchObject({
      type: { coding: [{ code: 'author' }] },
      who: { reference: practitionerUrl, display: 'Dr Eleni Test' },
    });
    expect(prov!.agent[1]!.who).toMatchObject({
      type: 'Device',
      identifier: { system: 'urn:hcp-workstation:workstation-id', value: 'ws-er-01' },
    });
    expect(prov!.entity).toEqual([{ role: 'source', what: PATIENT }]);
    expect(prov!.signature).toBeUndefined();
    const [practitioner] = ofType(bundle, 'Practitioner');
    expect(practitioner!.identifier).toEqual([
      { system: 'urn:hcp-workstation:clinician-registration', value: 'GR-MED-12345' },
      { system: 'urn:hcp-workstation:certificate-sha256', value: 'ab'.repeat(32) },
    ]);
  });

  it('vital signs: one Observation each (LOINC, UCUM, category vital-signs), blood pressure as a panel with two components', () => {
    const obs = ofType(bundle, 'Observation');
    expect(obs).toHaveLength(6);
    for (const o of obs) {
      expect(o.status).toBe('final');
      expect(o.category![0]!.coding![0]).toMatchObject({
        system: 'http://terminology.hl7.org/CodeSystem/observation-category',
        code: 'vital-signs',
      });
      expect(o.subject).toEqual(PATIENT);
      expect(o.effectiveDateTime).toBe('2026-03-01T10:00:00.000Z');
      expect(o.code.coding![0]!.system).toBe('http://loinc.org');
    }
    const bp = obs.find((o) => o.code.coding![0]!.code === '85354-9')!;
    expect(bp.valueQuantity).toBeUndefined();
    expect(bp.component!.map((c) => [c.code.coding![0]!.code, c.valueQuantity!.value, c.valueQuantity!.code])).toEqual([
      ['8480-6', 92, 'mm[Hg]'],
      ['8462-4', 58, 'mm[Hg]'],
    ]);
    const byCode = new Map(obs.map((o) => [o.code.coding![0]!.code, o]));
    expect(byCode.get(VITAL_SIGNS.heartRate.loinc)!.valueQuantity).toEqual({
      value: 112,
      unit: '/min',
      system: 'http://unitsofmeasure.org',
      code: '/min',
    });
    expect(byCode.get(VITAL_SIGNS.bodyTemperature.loinc)!.valueQuantity).toMatchObject({ value: 37.9, code: 'Cel' });
    expect(byCode.get(VITAL_SIGNS.oxygenSaturation.loinc)!.valueQuantity).toMatchObject({ value: 94, code: '%' });
    expect(byCode.get(VITAL_SIGNS.glasgowComaScore.loinc)!.valueQuantity).toMatchObject({ value: 9, code: '{score}' });
    expect(obs.filter((o) => o.note).map((o) => o.note)).toEqual([[{ text: 'SpO2 on 4 L/min O2' }]]);
  });

  it('allergy, condition, medication administered, procedure: the R4 required elements and the clinician as recorder/performer', () => {
    const practitionerUrl = bundle.entry![0]!.fullUrl;
    const [allergy] = ofType(bundle, 'AllergyIntolerance');
    expect(allergy).toMatchObject({
      patient: PATIENT,
      code: { coding: [{ system: 'http://snomed.info/sct', code: '764146007' }], text: 'Penicillin' },
      criticality: 'high',
      category: ['medication'],
      clinicalStatus: { coding: [{ code: 'active' }] },
      verificationStatus: { coding: [{ code: 'unconfirmed' }] },
      reaction: [{ manifestation: [{ text: 'Anaphylaxis' }], severity: 'severe' }],
      recorder: { reference: practitionerUrl },
    });
    const [condition] = ofType(bundle, 'Condition');
    expect(condition).toMatchObject({
      subject: PATIENT,
      clinicalStatus: { coding: [{ code: 'active' }] },
      verificationStatus: { coding: [{ code: 'provisional' }] },
      severity: { coding: [{ code: '24484000' }] },
      category: [{ coding: [{ code: 'problem-list-item' }] }],
    });
    const [med] = ofType(bundle, 'MedicationAdministration');
    expect(med).toMatchObject({
      status: 'completed',
      medicationCodeableConcept: { text: 'Glucose 50% IV' },
      subject: PATIENT,
      effectiveDateTime: '2026-03-01T10:00:00.000Z',
      performer: [{ actor: { reference: practitionerUrl } }],
      dosage: { dose: { value: 50, unit: 'mL' }, route: { text: 'Intravenous' } },
      reasonCode: [{ text: 'Hypoglycaemia' }],
    });
    const [proc] = ofType(bundle, 'Procedure');
    expect(proc).toMatchObject({
      status: 'completed',
      code: { text: 'Peripheral IV cannulation' },
      subject: PATIENT,
      performedDateTime: '2026-03-01T10:00:00.000Z',
      bodySite: [{ text: 'Left forearm' }],
    });
  });

  it('note inline (text/plain UTF-8); attachment as a reference to its own object: url, size, SHA-1 hash, SHA-256 extension, no data', () => {
    const [note, attachment] = ofType(bundle, 'DocumentReference');
    expect(note!.type!.coding![0]).toMatchObject({ system: 'http://loinc.org', code: '34111-5' });
    expect(note!.status).toBe('current');
    expect(Buffer.from(note!.content[0]!.attachment.data!, 'base64').toString('utf8')).toMatch(/^Found unconscious/);
    const a = attachment!.content[0]!.attachment;
    const bytes = Buffer.from('\x89PNG\r\n\x1a\nfake image bytes');
    expect(a).toMatchObject({
      contentType: 'image/png',
      size: bytes.length,
      title: 'ECG strip',
      url: `urn:hcp-workstation:pending-attachment:${'ab'.repeat(16)}`,
    });
    expect(a.data).toBeUndefined();
    expect(a.hash).toBe(createHash('sha1').update(bytes).digest('base64'));
    expect(a.extension).toEqual([
      {
        url: 'urn:hcp-workstation:attachment-sha256',
        valueBase64Binary: createHash('sha256').update(bytes).digest('base64'),
      },
    ]);
    expect(attachmentRefsOf(bundle)).toEqual([
      expect.objectContaining({ attachmentId: 'ab'.repeat(16), size: bytes.length, title: 'ECG strip' }),
    ]);
  });

  it('an attachment form whose staging id the submission did not resolve: ADDITION_STAGING_INVALID', () => {
    expect(() => buildAdditionBundle(EVERY_FORM, { ...ctx })).toThrow(
      expect.objectContaining({ code: 'ADDITION_STAGING_INVALID', details: { reason: 'unknown' } }),
    );
  });

  it('counts forms by kind for the outbox (no contents)', () => {
    expect(kindCounts([...EVERY_FORM, { kind: 'note', text: 'x' }])).toEqual({
      note: 2,
      vitals: 1,
      allergy: 1,
      condition: 1,
      medication: 1,
      procedure: 1,
      attachment: 1,
    });
  });
});

describe('form validation (common/additions.ts, shared with the editor)', () => {
  const bad = (forms: unknown[]): string => {
    try {
      buildAdditionBundle(forms as never, ctx);
    } catch (e) {
      expect(e).toBeInstanceOf(WorkstationError);
      expect((e as WorkstationError).code).toBe('ADDITION_INVALID');
      return String((e as WorkstationError).details?.field);
    }
    throw new Error('accepted');
  };

  it.each([
    ['no forms', [], 'forms'],
    ['empty note', [{ kind: 'note', text: '  ' }], '0.text'],
    ['vitals without any value', [{ kind: 'vitals' }], '0.heartRate'],
    ['systolic without diastolic', [{ kind: 'vitals', systolic: 120 }], '0.diastolic'],
    ['systolic below diastolic', [{ kind: 'vitals', systolic: 60, diastolic: 80 }], '0.systolic'],
    ['SpO2 over 100', [{ kind: 'vitals', oxygenSaturation: 101 }], '0.oxygenSaturation'],
    ['GCS not whole', [{ kind: 'vitals', glasgowComaScore: 9.5 }], '0.glasgowComaScore'],
    ['unknown kind', [{ kind: 'diagnosis', text: 'x' }], '0.kind'],
    ['unknown field', [{ kind: 'note', text: 'x', html: '<b>' }], '0'],
    [
      'attachment type',
      [{ kind: 'attachment', title: 'x', contentType: 'text/html', stagingId: '0'.repeat(32) }],
      '0.contentType',
    ],
    [
      'attachment with its bytes inline (no longer accepted)',
      [{ kind: 'attachment', title: 'x', contentType: 'image/png', dataBase64: 'AAAA' }],
      '0.stagingId',
    ],
    [
      'attachment staging id malformed',
      [{ kind: 'attachment', title: 'x', contentType: 'image/png', stagingId: '../etc/passwd' }],
      '0.stagingId',
    ],
    [
      'one staged file for two attachments',
      [
        { kind: 'attachment', title: 'x', contentType: 'image/png', stagingId: '0'.repeat(32) },
        { kind: 'attachment', title: 'y', contentType: 'image/png', stagingId: '0'.repeat(32) },
      ],
      'forms',
    ],
    [
      'bad coding system',
      [{ kind: 'allergy', substance: { text: 'x', coding: { system: 'not a url', code: '1' } } }],
      '0.substance.coding.system',
    ],
    ['bad time', [{ kind: 'procedure', procedure: { text: 'x' }, performed: 'yesterday' }], '0.performed'],
  ])('%s -> ADDITION_INVALID naming the field', (_name, forms, field) => {
    expect(bad(forms)).toBe(field);
  });

  it('defaults fill in: allergy verification unconfirmed, condition active/provisional, statuses completed', () => {
    const b = buildAdditionBundle(
      [
        { kind: 'allergy', substance: { text: 'Latex' } },
        { kind: 'condition', condition: { text: 'Asthma' } },
      ],
      ctx,
    );
    const allergy = b.entry!.find((e) => e.resource!.resourceType === 'AllergyIntolerance')!
      .resource as fhir4.AllergyIntolerance;
    expect(allergy.verificationStatus!.coding![0]!.code).toBe('unconfirmed');
    expect(allergy.reaction).toBeUndefined();
  });
});

describe('patientReferenceOf', () => {
  it("takes the IPS Patient entry's fullUrl and name", () => {
    const ips: fhir4.Bundle = {
      resourceType: 'Bundle',
      type: 'document',
      entry: [
        {
          fullUrl: 'urn:uuid:p1',
          resource: { resourceType: 'Patient', id: 'p1', name: [{ given: ['Maria'], family: 'P' }] },
        },
      ],
    };
    expect(patientReferenceOf(ips)).toEqual({ reference: 'urn:uuid:p1', display: 'Maria P' });
    expect(patientReferenceOf({ ...ips, entry: [{ resource: { resourceType: 'Patient', id: 'x' } }] })).toEqual({
      reference: 'Patient/x',
    });
    expect(() => patientReferenceOf({ ...ips, entry: [] })).toThrow('ADDITION_INVALID');
  });
});
