import type { ErrorCode } from '../../common/errors';
import { DCM, EMERGENCY_PURPOSE, SYSTEMS, type AuditAgent, type AuditEntity, type AuditEvent } from './event';

/**
 * Pure builders, one per step of the emergency flow, from typed inputs to AuditEvent entries.
 * AuditTrail (trail.ts) exposes each as a method that records it.
 */
export interface AuditContext {
  workstationId: string;
  /** The hospital's name (hospital.name). */
  site?: string;
  recorded: Date;
}

/** Who acted: from the verified certificate (or as far as it could be read, when the check failed). */
export interface AuditClinician {
  name: string;
  registration: string;
  /** SHA-256 of the certificate, hex. */
  certFingerprint: string;
}

export type AuditSeverity = 'minor' | 'serious' | 'major';
/** A failed step: its error code and how bad it was (default serious: the step did not happen). */
export interface AuditFailure {
  code: ErrorCode;
  severity?: AuditSeverity;
}

interface StepBase {
  clinician: AuditClinician | null;
  failure?: AuditFailure | null;
}

export type ScanSource = 'wedge' | 'serial' | 'paste' | 'manual' | 'image';
export type PurgeTrigger = 'retention' | 'manual' | 'sign-out';
export type EmergencyStopReason = 'expired' | 'closed' | 'signed-out' | 'locked' | 'clinician-changed';
/** What locked the session: the lock button, the idle timer (renderer or main), the OS screen lock, a suspend. */
export type LockTrigger = 'manual' | 'idle' | 'os-lock' | 'suspend';

export interface QrScannedInput extends StepBase {
  source: ScanSource;
}
export type CertificateCheckedInput = StepBase;
export interface HriLookupInput extends StepBase {
  patientRef: string | null;
}
export interface CredentialsObtainedInput extends StepBase {
  patientRef: string;
  provider: string;
  expiresAt?: Date | null;
}
export interface ObjectDownloadedInput extends StepBase {
  patientRef: string;
  bucket: string;
  objectKey: string;
  bytes?: number | null;
}
export interface CacheOpenedInput extends StepBase {
  patientRef: string;
  recordId: string;
  ageMs: number;
  offline: boolean;
}
export interface CachePurgedInput extends StepBase {
  trigger: PurgeTrigger;
  records: number;
  attachments: number;
}
export interface EmergencyAccessStartedInput extends StepBase {
  clinician: AuditClinician;
  patientRef: string;
  reasonCode: string;
  reasonText: string;
  until: Date;
  /** The free text sealed with the workstation key (AuditTrail does it): then the entry holds it only so (issue 12 §6). */
  reasonSealed?: { ref: string; sealed: string } | null;
}
export interface EmergencyAccessStoppedInput extends StepBase {
  clinician: AuditClinician;
  patientRef: string;
  reason: EmergencyStopReason;
  startedAt?: Date | null;
}
export interface AdditionSubmittedInput extends StepBase {
  patientRef: string;
  bucket: string;
  objectKey: string;
}
/** A new audit chain replacing another (database quarantined or recreated): what is known of the old one. */
export interface ChainResetInput extends StepBase {
  chainId: string;
  reason: 'database-quarantined' | 'database-recreated';
  /** The old chain's last known head, or null when nothing of it could be read. */
  previous: { chainId: string; seq: number; entryHash: string; source: 'damaged-database' | 'last-signed-head' } | null;
}
export interface SessionLockedInput extends StepBase {
  clinician: AuditClinician;
  trigger: LockTrigger;
  /** Emergency grants kept in main until their limit. */ grantsKept: number;
}
export interface SessionUnlockedInput extends StepBase {
  clinician: AuditClinician;
}
export interface RecordPrintedInput extends StepBase {
  clinician: AuditClinician;
  patientRef: string;
  recordId: string;
  format: 'pdf' | 'print';
}

const OUTCOME: Record<AuditSeverity, AuditEvent['outcome']> = { minor: '4', serious: '8', major: '12' };

const step = (code: string, display: string) => ({ system: SYSTEMS.step, code, display });

function clinicianAgent(c: AuditClinician, purposeOfUse?: AuditAgent['purposeOfUse']): AuditAgent {
  return {
    type: { coding: [{ system: SYSTEMS.participationType, code: 'AUT', display: 'author (originator)' }] },
    who: { identifier: { system: SYSTEMS.registration, value: c.registration }, display: c.name },
    altId: `sha256:${c.certFingerprint.toLowerCase()}`,
    name: c.name,
    requestor: true,
    ...(purposeOfUse ? { purposeOfUse } : {}),
  };
}

