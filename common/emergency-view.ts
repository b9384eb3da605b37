import { z } from 'zod';

/**
 * The emergency view of an International Patient Summary: what the clinician sees first.
 * Built in main (main/fhir) from a FHIR R4 IPS document, sent to the renderer over IPC,
 * cached. Every text here is plain text (never HTML): the renderer shows it as text only.
 * Dates are FHIR date/dateTime strings as written in the document (possibly partial,
 * such as "2019" or "2019-05"), or free text when the document said so ("childhood").
 */

/** Where a section stands: entries to show, an explicit "no information", or not in the document at all. */
export const SectionStatus = z.enum(['entries', 'no-information', 'absent']);
export type SectionStatus = z.infer<typeof SectionStatus>;

/**
 * Why a section has no entries: nothing known about it ('no-information', emptyReason or an
 * entry coded SNOMED 1287211007 / "no-...-info"), a positive statement that there is none
 * ('none-known', e.g. "No known allergy", emptyReason nilknown), or only narrative text
 * ('narrative-only': the section has text but no coded entries).
 */
export const NoInformationKind = z.enum(['no-information', 'none-known', 'narrative-only']);
export type NoInformationKind = z.infer<typeof NoInformationKind>;

export const SectionKind = z.enum([
  'alerts',
  'allergies',
  'problems',
  'medications',
  'advanceDirectives',
  'devices',
  'pregnancy',
  'results',
  'vitalSigns',
  'immunizations',
  'procedures',
  'pastIllness',
  'functionalStatus',
  'planOfCare',
  'socialHistory',
  'patientStory',
  'other',
]);
export type SectionKind = z.infer<typeof SectionKind>;

/** The emergency first-screen order. These sections are always in the view (status 'absent' when missing). */
export const EMERGENCY_SECTION_ORDER = [
  'alerts',
  'allergies',
  'problems',
  'medications',
  'advanceDirectives',
  'devices',
  'pregnancy',
  'results',
  'vitalSigns',
  'immunizations',
  'procedures',
] as const satisfies readonly SectionKind[];

/** Shown after the emergency sections, only when the document has them. */
export const ADDITIONAL_SECTION_ORDER = [
  'pastIllness',
  'functionalStatus',
  'planOfCare',
  'socialHistory',
  'patientStory',
  'other',
] as const satisfies readonly SectionKind[];

/** IPS sections the document must have: their absence is itself worth showing. */
export const REQUIRED_SECTIONS: readonly SectionKind[] = ['allergies', 'problems', 'medications'];

const text = z.string();
const optionalText = z.string().optional();

export const ContactPoint = z.object({
  /** phone | email | fax | url | sms | pager | other */
  system: optionalText,
  value: text,
  /** home | work | mobile | temp | old */
  use: optionalText,
});
export type ContactPoint = z.infer<typeof ContactPoint>;

export const PatientIdentifier = z.object({
  value: text,
  /** A short label of the identifier's system or type (e.g. "NHS Number", "urn:oid:2.16.840.1.113883.2.9.4.3.2"). */
  label: optionalText,
});
export type PatientIdentifier = z.infer<typeof PatientIdentifier>;

export const EmergencyContact = z.object({
  name: optionalText,
  /** Relationship texts, e.g. "Emergency contact", "Wife". */
  relationship: z.array(text),
  /** True when coded as the emergency contact (v2-0131 C / EP) or the only contact kind given. */
  emergency: z.boolean(),
  telecom: z.array(ContactPoint),
  address: optionalText,
  organization: optionalText,
});
export type EmergencyContact = z.infer<typeof EmergencyContact>;

