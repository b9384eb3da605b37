import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { WorkstationError } from '../../common/errors';
import { silentLogger, type Logger } from '../log';
import type { Db } from './database';
import type { WorkstationKeyStore } from './key-store';
import { blobAad, deriveSubkey, openBlob, patientRefFor, sealBlob } from './seal';
import { readSealedFile, readSealedFileRange, writeSealedFile } from './sealed-file';

/**
 * The encrypted record cache: what was opened, for reopening fast and offline, for a bounded time.
 *
 * - Record contents (emergency view, manifest, IPS bundle bytes) are one AES-256-GCM blob in SQLite,
 *   bound to (table, record id) by the associated data: swapped or edited blobs fail to open.
 * - Attachments of any size are streamed to encrypted files in `attachmentsDir` (bounded memory;
 *   see sealed-file.ts), bound to (table, record id, attachment id); SQLite holds their metadata.
 * - A row that cannot be opened is deleted (with its files) and reported as CACHE_CORRUPT; the
 *   caller then fetches the record again. Nothing undecryptable is ever returned.
 * - Entries older than `retentionHours` are invisible to lookups and purged on a timer.
 */
export interface RecordContent {
  /** The emergency view model (JSON-serialisable); the caller re-validates it with its schema. */
  view: unknown;
  /** The verified record manifest (JSON-serialisable). */
  manifest: unknown;
  /** The IPS's reference to its Patient (null: none), kept so an addition needs no re-parse; re-validated by the caller. */
  patient?: unknown;
  /** The verified IPS bundle, as the bytes that were downloaded and decrypted. */
  ips: Buffer;
  /** Keyed check binding the entry to the QR's master key (main/open-record/cache-binding.ts). */
  qrCheck?: string;
}

export interface StoreRecordInput extends RecordContent {
  recordId: string;
  /** From `RecordCache.patientRef(citizenPseudonym)`. */
  patientRef: string;
  manifestVersion: number;
  /** When the record was fetched from the cloud (default: now). */
  fetchedAt?: Date;
}

export interface CachedAttachmentInfo {
  attachmentId: string;
  contentType: string;
  /** Plaintext size. */
  bytes: number;
}

export interface CachedRecordSummary {
  recordId: string;
  patientRef: string;
  manifestVersion: number;
  fetchedAt: Date;
  /** Age at lookup time, for the staleness banner. */
  ageMs: number;
  /** Bytes stored on disk for this record (content blob + attachment files). */
  storedBytes: number;
  attachments: CachedAttachmentInfo[];
}

export interface CachedRecord extends CachedRecordSummary, RecordContent {}

export interface PurgeResult {
  records: number;
  attachments: number;
  /** Stored bytes released. */
  bytes: number;
}

export interface CacheStats {
  records: number;
  attachments: number;
  /** Bytes stored on disk by the cache (content blobs + attachment files + unfinished downloads). */
  bytes: number;
  oldestFetchedAt: Date | null;
  /** Unfinished downloads (.part files) on disk now: downloads in progress. */
  partial: { files: number; bytes: number };
  /** .part files left by a previous run (a crash, a kill) and removed when this cache started. */
  sweptAtStart: { files: number; bytes: number };
}

export type PurgeReason = 'retention' | 'manual' | 'sign-out';

export interface RecordCacheOptions {
  db: Db;
  keyStore: WorkstationKeyStore;
  /** Directory for encrypted attachment files (created 0700). */
  attachmentsDir: string;
  /** cache.retentionHours (default 24). */
  retentionHours?: number;
  /** How often the retention purge runs once started (default 5 minutes). */
  purgeIntervalMs?: number;
  now?: () => Date;
  log?: Logger;
  /** Called after every purge that removed something (for the audit trail and the UI). */
  onPurge?: (result: PurgeResult, reason: PurgeReason) => void;
  /** Called when a damaged entry was found and removed. */
  onCorrupt?: (recordId: string, attachmentId: string | null) => void;
}

