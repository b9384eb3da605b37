import type * as fhir4 from 'fhir/r4';
import { list } from './text';
import type { SectionKind } from '../../common/emergency-view';

/** IPS section LOINC codes (IPS R4 1.x and 2.0, plus codes seen in real documents). */
const LOINC_SECTIONS: Record<string, SectionKind> = {
  '104605-1': 'alerts',
  '48765-2': 'allergies',
  '11450-4': 'problems',
  '10160-0': 'medications',
  '42348-3': 'advanceDirectives',
  '46264-8': 'devices',
  '10162-6': 'pregnancy',
  '30954-2': 'results',
  '8716-3': 'vitalSigns',
  '11369-6': 'immunizations',
  '47519-4': 'procedures',
  '29554-3': 'procedures',
  '11348-0': 'pastIllness',
  '47420-5': 'functionalStatus',
  '18776-5': 'planOfCare',
  '29762-2': 'socialHistory',
  '81338-6': 'patientStory',
};

/** For sections without a known code: the title decides (English, Spanish, Portuguese, German, Dutch words). */
const TITLE_HINTS: [RegExp, SectionKind][] = [
  [/alerg|allerg|intoler/i, 'allergies'],
  [/illness|enfermedades pasadas/i, 'pastIllness'],
  [/medica|arznei|geneesmiddel/i, 'medications'],
  [/immuni|vaccin|vacun|vakzin|impf/i, 'immunizations'],
  [/procedur|procedimiento|eingriff|verrichting/i, 'procedures'],
  [/pregnan|embaraz|gravidez|schwanger|zwanger/i, 'pregnancy'],
  [/vital/i, 'vitalSigns'],
  [/result|laborat|befund|uitslag/i, 'results'],
  [/device|dispositivo|implant|hilfsmittel|hulpmiddel/i, 'devices'],
  [/advance directive|directiva|patientenverf|wilsverklaring/i, 'advanceDirectives'],
  [/alert|warn|waarschuw/i, 'alerts'],
  [/plan of (care|treatment)|care plan/i, 'planOfCare'],
  [/social/i, 'socialHistory'],
  [/functional/i, 'functionalStatus'],
  [/story/i, 'patientStory'],
  [/problem|diagnos|condition/i, 'problems'],
];

export function classifySection(section: fhir4.CompositionSection): SectionKind {
  const codings = list(section.code?.coding);
  for (const c of codings) {
    const kind = typeof c.code === 'string' ? LOINC_SECTIONS[c.code.trim()] : undefined;
    if (kind) return kind;
  }
  const title = [section.title, section.code?.text, ...codings.map((c) => c.display)]
    .filter((t) => typeof t === 'string')
    .join(' ');
  for (const [re, kind] of TITLE_HINTS) if (re.test(title)) return kind;
  return 'other';
}

export const DEFAULT_TITLES: Record<SectionKind, string> = {
  alerts: 'Alerts',
  allergies: 'Allergies and Intolerances',
  problems: 'Problems',
  medications: 'Medication Summary',
  advanceDirectives: 'Advance Directives',
  devices: 'Medical Devices',
  pregnancy: 'Pregnancy',
  results: 'Results',
  vitalSigns: 'Vital Signs',
  immunizations: 'Immunizations',
  procedures: 'History of Procedures',
  pastIllness: 'History of Past Illness',
  functionalStatus: 'Functional Status',
  planOfCare: 'Plan of Care',
  socialHistory: 'Social History',
  patientStory: 'Patient Story',
  other: 'Other',
};

const PREGNANCY_CODES = new Set([
  '82810-3',
  '11449-6',
  '11778-8',
  '11779-6',
  '11780-4',
  '11636-8',
  '11637-6',
  '11638-4',
  '11639-2',
  '11640-0',
  '11612-9',
  '11613-7',
  '11614-5',
  '33065-4',
]);

/** The section a resource belongs to when no section lists it (undefined: not a clinical statement to show). */
export function defaultKindOf(resource: fhir4.FhirResource): SectionKind | undefined {
  switch (resource.resourceType) {
    case 'AllergyIntolerance':
      return 'allergies';
    case 'Condition':
      return 'problems';
    case 'MedicationStatement':
    case 'MedicationRequest':
      return 'medications';
    case 'Immunization':
      return 'immunizations';
    case 'Procedure':
      return 'procedures';
    case 'DeviceUseStatement':
      return 'devices';
    case 'Flag':
      return 'alerts';
    case 'Consent':
      return 'advanceDirectives';
    case 'DiagnosticReport':
      return 'results';
    case 'Observation': {
      const codes = list(resource.code?.coding).map((c) => c.code);
      if (codes.some((c) => c !== undefined && PREGNANCY_CODES.has(c))) return 'pregnancy';
      const categories = list(resource.category).flatMap((cc) => list(cc.coding).map((c) => c.code));
      if (categories.includes('vital-signs')) return 'vitalSigns';
      if (categories.includes('social-history')) return 'socialHistory';
      return 'results';
    }
    default:
      return undefined;
  }
}
