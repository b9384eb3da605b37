/**
 * Synthetic training patients: realistic FHIR R4 International Patient Summary documents built
 * from the code tables in ./codes.ts (real SNOMED CT, LOINC and ATC codes). No real person's data.
 *
 * Each bundle is a `document` Bundle whose first entry is the Composition, with every required
 * (allergies, problems, medications) and recommended (immunizations, results, procedures, devices)
 * IPS section and the optional ones a scenario calls for. Codings carry the document language's
 * display and the other languages' displays as FHIR translation extensions (`_display`).
 *
 * Deterministic: the same seed and `asOf` date give byte-identical bundles (ids, values and
 * dates all come from a seeded PRNG and offsets from `asOf`).
 */
import type * as fhir4 from 'fhir/r4';
import { syntheticLetterPdf } from './assets';
import {
  ATC,
  ATC_CODES,
  LANGS,
  LOINC,
  LOINC_CODES,
  SNOMED,
  SNOMED_CODES,
  UCUM,
  type CodeEntry,
  type Lang,
} from './codes';

const TRANSLATION = 'http://hl7.org/fhir/StructureDefinition/translation';
const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const OBS_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const EMPTY_REASON = 'http://terminology.hl7.org/CodeSystem/list-empty-reason';
const TRAINING_ID_SYSTEM = 'https://training.hcp-workstation.invalid/patient-id';

/** What a training patient is there to show (English, for the trainer's sheet). */
export interface GeneratedPatient {
  /** File-name-safe, names the scenario first: "dnr-john-miller". */
  name: string;
  /** The trainer's one-line description of what this patient demonstrates. */
  scenario: string;
  /** Tags the tests and the screenshot tooling select by. */
  features: TrainingFeature[];
  /** The document language. */
  language: Lang;
  /** The patient's name as the document's first HumanName (what the workstation shows). */
  displayName: string;
  bundle: fhir4.Bundle;
}

export type TrainingFeature =
  | 'dnr'
  | 'high-criticality-allergy'
  | 'pregnancy'
  | 'implant'
  | 'no-information'
  | 'none-known'
  | 'abnormal-results'
  | 'narrative-only';

