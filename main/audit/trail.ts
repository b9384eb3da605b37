import { randomBytes } from 'node:crypto';
import { isWorkstationError } from '../../common/errors';
import { type Db, blobAad, deriveSubkey, openBlob, sealBlob } from '../cache';
import { silentLogger, type Logger } from '../log';
import { canonicalJson } from './canonical';
import { GENESIS_HASH, entryHash } from './chain';
import { AuditEvent } from './event';
import { sessionEntries, type SessionEntries } from './session-entries';
import {
  auditSteps,
  type AdditionSubmittedInput,
  type ChainResetInput,
  type SessionLockedInput,
  type SessionUnlockedInput,
  type RecordPrintedInput,
  type CacheOpenedInput,
  type CachePurgedInput,
  type CertificateCheckedInput,
  type CredentialsObtainedInput,
  type EmergencyAccessStartedInput,
  type EmergencyAccessStoppedInput,
  type HriLookupInput,
  type ObjectDownloadedInput,
  type QrScannedInput,
} from './steps';

export interface AuditTrailOptions {
  db: Db;
  /** hospital.workstationId */
  workstationId: string;
  /** hospital.name */
  site?: string;
  now?: () => Date;
  log?: Logger;
  /** The workstation key (cache/key-store.ts): with it the break-the-glass free text is sealed in the entry (the workstation always gives it). */
  workstationKey?: Buffer;
}

const reasonAad = (ref: string) => blobAad('audit_log', 'emergency-reason', ref);

/** One stored entry of the chain. */
export interface AuditEntry {
  seq: number;
  event: AuditEvent;
  prevHash: string;
  entryHash: string;
}

/**
 * The workstation's audit trail: every step of the emergency flow as a FHIR AuditEvent, appended
 * to a hash chain in SQLite (see chain.ts), shipped in batches by AuditShipper.
 */
export class AuditTrail {
  readonly #db: Db;
  readonly #workstationId: string;
  readonly #site: string | undefined;
  readonly #now: () => Date;
  readonly #log: Logger;
  readonly #reasonKey: Buffer | null;

  constructor(options: AuditTrailOptions) {
    this.#reasonKey = options.workstationKey ? deriveSubkey(options.workstationKey, 'audit-emergency-reason') : null;
    this.#db = options.db;
    this.#workstationId = options.workstationId;
    this.#site = options.site;
    this.#now = options.now ?? (() => new Date());
    this.#log = options.log ?? silentLogger;
  }

  get workstationId(): string {
    return this.#workstationId;
  }

