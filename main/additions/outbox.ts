import { createHash } from 'node:crypto';
import type { OutboxCounts, OutboxItem, OutboxStatus } from '../../common/additions';
import { WorkstationError } from '../../common/errors';
import type { AuditClinician } from '../audit';
import { type Db, asStorageError, withStorageErrors, blobAad, deriveSubkey, openBlob, sealBlob } from '../cache';
import { OutboxSpool, type SpooledAddition, type SpooledAttachment } from './outbox-spool';

/**
 * The durable outbox of signed, encrypted additions (table `outbox`, migration 005). `enqueue`
 * commits with synchronous = FULL — the row is on disk before the caller goes near the network —
 * and stores the container itself, so that what is retried after a crash is byte for byte what was
 * first tried. The sender (sender.ts) moves rows queued -> sending -> sent | failed-retrying.
 *
 * With a spool directory (the workstation always gives one), each addition is also an fsync'ed file
 * there until its upload is confirmed (outbox-spool.ts), and `recoverFromSpool()` on start puts back
 * what a damaged or replaced database lost.
 *
 * The pending object key names the citizen (`<citizenId>/<workstation>/<additionId>.hcpc`): with
 * the workstation key (the workstation always gives it) it is kept sealed, in the row and in the
 * spool file, with the record cache's at-rest encryption (cache/seal.ts, subkey 'outbox-object-key',
 * bound to the addition id) and opened only when the sender takes the item (issue 12 §6). Rows and
 * spool files written before that, with the key in clear, are sealed on start (recoverFromSpool).
 *
 * Attachments (docs/formats.md §7.1) are never in the database: their containers (written while the
 * file was staged) are moved into spool files (`spoolAttachment`, before `enqueue`) and the row lists them (column `attachments`,
 * migration 060) with their size, SHA-256 and whether their object is up yet; their object keys
 * are siblings of the addition's (attachments.ts), so nothing more of the citizen is stored.
 */
export type OutboxAttachment = SpooledAttachment;
export interface UploadTarget {
  endpoint: string;
  region: string;
  bucket: string;
}

export interface OutboxEntryInput {
  additionId: string;
  patientRef: string;
  target: UploadTarget;
  objectKey: string;
  /** The encrypted container. */
  body: Buffer;
  /** Attachment containers already spooled (spoolAttachment) under this addition id. */
  attachments?: OutboxAttachment[];
  kinds: Record<string, number>;
  clinician: AuditClinician;
}

/** An attachment object the sender has to upload. */
export interface DueAttachment extends OutboxAttachment {
  /** Its spool file (the container). */
  file: string;
}

/** What the sender needs to upload one item. */
export interface DueItem {
  id: number;
  additionId: string;
  patientRef: string;
  target: UploadTarget;
  objectKey: string;
  body: Buffer;
  bodySha256: string;
  /** Uploaded before the addition's own object, which makes the addition visible. */
  attachments: DueAttachment[];
  attempts: number;
  clinician: AuditClinician;
}

interface Row {
  id: number;
  addition_id: string;
  patient_ref: string;
  endpoint: string;
  region: string;
  bucket: string;
  object_key: string;
  body: Buffer | null;
  body_sha256: string;
  attachments: string | null;
  kinds: string;
  clinician: string;
  status: OutboxStatus;
  attempts: number;
  last_error: string | null;
  created_at: number;
  next_attempt_at: number | null;
  sent_at: number | null;
}

/** A stored object key that is sealed (otherwise: a key in clear, written before issue 12 §6). */
const SEALED_KEY = 'sealed:v1:';
const keyAad = (additionId: string) => blobAad('outbox', additionId, 'object_key');

const VIEW_COLUMNS =
  'id, addition_id, patient_ref, kinds, status, attempts, last_error, created_at, next_attempt_at, sent_at';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toItem(
  r: Pick<
    Row,
    | 'id'
    | 'addition_id'
    | 'patient_ref'
    | 'kinds'
    | 'status'
    | 'attempts'
    | 'last_error'
    | 'created_at'
    | 'next_attempt_at'
    | 'sent_at'
  >,
): OutboxItem {
  return {
    id: r.id,
    additionId: r.addition_id,
    patientRef: r.patient_ref,
    status: r.status,
    kinds: JSON.parse(r.kinds) as Record<string, number>,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: new Date(r.created_at).toISOString(),
    nextAttemptAt: r.status === 'sent' ? null : iso(r.next_attempt_at),
    sentAt: iso(r.sent_at),
  };
}

