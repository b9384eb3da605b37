import { WorkstationError } from '../../common/errors';
import type { AccessReason } from '../../common/ipc/channels/emergency';
import type { AuditClinician } from '../audit/index';

/**
 * Break-the-glass access: opening a patient's record needs a stated reason and is granted for a
 * limited time (session.emergencyAccessMinutes). Grants are per clinician and patient; they end on
 * expiry, on close, on sign-out and when another clinician signs in (a lock keeps them: the same
 * clinician unlocking finds the record). Each grant has a timer in main that calls `onExpire` at its
 * limit, whatever the screen does (stalled, locked, asleep). Start and stop are audited by the caller.
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

/**
 * The timer waits in steps of at most this, checking the wall clock each time: Node's timers run on
 * the monotonic clock, which stops while the machine sleeps, and a grant's limit is wall-clock time.
 */
const MAX_TIMER_MS = 15_000;

export class AccessGrants {
  readonly #grants = new Map<string, AccessGrant>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly minutes: number,
    private readonly now: () => Date,
    private readonly newId: () => string,
    /** Called when a grant's time is up (the caller sweeps, audits and drops the record). */
    private readonly onExpire: () => void = () => {},
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
    this.#schedule(grant);
    return grant;
  }

  /** How many grants are held. */
  get size(): number {
    return this.#grants.size;
  }

  #schedule(grant: AccessGrant): void {
    const wait = Math.min(Math.max(0, grant.expiresAt.getTime() - this.now().getTime()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(grant.grantId);
      if (!this.#grants.has(grant.grantId)) return;
      // Not yet (a long wait is done in steps; the wall clock may have moved back): wait again.
      if (this.now() < grant.expiresAt) this.#schedule(grant);
      else this.onExpire();
    }, wait);
    timer.unref?.();
    this.#timers.set(grant.grantId, timer);
  }

  #forget(grantId: string): void {
    clearTimeout(this.#timers.get(grantId));
    this.#timers.delete(grantId);
    this.#grants.delete(grantId);
  }

  /** The grant if still valid; throws ACCESS_EXPIRED (and forgets it) when its time is up. */
  require(grantId: string, clinicianFingerprint: string): AccessGrant {
    const g = this.#grants.get(grantId);
    if (!g || g.clinician.certFingerprint !== clinicianFingerprint) throw new WorkstationError('ACCESS_EXPIRED');
    if (this.now() >= g.expiresAt) {
      this.#forget(grantId);
      throw new WorkstationError('ACCESS_EXPIRED');
    }
    return g;
  }

  /** Ends a grant; returns it when it existed (for the stop audit event). */
  end(grantId: string): AccessGrant | null {
    const g = this.#grants.get(grantId) ?? null;
    this.#forget(grantId);
    return g;
  }

  /** Grants whose time is up, removed (the caller audits their stop). */
  sweepExpired(): AccessGrant[] {
    const now = this.now();
    const expired = [...this.#grants.values()].filter((g) => now >= g.expiresAt);
    expired.forEach((g) => this.#forget(g.grantId));
    return expired;
  }

  /** Every grant, removed (sign-out). */
  endAll(): AccessGrant[] {
    const all = [...this.#grants.values()];
    all.forEach((g) => this.#forget(g.grantId));
    return all;
  }
}
