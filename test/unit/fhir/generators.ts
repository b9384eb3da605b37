import fc from 'fast-check';
import type * as fhir4 from 'fhir/r4';

/**
 * Generated IPS documents for property tests and the linearity benchmark: random reference
 * styles, random section membership, extra Patients, linked Observations. Each generated
 * resource knows the key the view gives it ("entry-<index>" or "entry-0#<id>" when contained
 * in the Composition), so tests check the view against the bundle without using main/fhir.
 */

export type RefStyle = 'fullUrl' | 'typeId' | 'urn' | 'absolute' | 'contained';
export const REF_STYLES: RefStyle[] = ['fullUrl', 'typeId', 'urn', 'absolute', 'contained'];

export const SECTION_CODES = {
  allergies: '48765-2',
  problems: '11450-4',
  medications: '10160-0',
  results: '30954-2',
  immunizations: '11369-6',
  procedures: '47519-4',
  socialHistory: '29762-2',
} as const;
export type GenSectionKind = keyof typeof SECTION_CODES;
const KINDS = Object.keys(SECTION_CODES) as GenSectionKind[];

export type GenType =
  'AllergyIntolerance' | 'Condition' | 'MedicationStatement' | 'Observation' | 'Immunization' | 'Procedure';
const TYPES: GenType[] = [
  'AllergyIntolerance',
  'Condition',
  'MedicationStatement',
  'Observation',
  'Immunization',
  'Procedure',
];

export interface GenResource {
  type: GenType;
  style: RefStyle;
  /** -1: the summary's patient; 0..: one of the extra Patients. */
  subject: number;
  /** Section kinds listing it (possibly repeated: a section may list a resource twice). */
  sections: GenSectionKind[];
  /** Observations only: indexes of other generated resources it links to. */
  hasMember: number[];
  derivedFrom: number[];
}

export interface GenSpec {
  extraPatients: number;
  resources: GenResource[];
}

export interface Generated {
  bundle: fhir4.Bundle;
  /** The view key of each generated resource, by index. */
  keys: string[];
  /** Section kinds, by LOINC code, that the generator uses. */
  spec: GenSpec;
}

const resourceArb = (n: number): fc.Arbitrary<GenResource> =>
  fc.record({
    type: fc.constantFrom(...TYPES),
    style: fc.constantFrom(...REF_STYLES),
    subject: fc.oneof(
      { weight: 4, arbitrary: fc.constant(-1) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 }) },
    ),
    sections: fc.array(fc.constantFrom(...KINDS), { maxLength: 3 }),
    hasMember: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 }),
    derivedFrom: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 2 }),
  });

export const specArb: fc.Arbitrary<GenSpec> = fc
  .integer({ min: 1, max: 30 })
  .chain((n) =>
    fc.record({
      extraPatients: fc.integer({ min: 0, max: 3 }),
      resources: fc.array(resourceArb(n), { minLength: n, maxLength: n }),
    }),
  )
  .map(normalise);

/**
 * Make a spec buildable as FHIR allows: subjects point at existing Patients, contained resources
 * (in the Composition) are listed by at least one section and are never the target of a link
 * from another resource (a "#id" resolves only inside the resource that contains it).
 */
function normalise(spec: GenSpec): GenSpec {
  const resources = spec.resources.map((r) => ({
    ...r,
    subject: r.subject >= spec.extraPatients ? -1 : r.subject,
    sections: r.style === 'contained' && r.sections.length === 0 ? ['results' as GenSectionKind] : r.sections,
  }));
  const linkable = (i: number) => resources[i]?.type === 'Observation' && resources[i]?.style !== 'contained';
  return {
    extraPatients: spec.extraPatients,
    resources: resources.map((r) => ({
      ...r,
      hasMember: r.type === 'Observation' ? r.hasMember.filter(linkable) : [],
      derivedFrom: r.type === 'Observation' ? r.derivedFrom.filter(linkable) : [],
    })),
  };
}

const SNOMED = 'http://snomed.info/sct';

function clinical(type: GenType, id: string, subject: fhir4.Reference, i: number): fhir4.FhirResource {
  const cc = (text: string): fhir4.CodeableConcept => ({
    coding: [{ system: SNOMED, code: String(100000 + i), display: text }],
  });
  switch (type) {
    case 'AllergyIntolerance':
      return {
        resourceType: 'AllergyIntolerance',
        id,
        patient: subject,
        code: cc(`allergy ${i}`),
        criticality: i % 2 ? 'high' : 'low',
      };
    case 'Condition':
      return { resourceType: 'Condition', id, subject, code: cc(`condition ${i}`) };
    case 'MedicationStatement':
      return {
        resourceType: 'MedicationStatement',
        id,
        status: i % 3 ? 'active' : 'unknown',
        subject,
        medicationCodeableConcept: cc(`medication ${i}`),
      };
    case 'Observation':
      return {
        resourceType: 'Observation',
        id,
        status: 'final',
        subject,
        code: cc(`observation ${i}`),
        valueQuantity: { value: i, unit: 'mg' },
      };
    case 'Immunization':
      return {
        resourceType: 'Immunization',
        id,
        status: 'completed',
        patient: subject,
        vaccineCode: cc(`vaccine ${i}`),
        occurrenceDateTime: '2020-01-01',
      };
    case 'Procedure':
      return { resourceType: 'Procedure', id, status: 'completed', subject, code: cc(`procedure ${i}`) };
  }
}