export const PatientHeader = z.object({
  /** False when the Composition's subject is not in the document: the header is then mostly empty. */
  found: z.boolean(),
  /** Formatted names, the official or usual one first. Empty when the document has none. */
  names: z.array(text),
  birthDate: optionalText,
  /** Administrative gender: male | female | other | unknown. */
  sex: optionalText,
  /** "yes" or a date when the document says the patient has died. */
  deceased: optionalText,
  identifiers: z.array(PatientIdentifier),
  telecom: z.array(ContactPoint),
  addresses: z.array(text),
  /** Emergency contacts first. */
  contacts: z.array(EmergencyContact),
  /** Languages the patient speaks, the preferred one first. */
  languages: z.array(z.object({ language: text, preferred: z.boolean() })),
  generalPractitioners: z.array(text),
});
export type PatientHeader = z.infer<typeof PatientHeader>;

export const DocumentInfo = z.object({
  title: text,
  /** Composition.date: when the summary was assembled. */
  date: optionalText,
  authors: z.array(text),
  custodian: optionalText,
  /** Composition.status: preliminary | final | amended | entered-in-error. */
  status: optionalText,
  language: optionalText,
  identifier: optionalText,
});
export type DocumentInfo = z.infer<typeof DocumentInfo>;

/** Fields every entry has. */
const entryBase = {
  /** Unique within the view (a key for lists), derived from the resource's place in the document. */
  key: text,
  resourceType: text,
  /** False when the resource is in the document but no section lists it (shown so it is not lost). */
  listedInSection: z.boolean(),
  /** Set when the entry states an absence ("No known allergy") among real entries. */
  absence: NoInformationKind.optional(),
  notes: z.array(text),
  /**
   * Set when the entry is shown only because another resource points at it (no section lists
   * it): what points at it, e.g. "MedicationStatement: amoxicillin".
   */
  referencedBy: optionalText,
  /**
   * Set only on entries about someone other than the patient (in EmergencyView.otherSubjectEntries,
   * never in sections): who the entry says it is about, e.g. "Patient: Maria Ioannou, born 1990-02-01".
   */
  subject: optionalText,
  /** The resource as the document has it: its JSON, formatted, for the read-only "source" view (capped in length). */
  resourceJson: text,
};

export const AllergyCriticality = z.enum(['high', 'unable-to-assess', 'low']);
export type AllergyCriticality = z.infer<typeof AllergyCriticality>;

export const AllergyReaction = z.object({
  manifestations: z.array(text),
  /** mild | moderate | severe */
  severity: optionalText,
  description: optionalText,
  substance: optionalText,
  onset: optionalText,
});
export type AllergyReaction = z.infer<typeof AllergyReaction>;

export const AllergyEntry = z.object({
  type: z.literal('allergy'),
  ...entryBase,
  substance: text,
  /** allergy | intolerance */
  allergyType: optionalText,
  /** food | medication | environment | biologic */
  categories: z.array(text),
  criticality: AllergyCriticality.optional(),
  /** active | inactive | resolved */
  clinicalStatus: optionalText,
  /** unconfirmed | confirmed | refuted | entered-in-error */
  verificationStatus: optionalText,
  reactions: z.array(AllergyReaction),
  /** The worst reaction severity, for the list view. */
  highestSeverity: optionalText,
  onset: optionalText,
  recorded: optionalText,
});
export type AllergyEntry = z.infer<typeof AllergyEntry>;

export const ProblemEntry = z.object({
  type: z.literal('problem'),
  ...entryBase,
  problem: text,
  /** active | recurrence | relapse | inactive | remission | resolved */
  clinicalStatus: optionalText,
  verificationStatus: optionalText,
  /** False for inactive, remission and resolved; true otherwise (active, recurrence, relapse, no status). */
  active: z.boolean(),
  severity: optionalText,
  categories: z.array(text),
  bodySites: z.array(text),
  onset: optionalText,
  abatement: optionalText,
  /** Condition.recordedDate: when it was recorded (often the only date a problem has). */
  recorded: optionalText,
});
export type ProblemEntry = z.infer<typeof ProblemEntry>;