export interface GenerateOptions {
  /** PRNG seed (default 1). */
  seed?: number;
  /** The day the documents are "as of" (default: today, UTC). Dates in the bundles are relative to it. */
  asOf?: Date;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: small, fast, good enough for synthetic values; the same seed gives the same stream. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Builder {
  readonly entries: fhir4.BundleEntry[] = [];
  private readonly rand: () => number;

  constructor(
    seed: number,
    readonly lang: Lang,
    readonly asOf: Date,
  ) {
    this.rand = prng(seed);
  }

  uuid(): string {
    const hex = Array.from({ length: 32 }, () => Math.floor(this.rand() * 16).toString(16));
    hex[12] = '4';
    hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
    const h = hex.join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** A value in [low, high], rounded to `decimals`. */
  between(low: number, high: number, decimals = 0): number {
    const f = 10 ** decimals;
    return Math.round((low + this.rand() * (high - low)) * f) / f;
  }

  digits(n: number): string {
    return Array.from({ length: n }, () => Math.floor(this.rand() * 10)).join('');
  }

  /** YYYY-MM-DD, `days` before asOf (negative: after). */
  daysAgo(days: number): string {
    return new Date(this.asOf.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  }

  yearsAgo(years: number, extraDays = 0): string {
    const d = new Date(this.asOf.getTime());
    d.setUTCFullYear(d.getUTCFullYear() - years);
    return new Date(d.getTime() - extraDays * 86_400_000).toISOString().slice(0, 10);
  }

  coding(system: string, entry: CodeEntry): fhir4.Coding {
    const others = LANGS.filter((l) => l !== this.lang && entry.display[l] !== entry.display[this.lang]);
    return {
      system,
      code: entry.code,
      display: entry.display[this.lang],
      ...(others.length
        ? {
            _display: {
              extension: others.map((l) => ({
                url: TRANSLATION,
                extension: [
                  { url: 'lang', valueCode: l },
                  { url: 'content', valueString: entry.display[l] },
                ],
              })),
            },
          }
        : {}),
    } as fhir4.Coding;
  }

  concept(system: string, entry: CodeEntry): fhir4.CodeableConcept {
    return { coding: [this.coding(system, entry)], text: entry.display[this.lang] };
  }

  sct(entry: CodeEntry): fhir4.CodeableConcept {
    return this.concept(SNOMED, entry);
  }

  loinc(entry: CodeEntry): fhir4.CodeableConcept {
    return this.concept(LOINC, entry);
  }

  atc(entry: CodeEntry): fhir4.CodeableConcept {
    return this.concept(ATC, entry);
  }

  /** Adds a resource with a fresh urn:uuid and returns its reference. */
  add<T extends fhir4.FhirResource>(resource: T): { reference: string; resource: T } {
    const id = this.uuid();
    const withId = { ...resource, id };
    const fullUrl = `urn:uuid:${id}`;
    this.entries.push({ fullUrl, resource: withId });
    return { reference: fullUrl, resource: withId };
  }
}

// ---------------------------------------------------------------------------------------------
// Sections

type SectionName =
  | 'alerts'
  | 'allergies'
  | 'problems'
  | 'medications'
  | 'advanceDirectives'
  | 'devices'
  | 'pregnancy'
  | 'results'
  | 'vitalSigns'
  | 'immunizations'
  | 'procedures'
  | 'pastIllness'
  | 'functionalStatus'
  | 'planOfCare'
  | 'socialHistory'
  | 'patientStory';

const SECTION_CODES: Record<SectionName, CodeEntry> = {
  alerts: LOINC_CODES.secAlerts,
  allergies: LOINC_CODES.secAllergies,
  problems: LOINC_CODES.secProblems,
  medications: LOINC_CODES.secMedications,
  advanceDirectives: LOINC_CODES.secAdvanceDirectives,
  devices: LOINC_CODES.secDevices,
  pregnancy: LOINC_CODES.secPregnancy,
  results: LOINC_CODES.secResults,
  vitalSigns: LOINC_CODES.secVitalSigns,
  immunizations: LOINC_CODES.secImmunizations,
  procedures: LOINC_CODES.secProcedures,
  pastIllness: LOINC_CODES.secPastIllness,
  functionalStatus: LOINC_CODES.secFunctionalStatus,
  planOfCare: LOINC_CODES.secPlanOfCare,
  socialHistory: LOINC_CODES.secSocialHistory,
  patientStory: LOINC_CODES.secPatientStory,
};

/** English titles as the IPS IG writes them; Greek and German from the section code table. */
const EN_TITLES: Record<SectionName, string> = {
  alerts: 'Alerts',
  allergies: 'Allergies and Intolerances',
  problems: 'Problem List',
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
};

/** IPS: required sections, then the recommended ones. Every generated document has all of them. */
export const REQUIRED_IPS_SECTIONS: readonly SectionName[] = ['allergies', 'problems', 'medications'];
export const RECOMMENDED_IPS_SECTIONS: readonly SectionName[] = ['immunizations', 'results', 'procedures', 'devices'];

type SectionContent =
  | { entries: { reference: string; line: string }[] }
  | { emptyReason: 'nilknown' | 'notasked' | 'unavailable'; text: string }
  | { narrative: string };

const EMPTY_REASON_DISPLAY: Record<'nilknown' | 'notasked' | 'unavailable', string> = {
  nilknown: 'Nil Known',
  notasked: 'Not Asked',
  unavailable: 'Unavailable',
};

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function div(lang: Lang, body: string): fhir4.Narrative {
  return {
    status: 'generated',
    div: `<div xmlns="http://www.w3.org/1999/xhtml" lang="${lang}" xml:lang="${lang}">${body}</div>`,
  };
}

function section(b: Builder, name: SectionName, content: SectionContent): fhir4.CompositionSection {
  const title = b.lang === 'en' ? EN_TITLES[name] : SECTION_CODES[name].display[b.lang];
  const base: fhir4.CompositionSection = { title, code: b.loinc(SECTION_CODES[name]) };
  if ('entries' in content) {
    return {
      ...base,
      text: div(b.lang, `<ul>${content.entries.map((e) => `<li>${escapeXml(e.line)}</li>`).join('')}</ul>`),
      entry: content.entries.map((e) => ({ reference: e.reference })),
    };
  }
  if ('emptyReason' in content) {
    return {
      ...base,
      text: div(b.lang, `<p>${escapeXml(content.text)}</p>`),
      emptyReason: {
        coding: [
          { system: EMPTY_REASON, code: content.emptyReason, display: EMPTY_REASON_DISPLAY[content.emptyReason] },
        ],
        text: content.text,
      },
    };
  }
  return { ...base, text: div(b.lang, `<p>${escapeXml(content.narrative)}</p>`) };
}

// ---------------------------------------------------------------------------------------------
// Resources

interface Ctx {
  b: Builder;
  patient: string;
  author: string;
}

const d = (b: Builder, e: CodeEntry) => e.display[b.lang];

function allergy(
  { b, patient }: Ctx,
  substance: CodeEntry,
  o: {
    criticality: 'high' | 'low' | 'unable-to-assess';
    category: 'medication' | 'food' | 'environment' | 'biologic';
    yearsAgo: number;
    reactions?: { manifestation: CodeEntry; severity: 'mild' | 'moderate' | 'severe'; description?: string }[];
  },
) {
  const r = b.add<fhir4.AllergyIntolerance>({
    resourceType: 'AllergyIntolerance',
    clinicalStatus: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
          code: 'active',
          display: 'Active',
        },
      ],
    },
    verificationStatus: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
          code: 'confirmed',
          display: 'Confirmed',
        },
      ],
    },
    type: 'allergy',
    category: [o.category],
    criticality: o.criticality,
    code: b.sct(substance),
    patient: { reference: patient },
    onsetDateTime: b.yearsAgo(o.yearsAgo),
    ...(o.reactions
      ? {
          reaction: o.reactions.map((x) => ({
            manifestation: [b.sct(x.manifestation)],
            severity: x.severity,
            ...(x.description ? { description: x.description } : {}),
            onset: b.yearsAgo(o.yearsAgo),
          })),
        }
      : {}),
  });
  const reactions = o.reactions?.map((x) => d(b, x.manifestation)).join(', ');
  return { reference: r.reference, line: `${d(b, substance)} (${o.criticality})${reactions ? `: ${reactions}` : ''}` };
}

/** A "no known ..." or "no information" statement as the section's single entry. */
function absentAllergy({ b, patient }: Ctx, what: CodeEntry) {
  const r = b.add<fhir4.AllergyIntolerance>({
    resourceType: 'AllergyIntolerance',
    ...(what === SNOMED_CODES.noKnownAllergy
      ? {
          clinicalStatus: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }],
          },
        }
      : {}),
    code: b.sct(what),
    patient: { reference: patient },
  });
  return { reference: r.reference, line: d(b, what) };
}

function condition(
  { b, patient }: Ctx,
  code: CodeEntry,
  o: { yearsAgo: number; resolvedYearsAgo?: number; severity?: 'mild' | 'moderate' | 'severe' },
) {
  const status = o.resolvedYearsAgo === undefined ? 'active' : 'resolved';
  const severities = { mild: SNOMED_CODES.mild, moderate: SNOMED_CODES.moderate, severe: SNOMED_CODES.severe } as const;
  const r = b.add<fhir4.Condition>({
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: status }] },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
    },
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/condition-category',
            code: 'problem-list-item',
            display: 'Problem List Item',
          },
        ],
      },
    ],
    ...(o.severity ? { severity: b.sct(severities[o.severity]) } : {}),
    code: b.sct(code),
    subject: { reference: patient },
    onsetDateTime: b.yearsAgo(o.yearsAgo),
    ...(o.resolvedYearsAgo !== undefined ? { abatementDateTime: b.yearsAgo(o.resolvedYearsAgo) } : {}),
  });
  return { reference: r.reference, line: `${d(b, code)} (${b.yearsAgo(o.yearsAgo).slice(0, 4)})` };
}

