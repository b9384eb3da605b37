import { WorkstationError } from '../../common/errors';
import type { AccessReason } from '../../common/ipc/channels/emergency';
import type { AuditClinician } from '../audit/index';

/**
 * Break-the-glass access: opening a patient's record needs a stated reason and is granted for a
 * limited time (session.emergencyAccessMinutes). Grants are per clinician and patient; they end on
 * expiry, on close, on lock and on sign-out. Start and stop are audited by the caller.
 */
export interface AccessGrant {
  grantId: string;
  patientRef: string;
  /** Who broke the glass: the stop is audited under the same clinician as the start. */
  clinician: AuditClinician;
  reason: AccessReason;
  startedAt: Date;
  expiresAt: Date;
}

export class AccessGrants {
  readonly #grants = new Map<string, AccessGrant>();

  constructor(
    private readonly minutes: number,
    private readonly now: () => Date,
    private readonly newId: () => string,
  ) {}

  start(patientRef: string, clinician: AuditClinician, reason: AccessReason): AccessGrant {
    if (!reason.code) throw new WorkstationError('ACCESS_REASON_REQUIRED');
    const startedAt = this.now();
    const grant: AccessGrant = {
      grantId: this.newId(),
      patientRef,
      clinician,
      reason,
      startedAt,
      expiresAt: new Date(startedAt.getTime() + this.minutes * 60_000),
    };
    this.#grants.set(grant.grantId, grant);
    return grant;
  }

  /** The grant if still valid; throws ACCESS_EXPIRED (and forgets it) when its time is up. */
  require(grantId: string, clinicianFingerprint: string): AccessGrant {
    const g = this.#grants.get(grantId);
    if (!g || g.clinician.certFingerprint !== clinicianFingerprint) throw new WorkstationError('ACCESS_EXPIRED');
    if (this.now() >= g.expiresAt) {
      this.#grants.delete(grantId);
      throw new WorkstationError('ACCESS_EXPIRED');
    }
    return g;
  }

  /** Ends a grant; returns it when it existed (for the stop audit event). */
  end(grantId: string): AccessGrant | null {
    const g = this.#grants.get(grantId) ?? null;
    this.#grants.delete(grantId);
    return g;
  }

  /** Grants whose time is up, removed (the caller audits their stop). */
  sweepExpired(): AccessGrant[] {
    const now = this.now();
    const expired = [...this.#grants.values()].filter((g) => now >= g.expiresAt);
    expired.forEach((g) => this.#grants.delete(g.grantId));
    return expired;
  }

  /** Every grant, removed (lock, sign-out). */
  endAll(): AccessGrant[] {
    const all = [...this.#grants.values()];
    this.#grants.clear();
    return all;
  }
}