/** One dosage instruction: the document's own text and every structured part, as plain text. */
export const DosageDetail = z.object({
  /** The whole instruction on one line: the document's text, then in parentheses what the structure says. */
  line: text,
  /** Dosage.text as written. */
  text: optionalText,
  patientInstruction: optionalText,
  /** "1 tablet", "5–10 mL". */
  dose: optionalText,
  rate: optionalText,
  /** How often, when and for how long: "twice a day, before meals, for 14 days". */
  timing: optionalText,
  route: optionalText,
  site: optionalText,
  method: optionalText,
  /** "as needed", "as needed for pain". */
  asNeeded: optionalText,
  /** "4 g per day; 1 g per dose". */
  maxDose: optionalText,
});
export type DosageDetail = z.infer<typeof DosageDetail>;

export const MedicationEntry = z.object({
  type: z.literal('medication'),
  ...entryBase,
  /** The product name: Medication.code, the CodeableConcept, or its ingredients. */
  medication: text,
  /** Ingredients with strength, e.g. "simvastatin 40 mg/1 tablet". */
  ingredients: z.array(text),
  form: optionalText,
  /** MedicationStatement: active | completed | ...; MedicationRequest: active | on-hold | ... */
  status: optionalText,
  /**
   * False only when the status says it is no longer taken (completed, stopped, cancelled,
   * not-taken, entered-in-error); "unknown" is not "stopped", so it stays true, as do active,
   * intended, on-hold, draft and no status.
   */
  active: z.boolean(),
  /** 'statement' (MedicationStatement) or 'request' (MedicationRequest). */
  source: z.enum(['statement', 'request']),
  /** One line per dosage (DosageDetail.line), in Dosage.sequence order. */
  dosage: z.array(text),
  /** The same dosages, part by part. */
  dosageDetails: z.array(DosageDetail),
  period: optionalText,
  reasons: z.array(text),
});
export type MedicationEntry = z.infer<typeof MedicationEntry>;

export const ObservationComponent = z.object({
  name: text,
  value: optionalText,
  unit: optionalText,
  referenceRange: optionalText,
  interpretation: z.array(text),
  abnormal: z.boolean(),
});
export type ObservationComponent = z.infer<typeof ObservationComponent>;

/** How a linked observation is related to the one it is shown under. */
export const ObservationLink = z.enum(['hasMember', 'derivedFrom']);
export type ObservationLink = z.infer<typeof ObservationLink>;

const observationFields = {
  type: z.literal('observation'),
  ...entryBase,
  name: text,
  /** The value as text without its unit (comparator included: "<5"), or the reason it is absent. */
  value: optionalText,
  unit: optionalText,
  referenceRange: optionalText,
  interpretation: z.array(text),
  /** True when interpreted as abnormal (H, L, A, HH, LL, AA, critical...). */
  abnormal: z.boolean(),
  date: optionalText,
  status: optionalText,
  categories: z.array(text),
  components: z.array(ObservationComponent),
};

/**
 * An observation shown under another one because it is linked from it (Observation.hasMember:
 * a panel's members such as "ABO group: A" under "Blood type and antibody screen";
 * Observation.derivedFrom: what it was derived from, such as the estimated delivery date).
 */
export const LinkedObservation = z.object({
  ...observationFields,
  link: ObservationLink,
  /** 1 for a direct member of the entry, 2 for a member of that member, ... (the list is flattened in pre-order). */
  level: z.number().int().min(1),
});
export type LinkedObservation = z.infer<typeof LinkedObservation>;

export const ObservationEntry = z.object({
  ...observationFields,
  /**
   * The observations this one links to (hasMember, derivedFrom), deepest last, each shown once
   * per section: one that is also listed in the section is shown here instead of on its own.
   */
  members: z.array(LinkedObservation),
});
export type ObservationEntry = z.infer<typeof ObservationEntry>;

export const ReportEntry = z.object({
  type: z.literal('report'),
  ...entryBase,
  name: text,
  date: optionalText,
  status: optionalText,
  conclusion: optionalText,
  /** The report's observations, in the report's order. */
  results: z.array(ObservationEntry),
  /** Result references that are not in the document. */
  unresolvedResults: z.number().int(),
});
export type ReportEntry = z.infer<typeof ReportEntry>;