function base(
  ctx: AuditContext,
  input: StepBase,
  type: AuditEvent['type'],
  action: AuditEvent['action'],
  subtype: AuditEvent['subtype'],
  entity: AuditEntity[],
  extra: Partial<AuditEvent> = {},
): AuditEvent {
  const workstation = { identifier: { system: SYSTEMS.workstation, value: ctx.workstationId } };
  const agents: AuditAgent[] = [];
  if (input.clinician) agents.push(clinicianAgent(input.clinician, extra.purposeOfEvent));
  agents.push({ type: { coding: [DCM.application] }, who: workstation, requestor: !input.clinician });
  const failure = input.failure ?? null;
  return {
    resourceType: 'AuditEvent',
    type,
    subtype,
    action,
    recorded: ctx.recorded.toISOString(),
    outcome: failure ? OUTCOME[failure.severity ?? 'serious'] : '0',
    ...(failure ? { outcomeDesc: failure.code } : {}),
    agent: agents,
    source: {
      ...(ctx.site ? { site: ctx.site } : {}),
      observer: workstation,
      type: [{ system: SYSTEMS.sourceType, code: '1', display: 'User Device' }],
    },
    ...(entity.length ? { entity } : {}),
    ...extra,
  };
}

const patient = (ref: string): AuditEntity => ({
  what: { identifier: { system: SYSTEMS.patientRef, value: ref } },
  type: { system: SYSTEMS.entityType, code: '1', display: 'Person' },
  role: { system: SYSTEMS.objectRole, code: '1', display: 'Patient' },
});
const object = (bucket: string, key: string, detail?: AuditEntity['detail']): AuditEntity => ({
  what: { identifier: { system: SYSTEMS.object, value: `s3://${bucket}/${key}` } },
  type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
  ...(detail?.length ? { detail } : {}),
});
const record = (recordId: string, detail?: AuditEntity['detail']): AuditEntity => ({
  what: { identifier: { system: SYSTEMS.record, value: recordId } },
  type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
  ...(detail?.length ? { detail } : {}),
});
const purpose = (text?: string) => [{ coding: EMERGENCY_PURPOSE.map((c) => ({ ...c })), ...(text ? { text } : {}) }];