/** The bundle of a spec; `bundleType` lets the same content be sent as a searchset or collection. */
export function buildGenerated(spec: GenSpec, bundleType: fhir4.Bundle['type'] = 'document'): Generated {
  const patientRef = (p: number): fhir4.Reference =>
    p < 0 ? { reference: 'urn:uuid:patient-main' } : { reference: `Patient/other-${p}` };
  const entries: fhir4.BundleEntry[] = [];
  const contained: fhir4.FhirResource[] = [];
  const keys: string[] = [];
  const refs: string[] = [];
  // Entry 0 is the Composition; then the patients; then the resources.
  const firstResourceEntry = 1 + 1 + spec.extraPatients;
  let next = firstResourceEntry;
  spec.resources.forEach((r, i) => {
    const id = `r${i}`;
    if (r.style === 'contained') {
      keys.push(`entry-0#${id}`);
      refs.push(`#${id}`);
    } else {
      keys.push(`entry-${next++}`);
      refs.push(
        r.style === 'fullUrl'
          ? `urn:uuid:res-${i}`
          : r.style === 'urn'
            ? `urn:uuid:${id}`
            : r.style === 'absolute'
              ? `https://ips.example/fhir/${r.type}/${id}`
              : `${r.type}/${id}`,
      );
    }
  });
  spec.resources.forEach((r, i) => {
    const id = `r${i}`;
    const resource = clinical(r.type, id, patientRef(r.subject), i);
    if (resource.resourceType === 'Observation') {
      if (r.hasMember.length) resource.hasMember = r.hasMember.map((j) => ({ reference: refs[j]! }));
      if (r.derivedFrom.length) resource.derivedFrom = r.derivedFrom.map((j) => ({ reference: refs[j]! }));
    }
    if (r.style === 'contained') contained.push(resource);
    else if (r.style === 'fullUrl') entries.push({ fullUrl: `urn:uuid:res-${i}`, resource });
    else if (r.style === 'urn') entries.push({ resource });
    else if (r.style === 'absolute') entries.push({ fullUrl: `https://ips.example/fhir/${r.type}/${id}`, resource });
    else entries.push({ fullUrl: `https://other.example/base/${r.type}/${id}`, resource });
  });
  const sections = Object.entries(SECTION_CODES).map(([kind, loinc]) => ({
    title: kind,
    code: { coding: [{ system: 'http://loinc.org', code: loinc }] },
    entry: spec.resources.flatMap((r, i) => r.sections.filter((s) => s === kind).map(() => ({ reference: refs[i]! }))),
  }));
  const composition: fhir4.Composition = {
    resourceType: 'Composition',
    id: 'comp',
    status: 'final',
    type: { coding: [{ system: 'http://loinc.org', code: '60591-5' }] },
    subject: { reference: 'urn:uuid:patient-main' },
    date: '2024-01-01',
    author: [{ display: 'Generator' }],
    title: 'Generated summary',
    ...(contained.length ? { contained } : {}),
    section: sections.filter((s) => s.entry.length > 0),
  };
  const patients: fhir4.BundleEntry[] = [
    {
      fullUrl: 'urn:uuid:patient-main',
      resource: {
        resourceType: 'Patient',
        id: 'patient-main',
        name: [{ family: 'Main', given: ['Pat'] }],
        gender: 'male',
      },
    },
    ...Array.from({ length: spec.extraPatients }, (_, p) => ({
      fullUrl: `https://ips.example/fhir/Patient/other-${p}`,
      resource: {
        resourceType: 'Patient' as const,
        id: `other-${p}`,
        name: [{ family: 'Other', given: [`P${p}`] }],
        gender: 'female' as const,
      },
    })),
  ];
  return {
    bundle: {
      resourceType: 'Bundle',
      type: bundleType,
      entry: [{ fullUrl: 'urn:uuid:comp', resource: composition }, ...patients, ...entries],
    },
    keys,
    spec,
  };
}

/**
 * A document of `n` Observations in four reference styles: two thirds listed by one section, the
 * rest in no section (some of those only linked from others); a quarter are panels linking the
 * next one, an eighth derived from the one after; one in fifty is about another patient.
 */
export function largeSectionSpec(n: number): GenSpec {
  return {
    extraPatients: 1,
    resources: Array.from({ length: n }, (_, i) => ({
      type: 'Observation' as const,
      style: REF_STYLES[i % 4]!,
      subject: i % 50 === 0 ? 0 : -1,
      sections: i % 3 === 2 ? [] : ['results' as const],
      hasMember: i % 4 === 0 && i + 1 < n ? [i + 1] : [],
      derivedFrom: i % 8 === 0 && i + 2 < n ? [i + 2] : [],
    })),
  };
}