  /** Validates the event (strict schema: no room for record contents) and appends it to the chain. */
  record(event: AuditEvent): AuditEntry {
    const parsed = AuditEvent.parse(event);
    const entry = this.#db
      .transaction((): AuditEntry => {
        // Chain on whichever is further: the head, or the newest row. After a deletion of the newest
        // rows the next entry still follows the head, leaving a gap verifyAuditChain reports.
        type Tip = { seq: number; entry_hash: string } | undefined;
        const head = this.#db.prepare('SELECT seq, entry_hash FROM audit_head WHERE id = 1').get() as Tip;
        const newest = this.#db.prepare('SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Tip;
        const tip = head && (!newest || head.seq >= newest.seq) ? head : newest;
        const seq = (tip?.seq ?? 0) + 1;
        const prevHash = tip?.entry_hash ?? GENESIS_HASH;
        const text = canonicalJson({ seq, event: parsed });
        const hash = entryHash(prevHash, text);
        this.#db
          .prepare('INSERT INTO audit_log (seq, entry, prev_hash, entry_hash) VALUES (?, ?, ?, ?)')
          .run(seq, text, prevHash, hash);
        this.#db
          .prepare(
            'INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, entry_hash = excluded.entry_hash',
          )
          .run(seq, hash);
        return { seq, event: parsed, prevHash, entryHash: hash };
      })
      .immediate();
    this.#log.debug('audit entry', {
      seq: entry.seq,
      step: parsed.subtype?.[parsed.subtype.length - 1]?.code,
      outcome: parsed.outcome,
    });
    return entry;
  }

  /** Entries from `fromSeq` on, oldest first (for review screens and tests). */
  entries(fromSeq = 1, limit = 1000): AuditEntry[] {
    const rows = this.#db
      .prepare('SELECT seq, entry, prev_hash, entry_hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?')
      .all(fromSeq, limit) as {
      seq: number;
      entry: string;
      prev_hash: string;
      entry_hash: string;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      event: (JSON.parse(r.entry) as { event: AuditEvent }).event,
      prevHash: r.prev_hash,
      entryHash: r.entry_hash,
    }));
  }

  /**
   * The clinician's own entries since their latest sign-in, newest first, at most `limit`, for the
   * review screen: answered in SQL by index (migration 070), only the shown entries parsed.
   */
  sessionEntries(certFingerprint: string, limit: number): SessionEntries {
    return sessionEntries(this.#db, certFingerprint, limit, (event) => this.emergencyReasonText({ event }));
  }

  qrScanned(input: QrScannedInput): AuditEntry {
    return this.record(auditSteps.qrScanned(this.#ctx(), input));
  }
  /**
   * Reads a scanned code with `parse`, audited either way: the scan, or the refusal with its code
   * (minor: nothing was disclosed) before the error goes on. The one way every scanner (the
   * emergency QR, SMART Health Links) records its scans.
   */
  scanned<T>(input: Omit<QrScannedInput, 'failure'>, parse: () => T): T {
    let parsed: T;
    try {
      parsed = parse();
    } catch (e) {
      this.qrScanned({
        ...input,
        failure: { code: isWorkstationError(e) ? e.code : 'INTERNAL_ERROR', severity: 'minor' },
      });
      throw e;
    }
    this.qrScanned(input);
    return parsed;
  }
  certificateChecked(input: CertificateCheckedInput): AuditEntry {
    return this.record(auditSteps.certificateChecked(this.#ctx(), input));
  }
  hriLookup(input: HriLookupInput): AuditEntry {
    return this.record(auditSteps.hriLookup(this.#ctx(), input));
  }
  credentialsObtained(input: CredentialsObtainedInput): AuditEntry {
    return this.record(auditSteps.credentialsObtained(this.#ctx(), input));
  }
  objectDownloaded(input: ObjectDownloadedInput): AuditEntry {
    return this.record(auditSteps.objectDownloaded(this.#ctx(), input));
  }
  cacheOpened(input: CacheOpenedInput): AuditEntry {
    return this.record(auditSteps.cacheOpened(this.#ctx(), input));
  }
  cachePurged(input: CachePurgedInput): AuditEntry {
    return this.record(auditSteps.cachePurged(this.#ctx(), input));
  }
  /**
   * The free text is kept only sealed with the workstation key (AES-256-GCM, bound to a random
   * reference in the entry): the entry in SQLite and the shipped batches hold the reason code, the
   * reference and the ciphertext; `emergencyReasonText` opens it for the signed-in clinician's view.
   */
  emergencyAccessStarted(input: EmergencyAccessStartedInput): AuditEntry {
    let reasonSealed: EmergencyAccessStartedInput['reasonSealed'] = null;
    if (this.#reasonKey) {
      const ref = randomBytes(16).toString('hex');
      reasonSealed = {
        ref,
        sealed: sealBlob(this.#reasonKey, Buffer.from(input.reasonText, 'utf8'), reasonAad(ref)).toString('base64'),
      };
    }
    return this.record(auditSteps.emergencyAccessStarted(this.#ctx(), { ...input, reasonSealed }));
  }

  /** The break-the-glass free text of an emergency-start entry (sealed or, written before issue 12 §6, in clear); null when it has none or it does not open. */
  emergencyReasonText(entry: Pick<AuditEntry, 'event'>): string | null {
    const details = (entry.event.entity ?? []).flatMap((e) => e.detail ?? []);
    const value = (type: string) => details.find((d) => d.type === type)?.valueString ?? null;
    const ref = value('reason-text-ref');
    const sealed = value('reason-text-sealed');
    if (ref && sealed) {
      if (!this.#reasonKey) return null;
      try {
        return openBlob(this.#reasonKey, Buffer.from(sealed, 'base64'), reasonAad(ref)).toString('utf8');
      } catch {
        return null;
      }
    }
    return entry.event.entity?.find((e) => e.description)?.description ?? null;
  }
  emergencyAccessStopped(input: EmergencyAccessStoppedInput): AuditEntry {
    return this.record(auditSteps.emergencyAccessStopped(this.#ctx(), input));
  }
  sessionLocked(input: SessionLockedInput): AuditEntry {
    return this.record(auditSteps.sessionLocked(this.#ctx(), input));
  }
  sessionUnlocked(input: SessionUnlockedInput): AuditEntry {
    return this.record(auditSteps.sessionUnlocked(this.#ctx(), input));
  }
  recordPrinted(input: RecordPrintedInput): AuditEntry {
    return this.record(auditSteps.recordPrinted(this.#ctx(), input));
  }
  additionSubmitted(input: AdditionSubmittedInput): AuditEntry {
    return this.record(auditSteps.additionSubmitted(this.#ctx(), input));
  }
  chainReset(input: ChainResetInput): AuditEntry {
    return this.record(auditSteps.chainReset(this.#ctx(), input));
  }

  #ctx() {
    return { workstationId: this.#workstationId, ...(this.#site ? { site: this.#site } : {}), recorded: this.#now() };
  }
}
