import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as fhir4 from 'fhir/r4';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The 52 real connectathon IPS bundles shared by the team (read at test time). */
export const SAMPLES_DIR = path.resolve(repo, '../shared/testdata/ips-samples');
export const sample = (name: string) => path.join(SAMPLES_DIR, name);

export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';

export const code = (system: string, c: string, display?: string): fhir4.CodeableConcept => ({
  coding: [{ system, code: c, ...(display ? { display } : {}) }],
});

export interface SectionSpec {
  loinc: string;
  title?: string;
  refs?: string[];
  emptyReason?: string;
  div?: string;
}

/** A minimal IPS document: Composition first, a Patient, the given sections and extra entries. */
export function ipsBundle(
  sections: SectionSpec[],
  entries: fhir4.BundleEntry[] = [],
  patient: Partial<fhir4.Patient> = {},
): fhir4.Bundle {
  const composition: fhir4.Composition = {
    resourceType: 'Composition',
    id: 'comp',
    status: 'final',
    type: code(LOINC, '60591-5', 'Patient summary Document'),
    subject: { reference: 'urn:uuid:patient-1' },
    date: '2024-01-01',
    author: [{ display: 'Dr Test' }],
    title: 'Test Summary',
    section: sections.map((s) => ({
      title: s.title ?? s.loinc,
      code: code(LOINC, s.loinc),
      ...(s.div ? { text: { status: 'generated', div: s.div } } : {}),
      ...(s.refs ? { entry: s.refs.map((reference) => ({ reference })) } : {}),
      ...(s.emptyReason
        ? { emptyReason: code('http://terminology.hl7.org/CodeSystem/list-empty-reason', s.emptyReason) }
        : {}),
    })),
  };
  return {
    resourceType: 'Bundle',
    type: 'document',
    entry: [
      { fullUrl: 'urn:uuid:comp', resource: composition },
      {
        fullUrl: 'urn:uuid:patient-1',
        resource: {
          resourceType: 'Patient',
          id: 'patient-1',
          name: [{ family: 'Test', given: ['Pat'] }],
          birthDate: '1970-01-01',
          gender: 'female',
          ...patient,
        },
      },
      ...entries,
    ],
  };
}

export const entry = (fullUrl: string | undefined, resource: fhir4.FhirResource): fhir4.BundleEntry =>
  fullUrl === undefined ? { resource } : { fullUrl, resource };

export const ALLERGIES = '48765-2';
export const PROBLEMS = '11450-4';
export const MEDICATIONS = '10160-0';
export const RESULTS = '30954-2';
