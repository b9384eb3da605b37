import { WorkstationError, isWorkstationError, type ErrorCode } from '../../common/errors';
import type { ClinicianSummary, SessionStatus } from '../../common/ipc/channels/session';
import {
  loadClinicianCredential,
  type ClinicianCredential,
  type ClinicianIdentity,
  type ClinicianVerifier,
  toPem,
} from '../pki/index';
import type { AuditClinician, AuditTrail, LockTrigger } from '../audit/index';
import { Hook, type WorkstationEvents } from '../events';

/**
 * The clinician signed in at this workstation. The private key lives only here, in main-process
 * memory; it is dropped on lock and on sign-out. A locked session keeps the credential file's
 * (passphrase-encrypted) bytes so the same clinician can unlock quickly with their passphrase.
 * A lock does not end emergency access: the grants and the record keys stay in main (served to
 * nobody while locked) until their time limit, so the same clinician finds the record where it was;
 * another clinician signing in ends them ('clinician-changed'). Lock and unlock are audited.
 */
export interface SignedInClinician {
  credential: ClinicianCredential;
  identity: ClinicianIdentity;
  audit: AuditClinician;
  warnings: { code: ErrorCode; details?: Record<string, string | number | boolean> }[];
}

export interface ClinicianSessionDeps {
  verifier: ClinicianVerifier;
  audit: AuditTrail;
  events: WorkstationEvents;
  /** Called after sign-out (e.g. purge the cache when the hospital wants it). */
  afterSignOut?: () => void;
}