function absentCondition({ b, patient }: Ctx, what: CodeEntry) {
  const r = b.add<fhir4.Condition>({ resourceType: 'Condition', code: b.sct(what), subject: { reference: patient } });
  return { reference: r.reference, line: d(b, what) };
}

function medication(
  { b, patient }: Ctx,
  med: CodeEntry,
  o: { dosage: string; yearsAgo: number; route?: 'oral' | 'inhalation' | 'subcutaneous' },
) {
  const routes = {
    oral: SNOMED_CODES.oralRoute,
    inhalation: SNOMED_CODES.respiratoryRoute,
    subcutaneous: SNOMED_CODES.subcutaneousRoute,
  } as const;
  const route = routes[o.route ?? 'oral'];
  const r = b.add<fhir4.MedicationStatement>({
    resourceType: 'MedicationStatement',
    status: 'active',
    medicationCodeableConcept: b.atc(med),
    subject: { reference: patient },
    effectivePeriod: { start: b.yearsAgo(o.yearsAgo) },
    dosage: [{ text: o.dosage, route: b.sct(route) }],
  });
  return { reference: r.reference, line: `${d(b, med)} — ${o.dosage}` };
}

function absentMedication({ b, patient }: Ctx, what: CodeEntry) {
  const r = b.add<fhir4.MedicationStatement>({
    resourceType: 'MedicationStatement',
    status: 'active',
    medicationCodeableConcept: b.sct(what),
    subject: { reference: patient },
  });
  return { reference: r.reference, line: d(b, what) };
}

function immunization(
  { b, patient }: Ctx,
  vaccine: CodeEntry,
  target: CodeEntry,
  o: { daysAgo: number; dose?: number },
) {
  const r = b.add<fhir4.Immunization>({
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: b.atc(vaccine),
    patient: { reference: patient },
    occurrenceDateTime: b.daysAgo(o.daysAgo),
    lotNumber: `TRN${b.digits(5)}`,
    protocolApplied: [{ targetDisease: [b.sct(target)], doseNumberPositiveInt: o.dose ?? 1 }],
  });
  return { reference: r.reference, line: `${d(b, vaccine)} (${b.daysAgo(o.daysAgo)})` };
}

function procedure({ b, patient }: Ctx, code: CodeEntry, o: { yearsAgo: number }) {
  const r = b.add<fhir4.Procedure>({
    resourceType: 'Procedure',
    status: 'completed',
    code: b.sct(code),
    subject: { reference: patient },
    performedDateTime: b.yearsAgo(o.yearsAgo),
  });
  return { reference: r.reference, line: `${d(b, code)} (${b.yearsAgo(o.yearsAgo).slice(0, 4)})` };
}

/** An implanted or worn device: Device + DeviceUseStatement (the statement is what the section lists). */
function device(
  { b, patient }: Ctx,
  type: CodeEntry,
  o: { name: string; manufacturer: string; yearsAgo: number; bodySite?: string },
) {
  const udi = `(01)0${b.digits(13)}(11)${b.yearsAgo(o.yearsAgo).slice(2, 10).replace(/-/g, '')}(21)TRN${b.digits(6)}`;
  const dev = b.add<fhir4.Device>({
    resourceType: 'Device',
    udiCarrier: [{ deviceIdentifier: `0${b.digits(13)}`, carrierHRF: udi }],
    status: 'active',
    manufacturer: o.manufacturer,
    deviceName: [{ name: o.name, type: 'user-friendly-name' }],
    type: b.sct(type),
    patient: { reference: patient },
  });
  const r = b.add<fhir4.DeviceUseStatement>({
    resourceType: 'DeviceUseStatement',
    status: 'active',
    subject: { reference: patient },
    timingDateTime: b.yearsAgo(o.yearsAgo),
    device: { reference: dev.reference, display: o.name },
    ...(o.bodySite ? { bodySite: { text: o.bodySite } } : {}),
  });
  return { reference: r.reference, line: `${d(b, type)}: ${o.name} (${b.yearsAgo(o.yearsAgo).slice(0, 4)})` };
}

interface LabSpec {
  code: CodeEntry;
  unit: string;
  ucum: string;
  low: number;
  high: number;
  /** The value to report; `undefined` draws one inside the range. */
  value?: number;
  decimals?: number;
}

function labObservation(
  { b, patient }: Ctx,
  spec: LabSpec,
  daysAgo: number,
  category: 'laboratory' | 'vital-signs' = 'laboratory',
) {
  const decimals = spec.decimals ?? 0;
  const value =
    spec.value ??
    b.between(spec.low + (spec.high - spec.low) * 0.15, spec.high - (spec.high - spec.low) * 0.15, decimals);
  const flag = value > spec.high ? 'H' : value < spec.low ? 'L' : 'N';
  const flagDisplay = { H: 'High', L: 'Low', N: 'Normal' }[flag];
  const r = b.add<fhir4.Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: category }] }],
    code: b.loinc(spec.code),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(daysAgo),
    valueQuantity: { value, unit: spec.unit, system: UCUM, code: spec.ucum },
    interpretation: [{ coding: [{ system: V3_INTERPRETATION, code: flag, display: flagDisplay }] }],
    referenceRange: [
      {
        low: { value: spec.low, unit: spec.unit, system: UCUM, code: spec.ucum },
        high: { value: spec.high, unit: spec.unit, system: UCUM, code: spec.ucum },
      },
    ],
  });
  return {
    reference: r.reference,
    line: `${d(b, spec.code)}: ${value} ${spec.unit} (${spec.low}–${spec.high})${flag === 'N' ? '' : ` ${flag}`}`,
  };
}

function labReport(ctx: Ctx, panel: CodeEntry, specs: LabSpec[], o: { daysAgo: number; conclusion?: string }) {
  const { b, patient } = ctx;
  const results = specs.map((s) => labObservation(ctx, s, o.daysAgo));
  const r = b.add<fhir4.DiagnosticReport>({
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' }] },
    ],
    code: b.loinc(panel),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(o.daysAgo),
    result: results.map((x) => ({ reference: x.reference })),
    ...(o.conclusion ? { conclusion: o.conclusion } : {}),
  });
  return {
    reference: r.reference,
    line: `${d(b, panel)} (${b.daysAgo(o.daysAgo)}): ${results.map((x) => x.line).join('; ')}`,
  };
}