export const ImmunizationEntry = z.object({
  type: z.literal('immunization'),
  ...entryBase,
  vaccine: text,
  date: optionalText,
  status: optionalText,
  doseNumber: optionalText,
  targetDiseases: z.array(text),
  lotNumber: optionalText,
});
export type ImmunizationEntry = z.infer<typeof ImmunizationEntry>;

export const ProcedureEntry = z.object({
  type: z.literal('procedure'),
  ...entryBase,
  procedure: text,
  date: optionalText,
  status: optionalText,
  bodySites: z.array(text),
});
export type ProcedureEntry = z.infer<typeof ProcedureEntry>;

export const DeviceEntry = z.object({
  type: z.literal('device'),
  ...entryBase,
  device: text,
  /** The device's kind when the name is more specific (e.g. "pacemaker"). */
  deviceType: optionalText,
  status: optionalText,
  /** Human-readable UDI carrier or identifier. */
  udi: optionalText,
  bodySite: optionalText,
  period: optionalText,
});
export type DeviceEntry = z.infer<typeof DeviceEntry>;

export const AlertEntry = z.object({
  type: z.literal('alert'),
  ...entryBase,
  alert: text,
  categories: z.array(text),
  status: optionalText,
  period: optionalText,
});
export type AlertEntry = z.infer<typeof AlertEntry>;

export const DirectiveEntry = z.object({
  type: z.literal('directive'),
  ...entryBase,
  /** What the directive says, e.g. "Not for resuscitation". */
  directive: text,
  /** Its kind, e.g. "Do Not Resuscitate", "Advance Directive". */
  categories: z.array(text),
  status: optionalText,
  date: optionalText,
  /** Title of an attached or referenced source document, when any. */
  document: optionalText,
});
export type DirectiveEntry = z.infer<typeof DirectiveEntry>;

/** Any other resource a section lists: its best plain-text description. */
export const OtherEntry = z.object({
  type: z.literal('other'),
  ...entryBase,
  description: text,
  /**
   * What the resource says beyond its name: a CarePlan's description when its title named it (the
   * plan itself, e.g. "Daily weights; call the nurse if..."). Absent when it would repeat the name.
   */
  detail: optionalText,
  status: optionalText,
  date: optionalText,
  /** The resource's period (CarePlan, Goal start/due, Encounter, EpisodeOfCare...), e.g. "2024-01-01 – 2024-06-30". */
  period: optionalText,
  /** CarePlan / ServiceRequest intent (plan, order, proposal...). */
  intent: optionalText,
});
export type OtherEntry = z.infer<typeof OtherEntry>;

export const ViewEntry = z.discriminatedUnion('type', [
  AllergyEntry,
  ProblemEntry,
  MedicationEntry,
  ObservationEntry,
  ReportEntry,
  ImmunizationEntry,
  ProcedureEntry,
  DeviceEntry,
  AlertEntry,
  DirectiveEntry,
  OtherEntry,
]);
export type ViewEntry = z.infer<typeof ViewEntry>;

export const ViewSection = z.object({
  kind: SectionKind,
  /** The document's section title, or a default English title when the section is absent. */
  title: text,
  status: SectionStatus,
  /** True when the document has this section (false for 'absent', or entries found only outside sections). */
  inDocument: z.boolean(),
  /**
   * Set when status is 'no-information'. `entryKeys`: the section's entries that state it (e.g. an
   * AllergyIntolerance coded "no known allergies"), when the statement comes from entries.
   */
  noInformation: z.object({ kind: NoInformationKind, text, entryKeys: z.array(text).optional() }).optional(),
  /** Sorted for the emergency screen (see main/fhir/order.ts). Empty unless status is 'entries'. */
  entries: z.array(ViewEntry),
  /** Section entries that point at nothing in the document (shown as "n entries could not be found"). */
  unresolvedReferences: z.array(text),
  /** The section's narrative as plain text (tags stripped), for when coded entries do not say enough. */
  narrative: optionalText,
  /** Entries this section lists that are about someone else: not in `entries`, shown in EmergencyView.otherSubjectEntries. */
  otherSubjectEntries: z.number().int().min(0),
});
export type ViewSection = z.infer<typeof ViewSection>;

