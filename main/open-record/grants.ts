import { randomBytes } from 'node:crypto';
import type { AccessReason } from '../../common/ipc/channels/emergency';
import type { AuditClinician, AuditTrail, EmergencyStopReason } from '../audit/index';
import { AccessGrants, type AccessGrant } from '../session/index';

export interface EmergencyGrantsDeps {
  /** session.emergencyAccessMinutes */
  minutes: number;
  audit: AuditTrail;
  now: () => Date;
  /** A grant's time is up (its timer in main): the caller sweeps (sweepExpired) and drops the record. */
  onExpire: () => void;
  newId?: () => string;
}

/**
 * Break-the-glass grants with their audit: each start is a DCM 110127 event, each end (close,
 * lock/sign-out, expiry) a 110138 under the same clinician, so every start has its stop.
 */
export class EmergencyGrants {
  readonly #grants: AccessGrants;
  readonly #audit: AuditTrail;

  constructor(deps: EmergencyGrantsDeps) {
    this.#audit = deps.audit;
    this.#grants = new AccessGrants(
      deps.minutes,
      deps.now,
      deps.newId ?? (() => randomBytes(12).toString('hex')),
      deps.onExpire,
    );
  }

  /** Starts a grant (ACCESS_REASON_REQUIRED without a reason code), audited. */
  start(patientRef: string, clinician: AuditClinician, reason: AccessReason): AccessGrant {
    const grant = this.#grants.start(patientRef, clinician, reason);
    this.#audit.emergencyAccessStarted({
      clinician,
      patientRef,
      reasonCode: reason.code,
      reasonText: reason.text,
      until: grant.expiresAt,
    });
    return grant;
  }

  /** Ends a grant, its stop audited with `reason`; false when it had already ended. */
  stop(grantId: string, reason: EmergencyStopReason): boolean {
    const grant = this.#grants.end(grantId);
    if (grant) this.#auditStop(grant, reason);
    return grant !== null;
  }

  /** The grant if still valid for this clinician; ACCESS_EXPIRED otherwise (sweep first to audit an expiry). */
  require(grantId: string, clinicianFingerprint: string): AccessGrant {
    return this.#grants.require(grantId, clinicianFingerprint);
  }

  /** Grants whose time is up: ended, each stop audited as expired. */
  sweepExpired(): AccessGrant[] {
    const expired = this.#grants.sweepExpired();
    for (const g of expired) this.#auditStop(g, 'expired');
    return expired;
  }

  get size(): number {
    return this.#grants.size;
  }

  #auditStop(grant: AccessGrant, reason: EmergencyStopReason): void {
    this.#audit.emergencyAccessStopped({
      clinician: grant.clinician,
      patientRef: grant.patientRef,
      reason,
      startedAt: grant.startedAt,
    });
  }
}