function bloodGroup({ b, patient }: Ctx, text: string, daysAgo: number) {
  const r = b.add<fhir4.Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: 'laboratory' }] }],
    code: b.loinc(LOINC_CODES.bloodGroup),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(daysAgo),
    valueString: text,
  });
  return { reference: r.reference, line: `${d(b, LOINC_CODES.bloodGroup)}: ${text}` };
}

function vitalSigns(
  ctx: Ctx,
  o: { systolic: number; diastolic: number; heartRate: number; weightKg: number; spo2: number; daysAgo: number },
) {
  const { b, patient } = ctx;
  const mmHg = { unit: 'mm[Hg]', system: UCUM, code: 'mm[Hg]' };
  const bp = b.add<fhir4.Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: 'vital-signs' }] }],
    code: b.loinc(LOINC_CODES.bloodPressure),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(o.daysAgo),
    component: [
      { code: b.loinc(LOINC_CODES.systolic), valueQuantity: { value: o.systolic, ...mmHg } },
      { code: b.loinc(LOINC_CODES.diastolic), valueQuantity: { value: o.diastolic, ...mmHg } },
    ],
  });
  const rest = [
    labObservation(
      ctx,
      { code: LOINC_CODES.heartRate, unit: '/min', ucum: '/min', low: 60, high: 100, value: o.heartRate },
      o.daysAgo,
      'vital-signs',
    ),
    labObservation(
      ctx,
      { code: LOINC_CODES.oxygenSaturation, unit: '%', ucum: '%', low: 94, high: 100, value: o.spo2 },
      o.daysAgo,
      'vital-signs',
    ),
  ];
  const weight = b.add<fhir4.Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: 'vital-signs' }] }],
    code: b.loinc(LOINC_CODES.bodyWeight),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(o.daysAgo),
    valueQuantity: { value: o.weightKg, unit: 'kg', system: UCUM, code: 'kg' },
  });
  return [
    { reference: bp.reference, line: `${d(b, LOINC_CODES.bloodPressure)}: ${o.systolic}/${o.diastolic} mm[Hg]` },
    ...rest,
    { reference: weight.reference, line: `${d(b, LOINC_CODES.bodyWeight)}: ${o.weightKg} kg` },
  ];
}

function smoking({ b, patient }: Ctx, status: CodeEntry, daysAgo: number) {
  const r = b.add<fhir4.Observation>({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: OBS_CATEGORY, code: 'social-history' }] }],
    code: b.loinc(LOINC_CODES.tobaccoStatus),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(daysAgo),
    valueCodeableConcept: b.sct(status),
  });
  return { reference: r.reference, line: `${d(b, LOINC_CODES.tobaccoStatus)}: ${d(b, status)}` };
}

function alert({ b, patient }: Ctx, code: CodeEntry | string, daysAgo: number) {
  const r = b.add<fhir4.Flag>({
    resourceType: 'Flag',
    status: 'active',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/flag-category', code: 'clinical', display: 'Clinical' },
        ],
      },
    ],
    code: typeof code === 'string' ? { text: code } : b.sct(code),
    subject: { reference: patient },
    period: { start: b.daysAgo(daysAgo) },
  });
  return { reference: r.reference, line: typeof code === 'string' ? code : d(b, code) };
}

function carePlan({ b, patient }: Ctx, title: string, description: string) {
  const r = b.add<fhir4.CarePlan>({
    resourceType: 'CarePlan',
    status: 'active',
    intent: 'plan',
    title,
    description,
    subject: { reference: patient },
    period: { start: b.daysAgo(30) },
  });
  return { reference: r.reference, line: `${title}: ${description}` };
}

/** A DNR order as IPS documents carry it: a Consent whose provision is "Not for resuscitation", with the signed form as a PDF. */
function dnrOrder({ b, patient, author }: Ctx, o: { daysAgo: number; formPdf: Buffer; formTitle: string }) {
  const r = b.add<fhir4.Consent>({
    resourceType: 'Consent',
    status: 'active',
    scope: {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/consentscope',
          code: 'adr',
          display: 'Advanced Care Directive',
        },
      ],
    },
    category: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/consentcategorycodes',
            code: 'dnr',
            display: 'Do Not Resuscitate',
          },
        ],
      },
    ],
    patient: { reference: patient },
    dateTime: b.daysAgo(o.daysAgo),
    performer: [{ reference: patient }],
    organization: [{ reference: author }],
    sourceAttachment: {
      contentType: 'application/pdf',
      language: b.lang,
      title: o.formTitle,
      data: o.formPdf.toString('base64'),
      creation: b.daysAgo(o.daysAgo),
    },
    policy: [{ uri: 'https://training.hcp-workstation.invalid/policy/dnr' }],
    provision: { type: 'permit', code: [b.sct(SNOMED_CODES.notForResuscitation)] },
  });
  return { reference: r.reference, line: `${d(b, SNOMED_CODES.notForResuscitation)} (${b.daysAgo(o.daysAgo)})` };
}

function pregnancy(ctx: Ctx, o: { weeks: number }) {
  const { b, patient } = ctx;
  const status = b.add<fhir4.Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: b.loinc(LOINC_CODES.pregnancyStatus),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(7),
    valueCodeableConcept: b.sct(SNOMED_CODES.pregnant),
  });
  const due = b.daysAgo(-(40 - o.weeks) * 7);
  const edd = b.add<fhir4.Observation>({
    resourceType: 'Observation',
    status: 'final',
    code: b.loinc(LOINC_CODES.deliveryDateEstimated),
    subject: { reference: patient },
    effectiveDateTime: b.daysAgo(7),
    valueDateTime: due,
  });
  return [
    {
      reference: status.reference,
      line: `${d(b, LOINC_CODES.pregnancyStatus)}: ${d(b, SNOMED_CODES.pregnant)}, ${o.weeks}/40`,
    },
    { reference: edd.reference, line: `${d(b, LOINC_CODES.deliveryDateEstimated)}: ${due}` },
  ];
}