/** The clinician's certificate and key for mutual TLS (MinIO AssumeRoleWithCertificate). Main process only. */
export function tlsIdentityOf(credential: ClinicianCredential): { certificatePem: string; privateKeyPem: string } {
  return {
    certificatePem: [credential.certificate, ...credential.chain].map((c) => toPem('CERTIFICATE', c.der)).join(''),
    privateKeyPem: credential.privateKey().export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

export function auditClinicianOf(identity: ClinicianIdentity): AuditClinician {
  return {
    name: identity.name,
    registration: identity.registrationNumber ?? '',
    certFingerprint: identity.fingerprint,
  };
}

export type AccessEndReason = 'locked' | 'signed-out' | 'clinician-changed';

/**
 * Told on lock (open records are kept, credentials that use the key are dropped) and when access
 * ends (sign-out, another clinician: open records and grants are closed), before the key is
 * dropped. Returns how many emergency grants a lock kept (audited with the lock).
 */
export type AccessEndListener = (reason: AccessEndReason) => number | void;

export class ClinicianSession {
  #current: SignedInClinician | null = null;
  /** The credential file as presented (still passphrase-encrypted), kept for a quick unlock. */
  #credentialBytes: Buffer | null = null;
  #locked: { fingerprint: string; summary: ClinicianSummary } | null = null;

  /** Who is told when access ends: the session knows none of them (the emergency side subscribes). */
  readonly #accessEnd = new Hook<[AccessEndReason], number | void>();

  constructor(private readonly deps: ClinicianSessionDeps) {}

  /** Subscribe to lock, sign-out and clinician change (main/open-record, main/shl); returns the unsubscribe. */
  onAccessEnd(listener: AccessEndListener): () => void {
    return this.#accessEnd.on(listener);
  }

  /** The signed-in, unlocked clinician, or NOT_SIGNED_IN / SESSION_LOCKED. */
  require(): SignedInClinician {
    if (this.#locked) throw new WorkstationError('SESSION_LOCKED');
    if (!this.#current) throw new WorkstationError('NOT_SIGNED_IN');
    return this.#current;
  }

  get clinician(): SignedInClinician | null {
    return this.#locked ? null : this.#current;
  }

  status(): SessionStatus {
    if (this.#locked) return { clinician: this.#locked.summary, locked: true };
    return { clinician: this.#current ? summaryOf(this.#current) : null, locked: false };
  }

  /** Load the credential, verify its chain against the hospital's trust anchors, sign in. */
  async signIn(bytes: Buffer, passphrase: string): Promise<SessionStatus> {
    const signedIn = await this.#verify(bytes, passphrase);
    const previous = this.#locked?.fingerprint ?? this.#current?.identity.fingerprint ?? null;
    if (this.#locked && previous === signedIn.identity.fingerprint) {
      // The same clinician, signing in again on the lock screen: an unlock (the emergency is kept).
      this.#locked = null;
      this.#current = signedIn;
      this.#credentialBytes = bytes;
      this.deps.audit.sessionUnlocked({ clinician: signedIn.audit });
      return this.#changed();
    }
    if (previous !== null) this.#end(previous === signedIn.identity.fingerprint ? 'signed-out' : 'clinician-changed');
    this.#current = signedIn;
    this.#credentialBytes = bytes;
    return this.#changed();
  }

  signOut(): SessionStatus {
    if (this.#current || this.#locked) {
      this.#end('signed-out');
      this.deps.afterSignOut?.();
    }
    return this.#changed();
  }

  /** Hide and drop the key; emergency grants stay in main until their limit (audited with the trigger). */
  lock(trigger: LockTrigger = 'manual'): SessionStatus {
    if (this.#current && !this.#locked) {
      const current = this.#current;
      const kept = this.#accessEnd.call('locked').reduce<number>((n, k) => n + (k ?? 0), 0);
      this.#locked = { fingerprint: current.identity.fingerprint, summary: summaryOf(current) };
      current.credential.dispose();
      this.#current = null;
      this.deps.audit.sessionLocked({ clinician: current.audit, trigger, grantsKept: kept });
    }
    return this.#changed();
  }

  /** Signed in and not locked (what the idle lock in main watches). */
  get active(): boolean {
    return this.#current !== null && this.#locked === null;
  }

  /** Quick re-unlock by the same clinician: the credential is re-opened and re-verified. */
  async unlock(passphrase: string): Promise<SessionStatus> {
    const locked = this.#locked;
    if (!locked) return this.status();
    const signedIn = await this.#verify(this.#credentialBytes!, passphrase);
    if (signedIn.identity.fingerprint !== locked.fingerprint) {
      signedIn.credential.dispose();
      throw new WorkstationError('PKI_CREDENTIAL_KEY_MISMATCH');
    }
    this.#locked = null;
    this.#current = signedIn;
    this.deps.audit.sessionUnlocked({ clinician: signedIn.audit });
    return this.#changed();
  }

  async #verify(bytes: Buffer, passphrase: string): Promise<SignedInClinician> {
    let credential: ClinicianCredential;
    try {
      credential = await loadClinicianCredential(bytes, passphrase);
    } catch (e) {
      this.deps.audit.certificateChecked({
        clinician: null,
        failure: { code: isWorkstationError(e) ? e.code : 'INTERNAL_ERROR', severity: 'minor' },
      });
      throw e;
    }
    const { result, identity } = await this.deps.verifier.verify(credential.certificate, credential.chain);
    const auditIdentity = auditClinicianOf(credential.identity());
    if (!result.valid || !identity) {
      credential.dispose();
      const code = result.code === 'OK' ? 'PKI_NO_PATH_TO_TRUST_ANCHOR' : result.code;
      this.deps.audit.certificateChecked({ clinician: auditIdentity, failure: { code, severity: 'serious' } });
      throw new WorkstationError(code, result.details);
    }
    this.deps.audit.certificateChecked({ clinician: auditIdentity });
    return {
      credential,
      identity,
      audit: auditIdentity,
      warnings: result.warnings.map((w) => ({ code: w.code, details: w.details })),
    };
  }

  #end(reason: 'signed-out' | 'clinician-changed'): void {
    this.#accessEnd.call(reason);
    this.#current?.credential.dispose();
    this.#current = null;
    this.#locked = null;
    this.#credentialBytes = null;
  }

  #changed(): SessionStatus {
    const status = this.status();
    this.deps.events.emit('session.changed', status);
    return status;
  }
}

function summaryOf(c: SignedInClinician): ClinicianSummary {
  return {
    name: c.identity.name,
    role: c.identity.roleText ?? c.identity.role,
    registration: c.identity.registrationNumber,
    issuer: c.identity.issuer,
    notAfter: c.identity.notAfter.toISOString(),
    daysToExpiry: c.identity.daysToExpiry,
    warnings: c.warnings,
  };
}