const RECORDS = 'cached_records';
const ATTACHMENTS = 'cached_attachments';
const SEALED_EXT = '.hcpa';
const PART_EXT = '.part';
const HOUR_MS = 3_600_000;

interface RecordRow {
  record_id: string;
  patient_ref: string;
  manifest_version: number;
  fetched_at: number;
  content: Buffer;
  content_bytes: number;
}
interface AttachmentRow {
  record_id: string;
  attachment_id: string;
  content_type: string;
  plaintext_bytes: number;
  stored_bytes: number;
  file_name: string;
}

export class RecordCache {
  readonly #db: Db;
  readonly #contentKey: Buffer;
  readonly #refKey: Buffer;
  readonly #dir: string;
  readonly #retentionMs: number;
  readonly #intervalMs: number;
  readonly #now: () => Date;
  readonly #log: Logger;
  readonly #onPurge: RecordCacheOptions['onPurge'];
  readonly #onCorrupt: RecordCacheOptions['onCorrupt'];
  #timer: NodeJS.Timeout | null = null;

  constructor(options: RecordCacheOptions) {
    const key = options.keyStore.loadOrCreateKey();
    this.#db = options.db;
    this.#contentKey = deriveSubkey(key, 'record-cache');
    this.#refKey = deriveSubkey(key, 'patient-ref');
    this.#dir = options.attachmentsDir;
    this.#retentionMs = (options.retentionHours ?? 24) * HOUR_MS;
    this.#intervalMs = options.purgeIntervalMs ?? 5 * 60_000;
    this.#now = options.now ?? (() => new Date());
    this.#log = options.log ?? silentLogger;
    this.#onPurge = options.onPurge;
    this.#onCorrupt = options.onCorrupt;
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    this.#sweptAtStart = this.#sweepParts();
    if (this.#sweptAtStart.files)
      this.#log.info('cache: unfinished downloads of a previous run removed', this.#sweptAtStart);
  }

  readonly #sweptAtStart: { files: number; bytes: number };

  /**
   * Every .part file: at start none can belong to a live download (one writer per data directory,
   * database.ts), so whatever is there was left by a crash and goes at once — not after an hour.
   */
  #sweepParts(): { files: number; bytes: number } {
    let files = 0;
    let bytes = 0;
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith(PART_EXT)) continue;
      const path = join(this.#dir, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      safeUnlink(path);
      files++;
      bytes += stat?.size ?? 0;
    }
    return { files, bytes };
  }

  #partialNow(): { files: number; bytes: number } {
    let files = 0;
    let bytes = 0;
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith(PART_EXT)) continue;
      files++;
      bytes += statSync(join(this.#dir, name), { throwIfNoEntry: false })?.size ?? 0;
    }
    return { files, bytes };
  }

  /** The non-reversible reference of a citizen pseudonym, as stored here and in the audit trail. */
  patientRef(citizenPseudonym: string): string {
    return patientRefFor(this.#refKey, citizenPseudonym);
  }

  /**
   * Stores (or replaces) a record's contents. A new manifest version drops the attachments of the
   * previous one; the same version keeps them.
   */
  put(input: StoreRecordInput): CachedRecordSummary {
    const json = Buffer.from(
      JSON.stringify({
        view: input.view,
        manifest: input.manifest,
        ...(input.patient !== undefined ? { patient: input.patient } : {}),
        ...(input.qrCheck ? { qrCheck: input.qrCheck } : {}),
      }),
      'utf8',
    );
    const frame = Buffer.alloc(4);
    frame.writeUInt32BE(json.length);
    const sealed = sealBlob(
      this.#contentKey,
      Buffer.concat([frame, json, input.ips]),
      blobAad(RECORDS, input.recordId),
    );
    const fetchedAt = (input.fetchedAt ?? this.#now()).getTime();
    let stale: AttachmentRow[] = [];
    this.#db.transaction(() => {
      const previous = this.#db
        .prepare(`SELECT manifest_version FROM ${RECORDS} WHERE record_id = ?`)
        .pluck()
        .get(input.recordId) as number | undefined;
      if (previous !== undefined && previous !== input.manifestVersion)
        stale = this.#deleteAttachmentRows('record_id = ?', [input.recordId]);
      this.#db
        .prepare(
          `INSERT INTO ${RECORDS} (record_id, patient_ref, manifest_version, fetched_at, content, content_bytes) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (record_id) DO UPDATE SET patient_ref = excluded.patient_ref, manifest_version = excluded.manifest_version,
             fetched_at = excluded.fetched_at, content = excluded.content, content_bytes = excluded.content_bytes`,
        )
        .run(input.recordId, input.patientRef, input.manifestVersion, fetchedAt, sealed, sealed.length);
    })();
    this.#unlinkFiles(stale);
    const summary = this.#summary(input.recordId);
    if (!summary) throw new WorkstationError('CACHE_RECORD_MISSING');
    return summary;
  }

  /**
   * Streams an attachment into an encrypted file and records it under a stored record. The record
   * must exist (put first); if it was purged meanwhile, the file is dropped and CACHE_RECORD_MISSING thrown.
   */
  async putAttachment(
    recordId: string,
    attachmentId: string,
    contentType: string,
    source: AsyncIterable<Uint8Array> | Uint8Array,
    /** The plaintext size (the file's header states it): needed for a stream, a buffer's own length by default. */
    plaintextBytes?: number,
  ): Promise<CachedAttachmentInfo> {
    const size = plaintextBytes ?? (source instanceof Uint8Array ? source.length : undefined);
    if (size === undefined) throw new WorkstationError('INVALID_INPUT', { field: 'plaintextBytes' });
    const name = randomBytes(16).toString('hex');
    const part = join(this.#dir, name + PART_EXT);
    const iterable: AsyncIterable<Uint8Array> =
      source instanceof Uint8Array
        ? (async function* () {
            yield source;
          })()
        : source;
    let info;
    try {
      info = await writeSealedFile(
        part,
        this.#contentKey,
        blobAad(ATTACHMENTS, recordId, attachmentId),
        iterable,
        size,
      );
    } catch (e) {
      safeUnlink(part);
      throw e;
    }
    // Synchronous from here: the rename and the row appear together for any purge or sweep.
    let replaced: AttachmentRow[] = [];
    try {
      renameSync(part, join(this.#dir, name + SEALED_EXT));
      this.#db.transaction(() => {
        if (this.#db.prepare(`SELECT 1 FROM ${RECORDS} WHERE record_id = ?`).get(recordId) === undefined)
          throw new WorkstationError('CACHE_RECORD_MISSING');
        replaced = this.#deleteAttachmentRows('record_id = ? AND attachment_id = ?', [recordId, attachmentId]);
        this.#db
          .prepare(
            `INSERT INTO ${ATTACHMENTS} (record_id, attachment_id, content_type, plaintext_bytes, stored_bytes, file_name, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            recordId,
            attachmentId,
            contentType,
            info.plaintextBytes,
            info.storedBytes,
            name + SEALED_EXT,
            this.#now().getTime(),
          );
      })();
    } catch (e) {
      safeUnlink(join(this.#dir, name + SEALED_EXT));
      safeUnlink(part);
      throw e;
    }
    this.#unlinkFiles(replaced);
    return { attachmentId, contentType, bytes: info.plaintextBytes };
  }

  /** A record by id, or null when absent or past retention. Throws CACHE_CORRUPT (after removing it) when damaged. */
  get(recordId: string): CachedRecord | null {
    const row = this.#db
      .prepare(`SELECT * FROM ${RECORDS} WHERE record_id = ? AND fetched_at > ?`)
      .get(recordId, this.#cutoff()) as RecordRow | undefined;
    return row ? this.#open(row) : null;
  }

  /** The most recently fetched record of a patient, for offline opening; null when none is cached. */
  findByPatientRef(patientRef: string): CachedRecord | null {
    const row = this.#db
      .prepare(`SELECT * FROM ${RECORDS} WHERE patient_ref = ? AND fetched_at > ? ORDER BY fetched_at DESC LIMIT 1`)
      .get(patientRef, this.#cutoff()) as RecordRow | undefined;
    return row ? this.#open(row) : null;
  }

  /** A whole attachment, authenticated before it is returned. CACHE_RECORD_MISSING / CACHE_CORRUPT. */
  async readAttachment(recordId: string, attachmentId: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.attachmentChunks(recordId, attachmentId)) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  /**
   * An attachment as authenticated chunks (bounded memory). Each chunk is verified; truncation is
   * detected only at the end, so a consumer that shows data must wait for the end (readAttachment does).
   */
  async *attachmentChunks(recordId: string, attachmentId: string): AsyncGenerator<Buffer> {
    yield* this.#readAttachment(recordId, attachmentId, (file, aad) => readSealedFile(file, this.#contentKey, aad));
  }

  /** A live cached attachment's size and type (no decryption), or null. */
  attachmentInfo(recordId: string, attachmentId: string): CachedAttachmentInfo | null {
    const row = this.#attachmentRow(recordId, attachmentId);
    return row ? { attachmentId, contentType: row.content_type, bytes: row.plaintext_bytes } : null;
  }

  /**
   * Plaintext bytes `start`..`end` (inclusive) of a cached attachment, as authenticated chunks read
   * from where the range begins (bounded memory: the viewer's streamed, ranged route, main/viewer).
   * CACHE_RECORD_MISSING; CACHE_CORRUPT (the entry is removed, as for attachmentChunks).
   */
  async *attachmentRange(recordId: string, attachmentId: string, start: number, end: number): AsyncGenerator<Buffer> {
    yield* this.#readAttachment(recordId, attachmentId, (file, aad, row) =>
      readSealedFileRange(file, this.#contentKey, aad, row.plaintext_bytes, start, end),
    );
  }

  /**
   * A live attachment's sealed file read with `read`: CACHE_RECORD_MISSING when there is none; on
   * CACHE_CORRUPT the entry (rows and file) is removed and reported before the error goes on.
   */
  async *#readAttachment(
    recordId: string,
    attachmentId: string,
    read: (file: string, aad: Buffer, row: AttachmentRow) => AsyncIterable<Buffer>,
  ): AsyncGenerator<Buffer> {
    const row = this.#attachmentRow(recordId, attachmentId);
    if (!row) throw new WorkstationError('CACHE_RECORD_MISSING');
    try {
      yield* read(join(this.#dir, row.file_name), blobAad(ATTACHMENTS, recordId, attachmentId), row);
    } catch (e) {
      if (e instanceof WorkstationError && e.code === 'CACHE_CORRUPT') {
        this.#unlinkFiles(
          this.#db.transaction(() =>
            this.#deleteAttachmentRows('record_id = ? AND attachment_id = ?', [recordId, attachmentId]),
          )(),
        );
        this.#reportCorrupt(recordId, attachmentId, e);
      }
      throw e;
    }
  }

  #attachmentRow(recordId: string, attachmentId: string): AttachmentRow | undefined {
    return this.#db
      .prepare(
        `SELECT a.* FROM ${ATTACHMENTS} a JOIN ${RECORDS} r USING (record_id) WHERE a.record_id = ? AND a.attachment_id = ? AND r.fetched_at > ?`,
      )
      .get(recordId, attachmentId, this.#cutoff()) as AttachmentRow | undefined;
  }

  /** Every live record without its contents (for the UI's list), newest first. */
  list(): CachedRecordSummary[] {
    const ids = this.#db
      .prepare(`SELECT record_id FROM ${RECORDS} WHERE fetched_at > ? ORDER BY fetched_at DESC`)
      .pluck()
      .all(this.#cutoff()) as string[];
    return ids.map((id) => this.#summary(id)).filter((s): s is CachedRecordSummary => s !== null);
  }

  stats(): CacheStats {
    const r = this.#db
      .prepare(
        `SELECT count(*) AS n, coalesce(sum(content_bytes), 0) AS bytes, min(fetched_at) AS oldest FROM ${RECORDS}`,
      )
      .get() as {
      n: number;
      bytes: number;
      oldest: number | null;
    };
    const a = this.#db
      .prepare(`SELECT count(*) AS n, coalesce(sum(stored_bytes), 0) AS bytes FROM ${ATTACHMENTS}`)
      .get() as { n: number; bytes: number };
    const partial = this.#partialNow();
    return {
      records: r.n,
      attachments: a.n,
      bytes: r.bytes + a.bytes + partial.bytes,
      oldestFetchedAt: r.oldest === null ? null : new Date(r.oldest),
      partial,
      sweptAtStart: { ...this.#sweptAtStart },
    };
  }

  /** Removes every record past retention (and stray files). */
  purgeNow(reason: PurgeReason = 'manual'): PurgeResult {
    return this.#purge(`fetched_at <= ?`, [this.#cutoff()], reason);
  }

  /** Removes everything (sign-out with cache.purgeOnSignOut, or the "purge now" button). */
  purgeAll(reason: PurgeReason = 'manual'): PurgeResult {
    return this.#purge('1 = 1', [], reason, true);
  }

  /** Removes one record and its attachments. */
  delete(recordId: string): PurgeResult {
    return this.#purge('record_id = ?', [recordId], 'manual');
  }

  /** Purges now, then every purgeIntervalMs until stop(). Never throws from the timer. */
  start(): void {
    if (this.#timer) return;
    const tick = () => {
      try {
        this.purgeNow('retention');
      } catch (e) {
        this.#log.error('cache retention purge failed', {
          code: e instanceof WorkstationError ? e.code : 'INTERNAL_ERROR',
        });
      }
    };
    tick();
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #cutoff(): number {
    return this.#now().getTime() - this.#retentionMs;
  }

  #open(row: RecordRow): CachedRecord {
    let content: RecordContent;
    try {
      const plain = openBlob(this.#contentKey, row.content, blobAad(RECORDS, row.record_id));
      const jsonLength = plain.readUInt32BE(0);
      const parsed = JSON.parse(plain.subarray(4, 4 + jsonLength).toString('utf8')) as {
        view: unknown;
        manifest: unknown;
        patient?: unknown;
        qrCheck?: unknown;
      };
      content = {
        view: parsed.view,
        manifest: parsed.manifest,
        ...(parsed.patient !== undefined ? { patient: parsed.patient } : {}),
        ips: Buffer.from(plain.subarray(4 + jsonLength)),
        ...(typeof parsed.qrCheck === 'string' ? { qrCheck: parsed.qrCheck } : {}),
      };
    } catch (e) {
      this.#purge('record_id = ?', [row.record_id], null);
      const error =
        e instanceof WorkstationError ? e : new WorkstationError('CACHE_CORRUPT', { reason: 'format' }, { cause: e });
      this.#reportCorrupt(row.record_id, null, error);
      throw error;
    }
    const summary = this.#summary(row.record_id);
    if (!summary) throw new WorkstationError('CACHE_RECORD_MISSING');
    return { ...summary, ...content };
  }

  #summary(recordId: string): CachedRecordSummary | null {
    const row = this.#db
      .prepare(
        `SELECT record_id, patient_ref, manifest_version, fetched_at, content_bytes FROM ${RECORDS} WHERE record_id = ?`,
      )
      .get(recordId) as Omit<RecordRow, 'content'> | undefined;
    if (!row) return null;
    const attachments = this.#db
      .prepare(`SELECT * FROM ${ATTACHMENTS} WHERE record_id = ? ORDER BY attachment_id`)
      .all(recordId) as AttachmentRow[];
    return {
      recordId: row.record_id,
      patientRef: row.patient_ref,
      manifestVersion: row.manifest_version,
      fetchedAt: new Date(row.fetched_at),
      ageMs: Math.max(0, this.#now().getTime() - row.fetched_at),
      storedBytes: row.content_bytes + attachments.reduce((n, a) => n + a.stored_bytes, 0),
      attachments: attachments.map((a) => ({
        attachmentId: a.attachment_id,
        contentType: a.content_type,
        bytes: a.plaintext_bytes,
      })),
    };
  }

  #purge(where: string, params: unknown[], reason: PurgeReason | null, sweepAll = false): PurgeResult {
    const { result, files } = this.#db.transaction(() => {
      const victims = this.#db
        .prepare(`SELECT record_id, content_bytes FROM ${RECORDS} WHERE ${where}`)
        .all(...params) as Pick<RecordRow, 'record_id' | 'content_bytes'>[];
      const files: AttachmentRow[] = [];
      let bytes = 0;
      for (const v of victims) {
        files.push(...this.#deleteAttachmentRows('record_id = ?', [v.record_id]));
        this.#db.prepare(`DELETE FROM ${RECORDS} WHERE record_id = ?`).run(v.record_id);
        bytes += v.content_bytes;
      }
      bytes += files.reduce((n, f) => n + f.stored_bytes, 0);
      return { result: { records: victims.length, attachments: files.length, bytes }, files };
    })();
    this.#unlinkFiles(files);
    this.#sweepStrayFiles(sweepAll);
    // reason null: a damaged entry removed, reported through onCorrupt instead.
    if (reason && (result.records > 0 || result.attachments > 0)) {
      this.#log.info('cache purged', { reason, records: result.records, attachments: result.attachments });
      this.#onPurge?.(result, reason);
    }
    return result;
  }

  /** Deletes attachment rows matching `where` and returns them (their files are unlinked after commit). */
  #deleteAttachmentRows(where: string, params: unknown[]): AttachmentRow[] {
    const rows = this.#db.prepare(`SELECT * FROM ${ATTACHMENTS} WHERE ${where}`).all(...params) as AttachmentRow[];
    this.#db.prepare(`DELETE FROM ${ATTACHMENTS} WHERE ${where}`).run(...params);
    return rows;
  }

  #unlinkFiles(rows: readonly AttachmentRow[]): void {
    for (const r of rows) safeUnlink(join(this.#dir, r.file_name));
  }

  /**
   * Files no row names (a crash between writing and recording, or rows deleted by hand) are removed;
   * unfinished downloads (.part) only when older than an hour, or on purgeAll.
   */
  #sweepStrayFiles(all: boolean): void {
    const known = new Set(this.#db.prepare(`SELECT file_name FROM ${ATTACHMENTS}`).pluck().all() as string[]);
    for (const name of readdirSync(this.#dir)) {
      const path = join(this.#dir, name);
      if (name.endsWith(SEALED_EXT) && !known.has(name)) safeUnlink(path);
      else if (name.endsWith(PART_EXT)) {
        const stat = statSync(path, { throwIfNoEntry: false });
        if (stat && (all || Date.now() - stat.mtimeMs > HOUR_MS)) safeUnlink(path);
      }
    }
  }

  #reportCorrupt(recordId: string, attachmentId: string | null, e: WorkstationError): void {
    this.#log.warn('damaged cache entry removed', { code: e.code, reason: e.details?.reason, recordId, attachmentId });
    this.#onCorrupt?.(recordId, attachmentId);
  }
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