export const ViewNoticeCode = z.enum([
  /** The Composition's subject is not in the document. */
  'PATIENT_NOT_FOUND',
  /** Section entries point at resources that are not in the document. */
  'UNRESOLVED_REFERENCES',
  /** A required IPS section (allergies, problems, medications) is missing. */
  'REQUIRED_SECTION_ABSENT',
  /** Clinical resources in the document are not listed in any section; shown under their section kind. */
  'UNLISTED_RESOURCES',
  /** The Composition is marked entered-in-error or preliminary. */
  'DOCUMENT_STATUS',
  /** The Bundle is not of type document (searchset, collection, transaction, or no type) but holds a Composition: read as the summary. */
  'BUNDLE_NOT_DOCUMENT',
  /** The Composition is not the Bundle's first entry. */
  'COMPOSITION_NOT_FIRST',
  /** The Bundle holds more than one Composition: the first is shown. */
  'SEVERAL_COMPOSITIONS',
  /** The document holds more than one Patient (EmergencyView.otherPatients): shown at the top. */
  'SEVERAL_PATIENTS',
  /** Entries say they are about someone other than the patient: listed apart (EmergencyView.otherSubjectEntries), never as the patient's. */
  'OTHER_SUBJECT_ENTRIES',
  /** Resources no section lists are shown because other entries point at them (ViewEntry.referencedBy). */
  'REFERENCED_ONLY',
  /** The document links observations more than can be shown; the rest are shown on their own. */
  'LINK_LIMIT',
]);
export type ViewNoticeCode = z.infer<typeof ViewNoticeCode>;

export const ViewNotice = z.object({ code: ViewNoticeCode, detail: text });
export type ViewNotice = z.infer<typeof ViewNotice>;

/** A Patient resource in the document other than the one the summary is about. */
export const OtherPatient = z.object({
  key: text,
  names: z.array(text),
  birthDate: optionalText,
  sex: optionalText,
  identifiers: z.array(text),
});
export type OtherPatient = z.infer<typeof OtherPatient>;

/** An entry about someone other than the patient, listed apart from the patient's sections. */
export const OtherSubjectEntry = z.object({
  /** Who it is about (also in entry.subject). */
  subject: text,
  /** The section that lists it, when one does. */
  sectionKind: SectionKind.optional(),
  sectionTitle: optionalText,
  entry: ViewEntry,
});
export type OtherSubjectEntry = z.infer<typeof OtherSubjectEntry>;

export const EmergencyView = z.object({
  document: DocumentInfo,
  patient: PatientHeader,
  /** Other Patient resources in the document (several Patients: the view says so, SEVERAL_PATIENTS). */
  otherPatients: z.array(OtherPatient),
  /**
   * Entries whose subject is not the patient (another Patient of the document, or a subject
   * not in it): flagged, never merged into the patient's sections; shown apart under a warning.
   */
  otherSubjectEntries: z.array(OtherSubjectEntry),
  /** The emergency sections in EMERGENCY_SECTION_ORDER (always all of them), then any additional ones present. */
  sections: z.array(ViewSection),
  /**
   * What was unusual about the document and what the clinician should know about it (the
   * warnings list): plain English detail; the code is for i18n.
   */
  notices: z.array(ViewNotice),
});
export type EmergencyView = z.infer<typeof EmergencyView>;

/** The first section of a kind (the emergency kinds are always present in a built view). */
export function findSection(view: EmergencyView, kind: SectionKind): ViewSection | undefined {
  return view.sections.find((s) => s.kind === kind);
}