export const auditSteps = {
  qrScanned: (ctx: AuditContext, i: QrScannedInput) =>
    base(
      ctx,
      i,
      DCM.applicationActivity,
      'E',
      [step('qr-scan', 'Patient QR code scanned')],
      [
        {
          type: { system: SYSTEMS.entityType, code: '4', display: 'Other' },
          detail: [{ type: 'scan-source', valueString: i.source }],
        },
      ],
    ),

  certificateChecked: (ctx: AuditContext, i: CertificateCheckedInput) =>
    base(ctx, i, DCM.userAuthentication, 'E', [step('certificate-check', 'Clinician certificate verified')], []),

  hriLookup: (ctx: AuditContext, i: HriLookupInput) =>
    base(
      ctx,
      i,
      DCM.query,
      'E',
      [step('hri-lookup', 'Health Record Index lookup')],
      i.patientRef ? [patient(i.patientRef)] : [],
    ),

  credentialsObtained: (ctx: AuditContext, i: CredentialsObtainedInput) =>
    base(
      ctx,
      i,
      DCM.userAuthentication,
      'E',
      [step('cloud-credentials', 'Temporary cloud credentials obtained')],
      [
        patient(i.patientRef),
        {
          type: { system: SYSTEMS.entityType, code: '4', display: 'Other' },
          detail: [
            { type: 'provider', valueString: i.provider },
            ...(i.expiresAt ? [{ type: 'expires', valueString: i.expiresAt.toISOString() }] : []),
          ],
        },
      ],
    ),

  objectDownloaded: (ctx: AuditContext, i: ObjectDownloadedInput) =>
    base(
      ctx,
      i,
      { system: SYSTEMS.eventType, code: 'rest', display: 'RESTful Operation' },
      'R',
      [{ system: SYSTEMS.restful, code: 'read', display: 'read' }, step('object-download', 'Record object downloaded')],
      [
        patient(i.patientRef),
        object(
          i.bucket,
          i.objectKey,
          typeof i.bytes === 'number' ? [{ type: 'bytes', valueString: String(i.bytes) }] : undefined,
        ),
      ],
    ),

  cacheOpened: (ctx: AuditContext, i: CacheOpenedInput) =>
    base(
      ctx,
      i,
      DCM.patientRecord,
      'R',
      [step('cache-open', 'Cached record opened')],
      [
        patient(i.patientRef),
        record(i.recordId, [
          { type: 'age-seconds', valueString: String(Math.round(i.ageMs / 1000)) },
          { type: 'offline', valueString: String(i.offline) },
        ]),
      ],
    ),

  cachePurged: (ctx: AuditContext, i: CachePurgedInput) =>
    base(
      ctx,
      i,
      DCM.patientRecord,
      'D',
      [step('cache-purge', 'Record cache purged')],
      [
        {
          type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
          detail: [
            { type: 'trigger', valueString: i.trigger },
            { type: 'records', valueString: String(i.records) },
            { type: 'attachments', valueString: String(i.attachments) },
          ],
        },
      ],
    ),

  emergencyAccessStarted: (ctx: AuditContext, i: EmergencyAccessStartedInput) =>
    base(
      ctx,
      i,
      DCM.securityAlert,
      'E',
      [DCM.emergencyOverrideStarted],
      [
        patient(i.patientRef),
        i.reasonSealed
          ? {
              type: { system: SYSTEMS.entityType, code: '4', display: 'Other' },
              detail: [
                { type: 'reason-code', valueString: i.reasonCode },
                { type: 'reason-text-ref', valueString: i.reasonSealed.ref },
                { type: 'reason-text-sealed', valueString: i.reasonSealed.sealed },
              ],
            }
          : {
              type: { system: SYSTEMS.entityType, code: '4', display: 'Other' },
              description: i.reasonText,
              detail: [{ type: 'reason-code', valueString: i.reasonCode }],
            },
      ],
      {
        period: { start: ctx.recorded.toISOString(), end: i.until.toISOString() },
        purposeOfEvent: purpose(i.reasonSealed ? undefined : i.reasonText),
      },
    ),

  emergencyAccessStopped: (ctx: AuditContext, i: EmergencyAccessStoppedInput) =>
    base(
      ctx,
      i,
      DCM.securityAlert,
      'E',
      [DCM.emergencyOverrideStopped],
      [
        patient(i.patientRef),
        {
          type: { system: SYSTEMS.entityType, code: '4', display: 'Other' },
          detail: [{ type: 'stop-reason', valueString: i.reason }],
        },
      ],
      {
        ...(i.startedAt ? { period: { start: i.startedAt.toISOString(), end: ctx.recorded.toISOString() } } : {}),
        purposeOfEvent: purpose(),
      },
    ),

  chainReset: (ctx: AuditContext, i: ChainResetInput) =>
    base(
      ctx,
      i,
      DCM.applicationActivity,
      'E',
      [step('audit-chain-reset', 'Audit chain reset')],
      [
        {
          type: { system: SYSTEMS.entityType, code: '2', display: 'System Object' },
          detail: [
            { type: 'chain-id', valueString: i.chainId },
            { type: 'reset-reason', valueString: i.reason },
            ...(i.previous
              ? [
                  { type: 'previous-chain-id', valueString: i.previous.chainId },
                  { type: 'previous-seq', valueString: String(i.previous.seq) },
                  { type: 'previous-hash', valueString: i.previous.entryHash },
                  { type: 'previous-source', valueString: i.previous.source },
                ]
              : [{ type: 'previous-source', valueString: 'unknown' }]),
          ],
        },
      ],
    ),

  sessionLocked: (ctx: AuditContext, i: SessionLockedInput) =>
    base(
      ctx,
      i,
      DCM.userAuthentication,
      'E',
      [step('session-lock', 'Workstation session locked')],
      [
        {
          type: { system: SYSTEMS.entityType, code: '4', display: 'Other' },
          detail: [
            { type: 'lock-trigger', valueString: i.trigger },
            { type: 'grants-kept', valueString: String(i.grantsKept) },
          ],
        },
      ],
    ),

  sessionUnlocked: (ctx: AuditContext, i: SessionUnlockedInput) =>
    base(ctx, i, DCM.userAuthentication, 'E', [step('session-unlock', 'Workstation session unlocked')], []),

  /** A disclosure: the emergency summary printed or saved as PDF (DCM 110106 Export). */
  recordPrinted: (ctx: AuditContext, i: RecordPrintedInput) =>
    base(
      ctx,
      i,
      DCM.export,
      'R',
      [step('record-print', 'Emergency summary printed')],
      [patient(i.patientRef), record(i.recordId, [{ type: 'format', valueString: i.format }])],
      { purposeOfEvent: purpose() },
    ),

  additionSubmitted: (ctx: AuditContext, i: AdditionSubmittedInput) =>
    base(
      ctx,
      i,
      DCM.patientRecord,
      'C',
      [step('addition-submitted', 'Clinician addition submitted')],
      [patient(i.patientRef), object(i.bucket, i.objectKey)],
    ),
} as const;

export type AuditSteps = typeof auditSteps;
export type AuditStep = keyof AuditSteps;