// ---------------------------------------------------------------------------------------------
// The document

interface PersonaSpec {
  name: string;
  scenario: string;
  features: TrainingFeature[];
  lang: Lang;
  sex: 'male' | 'female';
  /** Names as the document gives them, the first one shown. */
  names: { given: string[]; family: string }[];
  age: number;
  city: string;
  /** ISO 3166 country code of the address, and the mobile number's prefix there. */
  country: 'GB' | 'GR' | 'DE' | 'CY';
  contact: { given: string; family: string; relationship: string; phone: string };
  sections: (ctx: Ctx) => Partial<Record<SectionName, SectionContent>>;
}

const MOBILE_PREFIX = { GB: '+44 7700 9', GR: '+30 69', DE: '+49 151 ', CY: '+357 99' } as const;
const WORK_PREFIX = { GB: '+44 1865 ', GR: '+30 210 ', DE: '+49 221 ', CY: '+357 22' } as const;

const DOC_TITLES: Record<Lang, string> = {
  en: 'International Patient Summary',
  el: 'Διεθνές Συνοπτικό Ιστορικό Ασθενούς',
  de: 'Internationale Patientenkurzakte',
};

function document(spec: PersonaSpec, seed: number, asOf: Date): GeneratedPatient {
  const b = new Builder(seed, spec.lang, asOf);
  const compositionId = b.uuid();
  const org = b.add<fhir4.Organization>({
    resourceType: 'Organization',
    name: 'Training Hospital (synthetic)',
    address: [{ city: spec.city, country: spec.country }],
  });
  const author = b.add<fhir4.Practitioner>({
    resourceType: 'Practitioner',
    name: [{ family: 'Trainer', given: ['Anna'], prefix: ['Dr'] }],
    telecom: [{ system: 'phone', value: `${WORK_PREFIX[spec.country]}${b.digits(7)}`, use: 'work' }],
  });
  const birthDate = b.yearsAgo(spec.age, Math.floor(b.between(10, 300)));
  const [first, ...others] = spec.names;
  const patient = b.add<fhir4.Patient>({
    resourceType: 'Patient',
    identifier: [{ system: TRAINING_ID_SYSTEM, value: `TRN-${b.digits(8)}` }],
    name: [first!, ...others].map((n) => ({ use: 'official' as const, family: n.family, given: n.given })),
    gender: spec.sex,
    birthDate,
    telecom: [{ system: 'phone', value: `${MOBILE_PREFIX[spec.country]}${b.digits(7)}`, use: 'mobile' }],
    address: [{ line: [`${b.between(1, 120)} Training Street`], city: spec.city, country: spec.country }],
    contact: [
      {
        relationship: [
          {
            coding: [
              { system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' },
            ],
          },
          { text: spec.contact.relationship },
        ],
        name: { family: spec.contact.family, given: [spec.contact.given] },
        telecom: [{ system: 'phone', value: spec.contact.phone, use: 'mobile' }],
      },
    ],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: spec.lang }] }, preferred: true }],
    generalPractitioner: [{ reference: author.reference }],
  });
  const ctx: Ctx = { b, patient: patient.reference, author: org.reference };
  const contents = spec.sections(ctx);
  const order = Object.keys(SECTION_CODES) as SectionName[];
  const composition: fhir4.Composition = {
    resourceType: 'Composition',
    id: compositionId,
    language: spec.lang,
    text: div(spec.lang, `<p>${escapeXml(`${DOC_TITLES[spec.lang]}: ${first!.given.join(' ')} ${first!.family}`)}</p>`),
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${b.uuid()}` },
    status: 'final',
    type: b.loinc(LOINC_CODES.patientSummary),
    subject: { reference: patient.reference },
    date: `${b.daysAgo(1)}T09:30:00Z`,
    author: [{ reference: author.reference }],
    title: DOC_TITLES[spec.lang],
    confidentiality: 'N',
    attester: [{ mode: 'legal', time: `${b.daysAgo(1)}T09:30:00Z`, party: { reference: author.reference } }],
    custodian: { reference: org.reference },
    event: [
      {
        code: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActClass', code: 'PCPR' }] }],
        period: { end: b.daysAgo(1) },
      },
    ],
    section: order.filter((n) => contents[n]).map((n) => section(b, n, contents[n]!)),
  };
  const bundle: fhir4.Bundle = {
    resourceType: 'Bundle',
    id: b.uuid(),
    language: spec.lang,
    identifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${b.uuid()}` },
    type: 'document',
    timestamp: `${b.daysAgo(1)}T09:30:00Z`,
    entry: [{ fullUrl: `urn:uuid:${compositionId}`, resource: composition }, ...b.entries],
  };
  const displayName = `${first!.given.join(' ')} ${first!.family}`;
  return {
    name: spec.name,
    scenario: spec.scenario,
    features: spec.features,
    language: spec.lang,
    displayName,
    bundle,
  };
}

// ---------------------------------------------------------------------------------------------
// The training patients

const pdf = syntheticLetterPdf;

