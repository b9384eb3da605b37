import { z } from 'zod';
import { channel } from '../define';

/** The steps the audit trail records (main/audit/steps.ts), as the UI names them. */
export const AUDIT_STEPS = [
  'qr-scan',
  'certificate-check',
  'hri-lookup',
  'cloud-credentials',
  'object-download',
  'cache-open',
  'cache-purge',
  'emergency-start',
  'emergency-stop',
  'addition-submitted',
  'session-lock',
  'session-unlock',
  'record-print',
  'other',
] as const;

/** One audit entry of the clinician's session, reduced to what the review screen shows. */
export const SessionAuditEntry = z.object({
  seq: z.number().int(),
  recorded: z.string(),
  step: z.enum(AUDIT_STEPS),
  /** False when the step failed (the entry's outcome was not 0). */
  ok: z.boolean(),
  /** The error code of a failed step. */
  errorCode: z.string().nullable(),
  patientRef: z.string().nullable(),
  /** The emergency reason, the scan source, the stop reason, the lock trigger or the object key, when the step has one. */
  detail: z.string().nullable(),
});
export type SessionAuditEntry = z.infer<typeof SessionAuditEntry>;

export const auditChannels = {
  /** The audit entries of the signed-in clinician since their sign-in, newest first. Errors: NOT_SIGNED_IN, SESSION_LOCKED. */
  'audit.session': channel(
    z.object({}).strict(),
    z.object({ since: z.string().nullable(), entries: z.array(SessionAuditEntry) }),
  ),
};
