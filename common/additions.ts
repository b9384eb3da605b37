import { z } from 'zod';
import { PatientLabel } from './patient-label';

/**
 * What a clinician can add to a patient's record during an emergency: the forms the editor fills
 * (renderer), validated again in main, where main/additions turns them into FHIR R4 resources,
 * signs and encrypts them and queues them in the outbox. DOM-free and Node-free: zod only.
 *
 * Each form is one `kind`; one submission carries 1..MAX_ITEMS forms, all for one open record.
 * Times are ISO 8601 with an offset (what `new Date().toISOString()` gives).
 */
export const ADDITION_KINDS = [
  'note',
  'vitals',
  'allergy',
  'condition',
  'medication',
  'procedure',
  'attachment',
] as const;
export type AdditionKind = (typeof ADDITION_KINDS)[number];

export const MAX_ITEMS = 50;
export const NOTE_MAX_CHARS = 20_000;
export const TEXT_MAX_CHARS = 500;
/**
 * Default size limits (config `additions.attachmentMaxBytes` / `additions.submissionMaxBytes` change
 * them, within ATTACHMENT_LIMIT_CEILING). Attachments travel as their own encrypted objects, streamed
 * through a staging file (`additions.stageAttachment`), never inside the signed JSON: the limits are
 * about what a pending bucket should hold, not about memory.
 */
export const ATTACHMENT_MAX_BYTES = 100 * 1024 * 1024;
/** All attachments of one submission together. */
export const SUBMISSION_MAX_BYTES = 100 * 1024 * 1024;
/** What a configuration may raise either limit to. */
export const ATTACHMENT_LIMIT_CEILING = 4 * 1024 * 1024 * 1024;
/** One `additions.stageAttachment` chunk carries at most this many bytes (the renderer sends STAGE_CHUNK_BYTES). */
export const STAGE_CHUNK_MAX_BYTES = 4 * 1024 * 1024;
export const STAGE_CHUNK_BYTES = 2 * 1024 * 1024;
export const ATTACHMENT_CONTENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const;
/** A staging id (what `additions.stageAttachment` begin returns): 32 hex digits. */
export const StagingId = z.string().regex(/^[0-9a-f]{32}$/, 'staging id');

const Instant = z.iso.datetime({ offset: true });
const ShortText = z.string().trim().min(1).max(TEXT_MAX_CHARS);
const OptionalText = z.string().trim().max(TEXT_MAX_CHARS).optional();

