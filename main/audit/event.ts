import { z } from 'zod';

/**
 * The audit entry: a FHIR R4 AuditEvent subset. The schema is strict (unknown fields are refused)
 * and has no place for clinical content or keys: entities are named by identifiers (the keyed
 * patient reference, object keys, record ids), free text is limited to the emergency reason and
 * error codes. Entries are built by the helpers in steps.ts.
 */
const Coding = z
  .object({ system: z.string().min(1), code: z.string().min(1), display: z.string().optional() })
  .strict();
const CodeableConcept = z.object({ coding: z.array(Coding).min(1), text: z.string().max(1000).optional() }).strict();
const Reference = z
  .object({
    identifier: z.object({ system: z.string().min(1), value: z.string().min(1) }).strict(),
    display: z.string().optional(),
  })
  .strict();
const Detail = z.object({ type: z.string().min(1), valueString: z.string() }).strict();

export const AuditAgent = z
  .object({
    type: CodeableConcept,
    who: Reference,
    /** The clinician's certificate fingerprint ("sha256:<hex>"). */
    altId: z.string().optional(),
    name: z.string().optional(),
    requestor: z.boolean(),
    purposeOfUse: z.array(CodeableConcept).optional(),
  })
  .strict();
export type AuditAgent = z.infer<typeof AuditAgent>;

export const AuditEntity = z
  .object({
    what: Reference.optional(),
    type: Coding,
    role: Coding.optional(),
    /** Free text: only the clinician's emergency reason. */
    description: z.string().max(1000).optional(),
    detail: z.array(Detail).optional(),
  })
  .strict();
export type AuditEntity = z.infer<typeof AuditEntity>;

export const AuditEvent = z
  .object({
    resourceType: z.literal('AuditEvent'),
    type: Coding,
    subtype: z.array(Coding).optional(),
    action: z.enum(['C', 'R', 'U', 'D', 'E']),
    period: z.object({ start: z.iso.datetime(), end: z.iso.datetime().optional() }).strict().optional(),
    recorded: z.iso.datetime(),
    /** 0 success, 4 minor failure, 8 serious failure, 12 major failure. */
    outcome: z.enum(['0', '4', '8', '12']),
    /** The error code when the step failed (never a message or details). */
    outcomeDesc: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]*$/)
      .optional(),
    purposeOfEvent: z.array(CodeableConcept).optional(),
    agent: z.array(AuditAgent).min(1),
    source: z.object({ site: z.string().optional(), observer: Reference, type: z.array(Coding).optional() }).strict(),
    entity: z.array(AuditEntity).optional(),
  })
  .strict();
export type AuditEvent = z.infer<typeof AuditEvent>;

export const SYSTEMS = {
  dcm: 'http://dicom.nema.org/resources/ontology/DCM',
  eventType: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  restful: 'http://hl7.org/fhir/restful-interaction',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  entityType: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  objectRole: 'http://terminology.hl7.org/CodeSystem/object-role',
  sourceType: 'http://terminology.hl7.org/CodeSystem/security-source-type',
  participationType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  /** This application's own step codes (subtype), one per step of the emergency flow. */
  step: 'urn:hcp-workstation:audit-step',
  workstation: 'urn:hcp-workstation:workstation-id',
  registration: 'urn:hcp-workstation:clinician-registration',
  patientRef: 'urn:hcp-workstation:patient-ref',
  object: 'urn:hcp-workstation:s3-object',
  record: 'urn:hcp-workstation:record-id',
} as const;

export const DCM = {
  applicationActivity: { system: SYSTEMS.dcm, code: '110100', display: 'Application Activity' },
  export: { system: SYSTEMS.dcm, code: '110106', display: 'Export' },
  patientRecord: { system: SYSTEMS.dcm, code: '110110', display: 'Patient Record' },
  query: { system: SYSTEMS.dcm, code: '110112', display: 'Query' },
  securityAlert: { system: SYSTEMS.dcm, code: '110113', display: 'Security Alert' },
  userAuthentication: { system: SYSTEMS.dcm, code: '110114', display: 'User Authentication' },
  emergencyOverrideStarted: { system: SYSTEMS.dcm, code: '110127', display: 'Emergency Override Started' },
  emergencyOverrideStopped: { system: SYSTEMS.dcm, code: '110138', display: 'Emergency Override Stopped' },
  application: { system: SYSTEMS.dcm, code: '110150', display: 'Application' },
} as const;

/** Purpose of use for emergency access: emergency treatment, break the glass. */
export const EMERGENCY_PURPOSE = [
  { system: SYSTEMS.actReason, code: 'ETREAT', display: 'Emergency Treatment' },
  { system: SYSTEMS.actReason, code: 'BTG', display: 'break the glass' },
] as const;
