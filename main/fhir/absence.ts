import type * as fhir4 from 'fhir/r4';
import type { NoInformationKind } from '../../common/emergency-view';
import { conceptDisplay, knownDisplay, list } from './text';

/**
 * "No information" and "none known" statements. IPS lets a document say a required section is
 * empty with Composition.section.emptyReason, or with a single entry whose code is one of these.
 * The two meanings differ for the clinician: "no known allergy" is a finding, "no information"
 * is not, so they are told apart.
 */

const SNOMED = 'http://snomed.info/sct';
const ABSENT_UNKNOWN = 'http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips';
const EMPTY_REASON = 'http://terminology.hl7.org/CodeSystem/list-empty-reason';

const SNOMED_ABSENCE: Record<string, NoInformationKind> = {
  '1287211007': 'no-information', // No information available
  '716186003': 'none-known', // No known allergy
  '409137002': 'none-known', // No known drug allergy
  '429625007': 'none-known', // No known food allergy
  '428607008': 'none-known', // No known environmental allergy
  '160245001': 'none-known', // No current problems or disability
  '787481004': 'none-known', // No known medications
};

export interface Absence {
  kind: NoInformationKind;
  text: string;
}

/** The absence a code states, if it is one of the "no information" / "no known ..." codes. */
export function absenceOfConcept(cc: fhir4.CodeableConcept | undefined): Absence | undefined {
  const codings = list(cc?.coding);
  for (const c of codings) {
    const code = typeof c?.code === 'string' ? c.code.trim() : '';
    let kind: NoInformationKind | undefined;
    if (c.system === SNOMED) kind = SNOMED_ABSENCE[code];
    else if (c.system === ABSENT_UNKNOWN) {
      if (code.startsWith('no-known-')) kind = 'none-known';
      else if (code.startsWith('no-') && code.endsWith('-info')) kind = 'no-information';
    }
    if (kind) {
      const text = conceptDisplay(cc) ?? knownDisplay(c.system, code) ?? (kind === 'none-known' ? 'None known' : 'No information');
      return { kind, text };
    }
  }
  return undefined;
}

/** A section's emptyReason as an absence: nilknown is "none known", every other reason "no information". */
export function absenceOfEmptyReason(cc: fhir4.CodeableConcept): Absence {
  const codings = list(cc.coding);
  const nilKnown = codings.some((c) => c.system === EMPTY_REASON && c.code === 'nilknown');
  const text = conceptDisplay(cc) ?? codings.map((c) => c.code).find(Boolean) ?? 'No information';
  return { kind: nilKnown ? 'none-known' : 'no-information', text };
}

/** The code of a resource that may carry an absence statement. */
export function absenceOfResource(resource: fhir4.FhirResource): Absence | undefined {
  switch (resource.resourceType) {
    case 'AllergyIntolerance':
    case 'Condition':
    case 'Procedure':
      return absenceOfConcept(resource.code);
    case 'MedicationStatement':
    case 'MedicationRequest':
      return absenceOfConcept(resource.medicationCodeableConcept);
    case 'Immunization':
      return absenceOfConcept(resource.vaccineCode);
    case 'Device':
      return absenceOfConcept(resource.type);
    default:
      return undefined;
  }
}