/** A coded concept picked from a list (SNOMED CT, ATC, ...), always with the text the clinician saw. */
export const CodedText = z
  .object({
    text: ShortText,
    coding: z
      .object({
        system: z.url().max(200),
        code: z.string().trim().min(1).max(64),
        display: z.string().trim().max(TEXT_MAX_CHARS).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type CodedText = z.infer<typeof CodedText>;

export const NoteForm = z
  .object({
    kind: z.literal('note'),
    /** e.g. "Emergency department note"; default is the LOINC display. */
    title: OptionalText,
    text: z.string().trim().min(1).max(NOTE_MAX_CHARS),
  })
  .strict();

/**
 * Vital signs: LOINC codes and UCUM units fixed here (VITAL_SIGNS), one Observation each; systolic
 * and diastolic form one blood-pressure panel (85354-9) and come together. Ranges are physiological
 * plausibility limits (a typo guard), not clinical alarm limits.
 */
export const VITAL_SIGNS = {
  heartRate: { loinc: '8867-4', display: 'Heart rate', unit: '/min', ucum: '/min', min: 0, max: 350 },
  respiratoryRate: { loinc: '9279-1', display: 'Respiratory rate', unit: '/min', ucum: '/min', min: 0, max: 120 },
  oxygenSaturation: {
    loinc: '59408-5',
    display: 'Oxygen saturation in Arterial blood by Pulse oximetry',
    unit: '%',
    ucum: '%',
    min: 0,
    max: 100,
  },
  bodyTemperature: { loinc: '8310-5', display: 'Body temperature', unit: '°C', ucum: 'Cel', min: 20, max: 46 },
  systolic: { loinc: '8480-6', display: 'Systolic blood pressure', unit: 'mmHg', ucum: 'mm[Hg]', min: 0, max: 350 },
  diastolic: { loinc: '8462-4', display: 'Diastolic blood pressure', unit: 'mmHg', ucum: 'mm[Hg]', min: 0, max: 250 },
  glasgowComaScore: {
    loinc: '9269-2',
    display: 'Glasgow coma score total',
    unit: '{score}',
    ucum: '{score}',
    min: 3,
    max: 15,
  },
  bloodGlucose: {
    loinc: '2339-0',
    display: 'Glucose [Mass/volume] in Blood',
    unit: 'mg/dL',
    ucum: 'mg/dL',
    min: 0,
    max: 2000,
  },
  painScore: {
    loinc: '72514-3',
    display: 'Pain severity - 0-10 verbal numeric rating [Score] - Reported',
    unit: '{score}',
    ucum: '{score}',
    min: 0,
    max: 10,
  },
} as const;
export type VitalSignName = keyof typeof VITAL_SIGNS;
export const BLOOD_PRESSURE_PANEL = {
  loinc: '85354-9',
  display: 'Blood pressure panel with all children optional',
} as const;
export const VITAL_SIGN_NAMES = Object.keys(VITAL_SIGNS) as VitalSignName[];

const vital = (name: VitalSignName) => {
  const v = VITAL_SIGNS[name];
  return z.number().finite().min(v.min).max(v.max).optional();
};

export const VitalsForm = z
  .object({
    kind: z.literal('vitals'),
    /** When measured (default: when submitted). */
    effective: Instant.optional(),
    heartRate: vital('heartRate'),
    respiratoryRate: vital('respiratoryRate'),
    oxygenSaturation: vital('oxygenSaturation'),
    bodyTemperature: vital('bodyTemperature'),
    systolic: vital('systolic'),
    diastolic: vital('diastolic'),
    glasgowComaScore: vital('glasgowComaScore').refine((v) => v === undefined || Number.isInteger(v), 'whole number'),
    bloodGlucose: vital('bloodGlucose'),
    painScore: vital('painScore').refine((v) => v === undefined || Number.isInteger(v), 'whole number'),
    /** On supplemental oxygen when SpO2 was measured (a note on that Observation). */
    note: OptionalText,
  })
  .strict()
  .refine((f) => VITAL_SIGN_NAMES.some((n) => f[n] !== undefined), {
    message: 'at least one vital sign',
    path: ['heartRate'],
  })
  .refine((f) => (f.systolic === undefined) === (f.diastolic === undefined), {
    message: 'systolic and diastolic together',
    path: ['diastolic'],
  })
  .refine((f) => f.systolic === undefined || f.diastolic === undefined || f.systolic > f.diastolic, {
    message: 'systolic above diastolic',
    path: ['systolic'],
  });

export const AllergyForm = z
  .object({
    kind: z.literal('allergy'),
    substance: CodedText,
    category: z.enum(['food', 'medication', 'environment', 'biologic']).optional(),
    criticality: z.enum(['low', 'high', 'unable-to-assess']).optional(),
    type: z.enum(['allergy', 'intolerance']).optional(),
    verification: z.enum(['unconfirmed', 'confirmed']).default('unconfirmed'),
    reaction: OptionalText,
    severity: z.enum(['mild', 'moderate', 'severe']).optional(),
  })
  .strict();

export const ConditionForm = z
  .object({
    kind: z.literal('condition'),
    condition: CodedText,
    clinicalStatus: z.enum(['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved']).default('active'),
    verification: z.enum(['unconfirmed', 'provisional', 'differential', 'confirmed']).default('provisional'),
    severity: z.enum(['mild', 'moderate', 'severe']).optional(),
    onset: Instant.optional(),
    note: OptionalText,
  })
  .strict();

export const MedicationForm = z
  .object({
    kind: z.literal('medication'),
    medication: CodedText,
    /** When given (default: when submitted). */
    effective: Instant.optional(),
    dose: z
      .object({ value: z.number().finite().positive().max(1e6), unit: z.string().trim().min(1).max(32) })
      .strict()
      .optional(),
    route: CodedText.optional(),
    reason: OptionalText,
    status: z.enum(['completed', 'in-progress', 'stopped', 'not-done']).default('completed'),
  })
  .strict();

export const ProcedureForm = z
  .object({
    kind: z.literal('procedure'),
    procedure: CodedText,
    performed: Instant.optional(),
    status: z.enum(['completed', 'in-progress', 'stopped', 'not-done']).default('completed'),
    bodySite: OptionalText,
    note: OptionalText,
  })
  .strict();

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')
  .refine((s) => s.length % 4 === 0, 'base64');

export const AttachmentForm = z
  .object({
    kind: z.literal('attachment'),
    title: ShortText,
    contentType: z.enum(ATTACHMENT_CONTENT_TYPES),
    /** The staged file (`additions.stageAttachment`): its bytes never travel in the form. */
    stagingId: StagingId,
    description: OptionalText,
  })
  .strict();

/**
 * Staging an attachment from the renderer in chunks: `begin` (the open record, declared size and
 * type; refused above the configured limit) -> `chunk` × n (in order, each at most STAGE_CHUNK_MAX_BYTES, base64
 * so the browser harness carries it as JSON too) -> `end` (the size must match); `discard` drops it.
 */
export const StageAttachmentRequest = z.discriminatedUnion('op', [
  z
    .object({
      op: z.literal('begin'),
      /** The open record the attachment is for: it is sealed for that patient as it arrives. */
      recordId: z.string().min(1).max(200),
      contentType: z.enum(ATTACHMENT_CONTENT_TYPES),
      size: z.number().int().min(1).max(ATTACHMENT_LIMIT_CEILING),
    })
    .strict(),
  z
    .object({
      op: z.literal('chunk'),
      stagingId: StagingId,
      /** 0, 1, 2 ...: a chunk out of order is refused (nothing is lost: the renderer starts again). */
      index: z.number().int().min(0),
      dataBase64: base64
        .min(4)
        .refine((s) => (s.length / 4) * 3 <= STAGE_CHUNK_MAX_BYTES + 2, `chunk larger than ${STAGE_CHUNK_MAX_BYTES}`),
    })
    .strict(),
  z.object({ op: z.literal('end'), stagingId: StagingId }).strict(),
  z.object({ op: z.literal('discard'), stagingId: StagingId }).strict(),
]);
export type StageAttachmentRequest = z.infer<typeof StageAttachmentRequest>;
export const StageAttachmentResponse = z.object({
  stagingId: StagingId,
  /** Bytes received so far (the whole file after `end`). */
  received: z.number().int(),
  /** After `end`: the file's SHA-256, hex (shown nowhere; lets a test compare). */
  sha256: z.string().optional(),
});
export type StageAttachmentResponse = z.infer<typeof StageAttachmentResponse>;

export const AdditionForm = z.discriminatedUnion('kind', [
  NoteForm,
  VitalsForm,
  AllergyForm,
  ConditionForm,
  MedicationForm,
  ProcedureForm,
  AttachmentForm,
]);
export type AdditionForm = z.infer<typeof AdditionForm>;
export type AdditionFormInput = z.input<typeof AdditionForm>;
export type NoteForm = z.infer<typeof NoteForm>;
export type VitalsForm = z.infer<typeof VitalsForm>;
export type AllergyForm = z.infer<typeof AllergyForm>;
export type ConditionForm = z.infer<typeof ConditionForm>;
export type MedicationForm = z.infer<typeof MedicationForm>;
export type ProcedureForm = z.infer<typeof ProcedureForm>;
export type AttachmentForm = z.infer<typeof AttachmentForm>;

export const AdditionForms = z
  .array(AdditionForm)
  .min(1)
  .max(MAX_ITEMS)
  .refine((forms) => {
    const ids = forms.flatMap((f) => (f.kind === 'attachment' ? [f.stagingId] : []));
    return new Set(ids).size === ids.length;
  }, 'one staged file per attachment');

/** Outbox states: queued -> sending -> sent, or -> failed-retrying (with the last error code) -> sending ... */
export const OUTBOX_STATUSES = ['queued', 'sending', 'sent', 'failed-retrying'] as const;
export const OutboxStatus = z.enum(OUTBOX_STATUSES);
export type OutboxStatus = z.infer<typeof OutboxStatus>;

/** One outbox item as the UI lists it: no record contents, only what the clinician needs to see it leave. */
export const OutboxItem = z.object({
  id: z.number().int(),
  /** SHA-256 (hex) of the signed addition: also its object name in the pending bucket. */
  additionId: z.string(),
  patientRef: z.string(),
  status: OutboxStatus,
  /** How many forms of each kind the addition holds, e.g. {note: 1, vitals: 1}. */
  kinds: z.record(z.string(), z.number().int()),
  attempts: z.number().int(),
  /** The error code of the last failed attempt (errors.<code> in the messages). */
  lastError: z.string().nullable(),
  createdAt: z.string(),
  nextAttemptAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  /** Who it is about, from the record cached on this workstation (absent once the cache is purged). */
  patient: PatientLabel.nullable().optional(),
});
export type OutboxItem = z.infer<typeof OutboxItem>;

export const OutboxCounts = z.object({
  queued: z.number().int(),
  sending: z.number().int(),
  sent: z.number().int(),
  'failed-retrying': z.number().int(),
});
export type OutboxCounts = z.infer<typeof OutboxCounts>;