/** What `recoverFromSpool` did: shown to IT (Diagnostics) and logged. */
export interface OutboxRecovery {
  /** Unsent additions the database had lost (or held damaged) and got back from their spool files. */
  recovered: number;
  /** Spool files that were damaged themselves: those additions could not be recovered (the files are kept in `unreadable/`). */
  unrecoverable: number;
  /** Unsent additions waiting after recovery. */
  waiting: number;
}

export class Outbox {
  readonly #db: Db;
  readonly #now: () => Date;
  readonly #spool: OutboxSpool | null;
  readonly #keyKey: Buffer | null;

  /** `workstationKey`: the record cache's key (cache/key-store.ts); with it the object keys are sealed at rest. */
  constructor(db: Db, options: { now?: () => Date; spoolDir?: string; workstationKey?: Buffer } = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#spool = options.spoolDir ? new OutboxSpool(options.spoolDir) : null;
    this.#keyKey = options.workstationKey ? deriveSubkey(options.workstationKey, 'outbox-object-key') : null;
  }

  /** The object key as stored: sealed when the outbox has the workstation key. */
  #storedKey(additionId: string, objectKey: string): string {
    if (!this.#keyKey || objectKey.startsWith(SEALED_KEY)) return objectKey;
    return SEALED_KEY + sealBlob(this.#keyKey, Buffer.from(objectKey, 'utf8'), keyAad(additionId)).toString('base64');
  }

  /** The object key in clear; CACHE_CORRUPT when a sealed key does not open (tampered, moved, other key). */
  #clearKey(additionId: string, stored: string): string {
    if (!stored.startsWith(SEALED_KEY)) return stored;
    if (!this.#keyKey) throw new WorkstationError('CACHE_CORRUPT', { reason: 'no-key' });
    return openBlob(this.#keyKey, Buffer.from(stored.slice(SEALED_KEY.length), 'base64'), keyAad(additionId)).toString(
      'utf8',
    );
  }

  #keyOpens(additionId: string, stored: string): boolean {
    try {
      this.#clearKey(additionId, stored);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Commits the item durably (synchronous = FULL for this transaction: the WAL is fsynced at
   * commit) and returns it. The same addition enqueued twice stays one row.
   */
  enqueue(input: OutboxEntryInput): OutboxItem {
    const existing = this.byAdditionId(input.additionId);
    if (existing) return existing;
    if (input.attachments?.length && !this.#spool)
      throw new WorkstationError('INTERNAL_ERROR', { reason: 'attachments need the outbox spool' });
    const now = this.#now().getTime();
    const bodySha256 = createHash('sha256').update(input.body).digest('hex');
    const objectKey = this.#storedKey(input.additionId, input.objectKey);
    // The file first: once the row is committed the addition must already survive losing the database.
    withStorageErrors(() =>
      this.#spool?.write({
        additionId: input.additionId,
        patientRef: input.patientRef,
        target: input.target,
        objectKey,
        body: input.body,
        bodySha256,
        ...(input.attachments?.length ? { attachments: input.attachments } : {}),
        kinds: input.kinds,
        clinician: input.clinician,
        createdAt: now,
      }),
    );
    try {
      this.#insert({ ...input, objectKey, bodySha256, createdAt: now });
    } catch (e) {
      // Not committed: the caller is told it failed (STORAGE_FULL, STORAGE_BUSY...), so the addition must not come back later either.
      try {
        this.#spool?.remove(input.additionId); // with its attachment files
      } catch {
        // A spool file without its row is queued again at the next start: sent once, not lost.
      }
      throw asStorageError(e);
    }
    return this.byAdditionId(input.additionId)!;
  }