function personas(): PersonaSpec[] {
  return [
    {
      name: 'dnr-john-miller',
      scenario:
        'DNR: advance directive "not for resuscitation" (signed form as PDF); cardiac pacemaker; anticoagulated; fall risk',
      features: ['dnr', 'implant', 'abnormal-results'],
      lang: 'en',
      sex: 'male',
      names: [{ given: ['John'], family: 'Miller' }],
      age: 84,
      city: 'Oxford',
      country: 'GB',
      contact: { given: 'Sarah', family: 'Miller', relationship: 'Daughter', phone: '+44 7700 900123' },
      sections: (ctx) => ({
        alerts: {
          entries: [
            alert(ctx, SNOMED_CODES.fallRisk, 200),
            alert(ctx, 'Anticoagulated (rivaroxaban): bleeding risk', 900),
          ],
        },
        allergies: {
          entries: [
            allergy(ctx, SNOMED_CODES.latex, {
              criticality: 'low',
              category: 'environment',
              yearsAgo: 30,
              reactions: [{ manifestation: SNOMED_CODES.skinEruption, severity: 'mild' }],
            }),
          ],
        },
        problems: {
          entries: [
            condition(ctx, SNOMED_CODES.heartFailure, { yearsAgo: 6, severity: 'moderate' }),
            condition(ctx, SNOMED_CODES.atrialFibrillation, { yearsAgo: 9 }),
            condition(ctx, SNOMED_CODES.hypertension, { yearsAgo: 25 }),
          ],
        },
        medications: {
          entries: [
            medication(ctx, ATC_CODES.rivaroxaban, { dosage: '20 mg once daily with the evening meal', yearsAgo: 9 }),
            medication(ctx, ATC_CODES.bisoprolol, { dosage: '2.5 mg once daily in the morning', yearsAgo: 6 }),
            medication(ctx, ATC_CODES.furosemide, { dosage: '40 mg once daily in the morning', yearsAgo: 6 }),
            medication(ctx, ATC_CODES.ramipril, { dosage: '5 mg once daily', yearsAgo: 20 }),
            medication(ctx, ATC_CODES.atorvastatin, { dosage: '40 mg once daily at night', yearsAgo: 12 }),
          ],
        },
        advanceDirectives: {
          entries: [
            dnrOrder(ctx, {
              daysAgo: 120,
              formTitle: 'DNACPR form, signed (synthetic)',
              formPdf: pdf([
                'Training Hospital - Do Not Attempt Cardiopulmonary Resuscitation (SYNTHETIC TRAINING DATA)',
                '',
                'Patient: John Miller',
                'Decision: not for resuscitation. All other appropriate treatment to continue.',
                'Discussed with the patient and his daughter. Signed by the responsible consultant.',
              ]),
            }),
          ],
        },
        devices: {
          entries: [
            device(ctx, SNOMED_CODES.pacemaker, {
              name: 'Dual-chamber pacemaker (training model DC-200)',
              manufacturer: 'Training Devices Ltd',
              yearsAgo: 5,
              bodySite: 'Left pectoral',
            }),
          ],
        },
        results: {
          entries: [
            labReport(
              ctx,
              LOINC_CODES.metabolicPanel,
              [
                {
                  code: LOINC_CODES.creatinine,
                  unit: 'mg/dL',
                  ucum: 'mg/dL',
                  low: 0.7,
                  high: 1.3,
                  value: 1.6,
                  decimals: 1,
                },
                { code: LOINC_CODES.potassium, unit: 'mmol/L', ucum: 'mmol/L', low: 3.5, high: 5.1, decimals: 1 },
                { code: LOINC_CODES.sodium, unit: 'mmol/L', ucum: 'mmol/L', low: 136, high: 145 },
              ],
              { daysAgo: 14, conclusion: 'Mildly reduced renal function, stable.' },
            ),
            labReport(
              ctx,
              LOINC_CODES.cbcPanel,
              [
                { code: LOINC_CODES.hemoglobin, unit: 'g/dL', ucum: 'g/dL', low: 13.5, high: 17.5, decimals: 1 },
                { code: LOINC_CODES.platelets, unit: '10*3/uL', ucum: '10*3/uL', low: 150, high: 400 },
              ],
              { daysAgo: 14 },
            ),
          ],
        },
        vitalSigns: {
          entries: vitalSigns(ctx, {
            systolic: 128,
            diastolic: 74,
            heartRate: 68,
            weightKg: 76,
            spo2: 95,
            daysAgo: 14,
          }),
        },
        immunizations: {
          entries: [
            immunization(ctx, ATC_CODES.influenzaVaccine, SNOMED_CODES.influenza, { daysAgo: 60 }),
            immunization(ctx, ATC_CODES.covid19Vaccine, SNOMED_CODES.covid19, { daysAgo: 240, dose: 5 }),
          ],
        },
        procedures: {
          entries: [
            procedure(ctx, SNOMED_CODES.pacemakerImplantation, { yearsAgo: 5 }),
            procedure(ctx, SNOMED_CODES.cabg, { yearsAgo: 15 }),
          ],
        },
        pastIllness: {
          entries: [condition(ctx, SNOMED_CODES.myocardialInfarction, { yearsAgo: 15, resolvedYearsAgo: 15 })],
        },
        functionalStatus: { entries: [condition(ctx, SNOMED_CODES.walkingDisability, { yearsAgo: 2 })] },
        planOfCare: {
          entries: [
            carePlan(
              ctx,
              'Heart failure plan',
              'Daily weights; call the heart failure nurse if weight rises by more than 2 kg in 3 days.',
            ),
          ],
        },
        socialHistory: { entries: [smoking(ctx, SNOMED_CODES.exSmoker, 200)] },
        patientStory: {
          narrative:
            'Lives with his daughter. Wishes to be cared for at home where possible and not to be resuscitated.',
        },
      }),
    },
    {
      name: 'allergy-eleni-georgiou',
      scenario: 'High-criticality penicillin allergy (anaphylaxis, severe) with an alert; asthma; Greek document',
      features: ['high-criticality-allergy'],
      lang: 'el',
      sex: 'female',
      names: [
        { given: ['Ελένη'], family: 'Γεωργίου' },
        { given: ['Eleni'], family: 'Georgiou' },
      ],
      age: 45,
      city: 'Αθήνα',
      country: 'GR',
      contact: { given: 'Γιώργος', family: 'Γεωργίου', relationship: 'Σύζυγος', phone: '+30 6944 123456' },
      sections: (ctx) => ({
        alerts: { entries: [alert(ctx, 'Σοβαρή αλλεργία στην πενικιλλίνη: αναφυλαξία', 3000)] },
        allergies: {
          entries: [
            allergy(ctx, SNOMED_CODES.penicillin, {
              criticality: 'high',
              category: 'medication',
              yearsAgo: 12,
              reactions: [
                {
                  manifestation: SNOMED_CODES.anaphylaxis,
                  severity: 'severe',
                  description: 'Αναφυλακτικό σοκ μετά από ενδομυϊκή χορήγηση αμοξικιλλίνης· νοσηλεία στη ΜΕΘ.',
                },
                { manifestation: SNOMED_CODES.urticaria, severity: 'moderate' },
              ],
            }),
            allergy(ctx, SNOMED_CODES.beeVenom, {
              criticality: 'unable-to-assess',
              category: 'environment',
              yearsAgo: 20,
              reactions: [{ manifestation: SNOMED_CODES.urticaria, severity: 'mild' }],
            }),
          ],
        },
        problems: {
          entries: [
            condition(ctx, SNOMED_CODES.asthma, { yearsAgo: 30, severity: 'mild' }),
            condition(ctx, SNOMED_CODES.hypothyroidism, { yearsAgo: 8 }),
          ],
        },
        medications: {
          entries: [
            medication(ctx, ATC_CODES.salbutamol, {
              dosage: '100 μg, 2 εισπνοές όταν χρειάζεται',
              yearsAgo: 30,
              route: 'inhalation',
            }),
            medication(ctx, ATC_CODES.levothyroxine, { dosage: '75 μg μία φορά την ημέρα, νηστική', yearsAgo: 8 }),
          ],
        },
        devices: { emptyReason: 'nilknown', text: 'Δεν υπάρχουν γνωστά ιατροτεχνολογικά προϊόντα.' },
        results: {
          entries: [
            labReport(
              ctx,
              LOINC_CODES.cbcPanel,
              [
                { code: LOINC_CODES.hemoglobin, unit: 'g/dL', ucum: 'g/dL', low: 12, high: 16, decimals: 1 },
                { code: LOINC_CODES.leukocytes, unit: '10*3/uL', ucum: '10*3/uL', low: 4.5, high: 11, decimals: 1 },
                { code: LOINC_CODES.platelets, unit: '10*3/uL', ucum: '10*3/uL', low: 150, high: 400 },
              ],
              { daysAgo: 90 },
            ),
            bloodGroup(ctx, 'A Rh(D) θετικό', 3000),
          ],
        },
        vitalSigns: {
          entries: vitalSigns(ctx, {
            systolic: 118,
            diastolic: 76,
            heartRate: 72,
            weightKg: 64,
            spo2: 98,
            daysAgo: 90,
          }),
        },
        immunizations: {
          entries: [
            immunization(ctx, ATC_CODES.tetanusDiphtheriaVaccine, SNOMED_CODES.tetanus, { daysAgo: 1500, dose: 3 }),
            immunization(ctx, ATC_CODES.influenzaVaccine, SNOMED_CODES.influenza, { daysAgo: 100 }),
          ],
        },
        procedures: { entries: [procedure(ctx, SNOMED_CODES.appendectomy, { yearsAgo: 28 })] },
        socialHistory: { entries: [smoking(ctx, SNOMED_CODES.neverSmoked, 90)] },
      }),
    },
    {
      name: 'pregnant-maria-papadopoulou',
      scenario:
        'Pregnant (24 weeks, estimated delivery date); iron-deficiency anaemia with a low haemoglobin; no known allergies; Greek document',
      features: ['pregnancy', 'abnormal-results', 'none-known'],
      lang: 'el',
      sex: 'female',
      names: [
        { given: ['Μαρία'], family: 'Παπαδοπούλου' },
        { given: ['Maria'], family: 'Papadopoulou' },
      ],
      age: 31,
      city: 'Θεσσαλονίκη',
      country: 'GR',
      contact: { given: 'Δημήτρης', family: 'Παπαδόπουλος', relationship: 'Σύζυγος', phone: '+30 6977 654321' },
      sections: (ctx) => ({
        allergies: { entries: [absentAllergy(ctx, SNOMED_CODES.noKnownAllergy)] },
        problems: { entries: [condition(ctx, SNOMED_CODES.ironDeficiencyAnemia, { yearsAgo: 0, severity: 'mild' })] },
        medications: {
          entries: [
            medication(ctx, ATC_CODES.folicAcid, { dosage: '400 μg μία φορά την ημέρα', yearsAgo: 1 }),
            medication(ctx, ATC_CODES.ferrousSulfate, {
              dosage: '325 mg μία φορά την ημέρα με χυμό πορτοκαλιού',
              yearsAgo: 0,
            }),
          ],
        },
        pregnancy: { entries: pregnancy(ctx, { weeks: 24 }) },
        devices: { emptyReason: 'nilknown', text: 'Δεν υπάρχουν γνωστά ιατροτεχνολογικά προϊόντα.' },
        results: {
          entries: [
            labReport(
              ctx,
              LOINC_CODES.cbcPanel,
              [
                {
                  code: LOINC_CODES.hemoglobin,
                  unit: 'g/dL',
                  ucum: 'g/dL',
                  low: 11,
                  high: 15,
                  value: 9.8,
                  decimals: 1,
                },
                { code: LOINC_CODES.leukocytes, unit: '10*3/uL', ucum: '10*3/uL', low: 4.5, high: 11, decimals: 1 },
                { code: LOINC_CODES.platelets, unit: '10*3/uL', ucum: '10*3/uL', low: 150, high: 400 },
              ],
              { daysAgo: 10, conclusion: 'Σιδηροπενική αναιμία ήπιας βαρύτητας.' },
            ),
            labObservation(ctx, { code: LOINC_CODES.glucose, unit: 'mg/dL', ucum: 'mg/dL', low: 70, high: 92 }, 10),
            bloodGroup(ctx, '0 Rh(D) αρνητικό', 200),
          ],
        },
        vitalSigns: {
          entries: vitalSigns(ctx, {
            systolic: 112,
            diastolic: 70,
            heartRate: 88,
            weightKg: 68,
            spo2: 99,
            daysAgo: 10,
          }),
        },
        immunizations: {
          entries: [
            immunization(ctx, ATC_CODES.tetanusDiphtheriaVaccine, SNOMED_CODES.tetanus, { daysAgo: 20, dose: 4 }),
            immunization(ctx, ATC_CODES.mmrVaccine, SNOMED_CODES.measles, { daysAgo: 9000, dose: 2 }),
          ],
        },
        procedures: { entries: [procedure(ctx, SNOMED_CODES.cesarean, { yearsAgo: 3 })] },
        planOfCare: {
          entries: [
            carePlan(
              ctx,
              'Παρακολούθηση κύησης',
              'Επόμενος προγεννητικός έλεγχος σε 2 εβδομάδες· έλεγχος αιμοσφαιρίνης σε 4 εβδομάδες.',
            ),
          ],
        },
        socialHistory: { entries: [smoking(ctx, SNOMED_CODES.neverSmoked, 10)] },
      }),
    },
    {
      name: 'noinfo-klaus-becker',
      scenario:
        '"No information" on allergies, procedures and immunizations; type 2 diabetes with an insulin pump (implant) and a high HbA1c; German document',
      features: ['no-information', 'implant', 'abnormal-results'],
      lang: 'de',
      sex: 'male',
      names: [{ given: ['Klaus'], family: 'Becker' }],
      age: 58,
      city: 'Köln',
      country: 'DE',
      contact: { given: 'Petra', family: 'Becker', relationship: 'Ehefrau', phone: '+49 151 23456789' },
      sections: (ctx) => ({
        allergies: { entries: [absentAllergy(ctx, SNOMED_CODES.noInformation)] },
        problems: {
          entries: [
            condition(ctx, SNOMED_CODES.diabetesType2, { yearsAgo: 11 }),
            condition(ctx, SNOMED_CODES.hypertension, { yearsAgo: 7 }),
          ],
        },
        medications: {
          entries: [
            medication(ctx, ATC_CODES.insulinAspart, {
              dosage: 'Über Insulinpumpe, Basalrate 0,8 IE/h, Bolus nach Mahlzeit',
              yearsAgo: 3,
              route: 'subcutaneous',
            }),
            medication(ctx, ATC_CODES.metformin, { dosage: '1000 mg zweimal täglich zu den Mahlzeiten', yearsAgo: 11 }),
            medication(ctx, ATC_CODES.ramipril, { dosage: '5 mg einmal täglich', yearsAgo: 7 }),
            medication(ctx, ATC_CODES.omeprazole, { dosage: '20 mg einmal täglich vor dem Frühstück', yearsAgo: 2 }),
          ],
        },
        devices: {
          entries: [
            device(ctx, SNOMED_CODES.insulinPump, {
              name: 'Insulinpumpe (Schulungsmodell IP-7)',
              manufacturer: 'Training Devices GmbH',
              yearsAgo: 3,
              bodySite: 'Abdomen',
            }),
          ],
        },
        results: {
          entries: [
            labObservation(
              ctx,
              { code: LOINC_CODES.hba1c, unit: '%', ucum: '%', low: 4, high: 5.6, value: 8.4, decimals: 1 },
              30,
            ),
            labObservation(
              ctx,
              { code: LOINC_CODES.glucose, unit: 'mg/dL', ucum: 'mg/dL', low: 70, high: 99, value: 182 },
              30,
            ),
            labObservation(
              ctx,
              { code: LOINC_CODES.creatinine, unit: 'mg/dL', ucum: 'mg/dL', low: 0.7, high: 1.3, decimals: 1 },
              30,
            ),
          ],
        },
        vitalSigns: {
          entries: vitalSigns(ctx, {
            systolic: 146,
            diastolic: 92,
            heartRate: 80,
            weightKg: 98,
            spo2: 97,
            daysAgo: 30,
          }),
        },
        immunizations: { emptyReason: 'notasked', text: 'Impfstatus nicht erhoben.' },
        procedures: { emptyReason: 'unavailable', text: 'Keine Informationen über frühere Eingriffe verfügbar.' },
        socialHistory: { entries: [smoking(ctx, SNOMED_CODES.currentSmoker, 30)] },
      }),
    },
    {
      name: 'noneknown-andreas-nikolaou',
      scenario:
        '"None known": no known allergies, no current problems, no known medications, no devices; a healed ankle sprain; English document',
      features: ['none-known', 'narrative-only'],
      lang: 'en',
      sex: 'male',
      names: [{ given: ['Andreas'], family: 'Nikolaou' }],
      age: 24,
      city: 'Nicosia',
      country: 'CY',
      contact: { given: 'Christina', family: 'Nikolaou', relationship: 'Mother', phone: '+357 99 123456' },
      sections: (ctx) => ({
        allergies: { entries: [absentAllergy(ctx, SNOMED_CODES.noKnownAllergy)] },
        problems: { entries: [absentCondition(ctx, SNOMED_CODES.noCurrentProblems)] },
        medications: { entries: [absentMedication(ctx, SNOMED_CODES.noKnownMedications)] },
        devices: { emptyReason: 'nilknown', text: 'No known medical devices.' },
        results: {
          entries: [
            labReport(
              ctx,
              LOINC_CODES.cbcPanel,
              [
                { code: LOINC_CODES.hemoglobin, unit: 'g/dL', ucum: 'g/dL', low: 13.5, high: 17.5, decimals: 1 },
                { code: LOINC_CODES.leukocytes, unit: '10*3/uL', ucum: '10*3/uL', low: 4.5, high: 11, decimals: 1 },
              ],
              { daysAgo: 400 },
            ),
          ],
        },
        immunizations: {
          entries: [
            immunization(ctx, ATC_CODES.mmrVaccine, SNOMED_CODES.measles, { daysAgo: 7000, dose: 2 }),
            immunization(ctx, ATC_CODES.tetanusDiphtheriaVaccine, SNOMED_CODES.tetanus, { daysAgo: 400, dose: 5 }),
          ],
        },
        procedures: { narrative: 'No surgical procedures reported by the patient (narrative only, no coded entries).' },
        pastIllness: { entries: [condition(ctx, SNOMED_CODES.ankleSprain, { yearsAgo: 2, resolvedYearsAgo: 2 })] },
        socialHistory: { entries: [smoking(ctx, SNOMED_CODES.neverSmoked, 400)] },
      }),
    },
  ];
}

/**
 * The training patients, in a fixed order (scenario-named: dnr-…, allergy-…, pregnant-…,
 * noinfo-…, noneknown-…).
 */
export function generateTrainingPatients(options: GenerateOptions = {}): GeneratedPatient[] {
  const seed = options.seed ?? 1;
  const now = options.asOf ?? new Date();
  const asOf = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return personas().map((spec, i) => document(spec, (seed * 7919 + i * 104_729) >>> 0, asOf));
}