  /** `objectKey` as stored (#storedKey). */
  #insert(input: OutboxEntryInput & { bodySha256: string; createdAt: number }): void {
    const db = this.#db;
    const previous = db.pragma('synchronous', { simple: true }) as number;
    db.pragma('synchronous = FULL');
    try {
      const now = input.createdAt;
      db.prepare(
        `INSERT INTO outbox (addition_id, patient_ref, endpoint, region, bucket, object_key, body, body_sha256, attachments, kinds, clinician, status, attempts, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)
         ON CONFLICT (addition_id) DO NOTHING`,
      ).run(
        input.additionId,
        input.patientRef,
        input.target.endpoint,
        input.target.region,
        input.target.bucket,
        input.objectKey,
        input.body,
        input.bodySha256,
        input.attachments?.length ? JSON.stringify(input.attachments.map((a) => ({ ...a, sent: false }))) : null,
        JSON.stringify(input.kinds),
        JSON.stringify(input.clinician),
        now,
        now,
      );
    } finally {
      db.pragma(`synchronous = ${previous}`);
    }
  }

  /**
   * Moves a finished attachment container into the spool (before `enqueue` names it). The file
   * belongs to no row until `enqueue` commits; `discardAttachments` drops it when the submission fails first.
   */
  async spoolAttachment(
    additionId: string,
    container: { attachmentId: string; file: string; size: number; sha256: string },
  ): Promise<OutboxAttachment> {
    if (!this.#spool) throw new WorkstationError('INTERNAL_ERROR', { reason: 'attachments need the outbox spool' });
    try {
      await this.#spool.adoptAttachment(additionId, container.attachmentId, container.file);
    } catch (e) {
      throw asStorageError(e);
    }
    return { attachmentId: container.attachmentId, size: container.size, sha256: container.sha256, sent: false };
  }

  /** A submission that failed before its commit: its spooled attachment files go (never when the row exists). */
  discardAttachments(additionId: string): void {
    if (this.byAdditionId(additionId)) return;
    this.#spool?.removeAttachments(additionId);
  }

  /** Its object is up: recorded, so a resumed upload (a crash, a retry) does not send it again. */
  markAttachmentSent(id: number, attachmentId: string): void {
    const raw = this.#db.prepare('SELECT attachments FROM outbox WHERE id = ?').pluck().get(id) as string | null;
    if (!raw) return;
    const list = JSON.parse(raw) as OutboxAttachment[];
    for (const a of list) if (a.attachmentId === attachmentId) a.sent = true;
    this.#db.prepare('UPDATE outbox SET attachments = ? WHERE id = ?').run(JSON.stringify(list), id);
  }

  /**
   * On start, before the sender runs: every spool file whose addition the database does not hold
   * (a fresh database after a quarantine, a lost row) or holds damaged (its body no longer matches
   * its hash) is queued again from the file; a spool file of an addition already sent is removed;
   * an unsent row without a file (written before spooling existed) gets one. Damaged spool files
   * are set aside and counted. Safe to run any number of times: sending is idempotent per
   * addition (content-addressed object key, same bytes).
   */
  recoverFromSpool(): OutboxRecovery {
    const spool = this.#spool;
    const result: OutboxRecovery = { recovered: 0, unrecoverable: 0, waiting: 0 };
    if (!spool) return result;
    const db = this.#db;
    this.#sealClearKeys();
    const byId = db.prepare('SELECT id, status, body, body_sha256 FROM outbox WHERE addition_id = ?');
    const spooled = new Set<string>();
    for (const entry of spool.list()) {
      let a = entry.addition;
      if (a && !this.#keyOpens(a.additionId, a.objectKey)) a = null; // sealed under another workstation key: unusable
      if (a && !spool.attachmentsPresent(a)) a = null; // an attachment file missing or cut short: it cannot be sent as signed
      if (!a) {
        spool.setAside(entry);
        result.unrecoverable++;
        continue;
      }
      spooled.add(a.additionId);
      if (this.#keyKey && !a.objectKey.startsWith(SEALED_KEY)) {
        // Written before the keys were sealed: rewritten with the key sealed.
        a = { ...a, objectKey: this.#storedKey(a.additionId, a.objectKey) };
        spool.write(a);
      }
      const row = byId.get(a.additionId) as Pick<Row, 'id' | 'status' | 'body' | 'body_sha256'> | undefined;
      if (!row) {
        this.#insert({ ...a, createdAt: a.createdAt });
        result.recovered++;
      } else if (row.status === 'sent') {
        spool.remove(a.additionId);
      } else if (
        !row.body ||
        row.body_sha256 !== a.bodySha256 ||
        createHash('sha256').update(row.body).digest('hex') !== a.bodySha256
      ) {
        db.prepare(
          "UPDATE outbox SET body = ?, body_sha256 = ?, status = 'queued', next_attempt_at = ? WHERE id = ?",
        ).run(a.body, a.bodySha256, this.#now().getTime(), row.id);
        result.recovered++;
      }
    }
    for (const r of db.prepare("SELECT * FROM outbox WHERE status <> 'sent' AND body IS NOT NULL").all() as Row[]) {
      if (spooled.has(r.addition_id) || createHash('sha256').update(r.body!).digest('hex') !== r.body_sha256) continue;
      spool.write(rowToSpooled(r));
    }
    spool.sweepAttachments();
    const c = this.counts();
    result.waiting = c.queued + c.sending + c['failed-retrying'];
    return result;
  }

  /** Rows written before issue 12 §6 keep the object key in clear: sealed now (no-op without the workstation key). */
  #sealClearKeys(): void {
    if (!this.#keyKey) return;
    const rows = this.#db
      .prepare(`SELECT id, addition_id, object_key FROM outbox WHERE object_key NOT LIKE '${SEALED_KEY}%'`)
      .all() as Pick<Row, 'id' | 'addition_id' | 'object_key'>[];
    if (rows.length === 0) return;
    const update = this.#db.prepare('UPDATE outbox SET object_key = ? WHERE id = ?');
    this.#db.transaction(() => {
      for (const r of rows) update.run(this.#storedKey(r.addition_id, r.object_key), r.id);
    })();
  }

  get(id: number): OutboxItem | null {
    const row = this.#db.prepare(`SELECT ${VIEW_COLUMNS} FROM outbox WHERE id = ?`).get(id) as Row | undefined;
    return row ? toItem(row) : null;
  }

  byAdditionId(additionId: string): OutboxItem | null {
    const row = this.#db.prepare(`SELECT ${VIEW_COLUMNS} FROM outbox WHERE addition_id = ?`).get(additionId) as
      Row | undefined;
    return row ? toItem(row) : null;
  }

  /** Newest first. */
  list(limit = 200): OutboxItem[] {
    return (this.#db.prepare(`SELECT ${VIEW_COLUMNS} FROM outbox ORDER BY id DESC LIMIT ?`).all(limit) as Row[]).map(
      toItem,
    );
  }

  counts(): OutboxCounts {
    const counts: OutboxCounts = { queued: 0, sending: 0, sent: 0, 'failed-retrying': 0 };
    for (const r of this.#db.prepare('SELECT status, count(*) AS n FROM outbox GROUP BY status').all() as {
      status: OutboxStatus;
      n: number;
    }[])
      counts[r.status] = r.n;
    return counts;
  }

  /** After a crash: items left 'sending' go back to the queue (their upload may or may not have landed). */
  recoverInterrupted(): number {
    return this.#db.prepare("UPDATE outbox SET status = 'queued' WHERE status = 'sending'").run().changes;
  }

  /** Items whose next attempt is due, oldest first. */
  due(limit = 16): DueItem[] {
    const rows = this.#db
      .prepare(
        "SELECT * FROM outbox WHERE status IN ('queued', 'failed-retrying') AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
      )
      .all(this.#now().getTime(), limit) as Row[];
    const due: DueItem[] = [];
    for (const r of rows) {
      let objectKey: string;
      try {
        objectKey = this.#clearKey(r.addition_id, r.object_key);
      } catch {
        // Its key cannot be opened (another workstation key): it cannot be sent; shown with the error, not retried by itself.
        this.#db
          .prepare(
            "UPDATE outbox SET status = 'failed-retrying', last_error = 'CACHE_CORRUPT', next_attempt_at = NULL WHERE id = ?",
          )
          .run(r.id);
        continue;
      }
      due.push(this.#dueItem(r, objectKey));
    }
    return due;
  }

  #dueItem(r: Row, objectKey: string): DueItem {
    return {
      id: r.id,
      additionId: r.addition_id,
      patientRef: r.patient_ref,
      target: { endpoint: r.endpoint, region: r.region, bucket: r.bucket },
      objectKey,
      body: r.body ?? Buffer.alloc(0),
      bodySha256: r.body_sha256,
      attachments: (r.attachments ? (JSON.parse(r.attachments) as OutboxAttachment[]) : []).map((a) => ({
        ...a,
        file: this.#spool ? this.#spool.attachmentFile(r.addition_id, a.attachmentId) : '',
      })),
      attempts: r.attempts,
      clinician: JSON.parse(r.clinician) as AuditClinician,
    };
  }

  /** When the next unsent item is due (ms since the epoch), or null when nothing waits. */
  nextDueAt(): number | null {
    const v = this.#db
      .prepare("SELECT min(next_attempt_at) FROM outbox WHERE status IN ('queued', 'failed-retrying')")
      .pluck()
      .get() as number | null;
    return v ?? null;
  }

  /** Claims an item for one attempt; false when someone else did, or it is no longer waiting. */
  markSending(id: number): boolean {
    return (
      this.#db
        .prepare(
          "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ? AND status IN ('queued', 'failed-retrying')",
        )
        .run(id).changes === 1
    );
  }

  markSent(id: number): void {
    this.#db
      .prepare(
        "UPDATE outbox SET status = 'sent', body = NULL, last_error = NULL, next_attempt_at = NULL, sent_at = ? WHERE id = ?",
      )
      .run(this.#now().getTime(), id);
    if (this.#spool) {
      const additionId = this.#db.prepare('SELECT addition_id FROM outbox WHERE id = ?').pluck().get(id) as
        string | undefined;
      if (additionId) this.#spool.remove(additionId);
    }
  }

  markFailed(id: number, code: string, nextAttemptAt: number): void {
    this.#db
      .prepare(
        "UPDATE outbox SET status = 'failed-retrying', last_error = ?, next_attempt_at = ? WHERE id = ? AND status = 'sending'",
      )
      .run(code, nextAttemptAt, id);
  }

  /** An interrupted attempt (the app is stopping): back to the queue, not counted as a failure. */
  release(id: number): void {
    this.#db
      .prepare(
        "UPDATE outbox SET status = CASE WHEN last_error IS NULL THEN 'queued' ELSE 'failed-retrying' END, attempts = max(attempts - 1, 0) WHERE id = ? AND status = 'sending'",
      )
      .run(id);
  }

  /** "Retry now" from the UI: the next attempt is due immediately. OUTBOX_ITEM_MISSING when there is no such item. */
  retryNow(id: number): OutboxItem {
    const item = this.get(id);
    if (!item) throw new WorkstationError('OUTBOX_ITEM_MISSING', { id });
    if (item.status === 'failed-retrying' || item.status === 'queued')
      this.#db.prepare('UPDATE outbox SET next_attempt_at = ? WHERE id = ?').run(this.#now().getTime(), id);
    return this.get(id)!;
  }

  /** Drops sent items older than `before` (the list shows recent history only). */
  purgeSent(before: Date): number {
    return this.#db.prepare("DELETE FROM outbox WHERE status = 'sent' AND sent_at < ?").run(before.getTime()).changes;
  }
}

function rowToSpooled(r: Row): SpooledAddition {
  return {
    additionId: r.addition_id,
    patientRef: r.patient_ref,
    target: { endpoint: r.endpoint, region: r.region, bucket: r.bucket },
    objectKey: r.object_key,
    body: r.body!,
    bodySha256: r.body_sha256,
    ...(r.attachments
      ? { attachments: (JSON.parse(r.attachments) as OutboxAttachment[]).map((a) => ({ ...a, sent: false })) }
      : {}),
    kinds: JSON.parse(r.kinds) as Record<string, number>,
    clinician: JSON.parse(r.clinician) as AuditClinician,
    createdAt: r.created_at,
  };
}
