import { WorkstationError, type ErrorCode, type ErrorInfo } from '../../common/errors';
import type { Db } from '../cache';
import { silentLogger, type Logger } from '../log';
import {
  chainIdOf,
  currentHead,
  writeAnchorFile,
  type AuditHeadObject,
  type AuditSignature,
  type AuditSigner,
} from './anchor';

/**
 * Ships the audit trail to the cloud's audit bucket in batches, one JSON object per batch, and a
 * signed head after new entries and periodically when idle (anchor.ts):
 *
 *   audit/<workstationId>/<chainId>/<firstSeq>-<lastSeq>.json   (seqs zero-padded to 12 digits, so keys sort by time)
 *   audit/<workstationId>/<chainId>/heads/<seq>-<madeAt>.json
 *
 * Nothing is ever overwritten: names are unique per chain (a random chain id made with the
 * database), and every put is conditional (`If-None-Match: *`, which RGW and MinIO honour: 412
 * when the name exists). A 412 on a retry means our own earlier put landed (same name, same bytes:
 * Ed25519 signatures are deterministic), so the batch is confirmed.
 *
 * A batch is first *planned* (its rows get the key, in one transaction), then uploaded, then
 * *confirmed* (shipped_at) only after the put succeeded. A retry after a failure or a lost
 * response re-sends the same rows under the same key with the same bytes, so nothing is
 * duplicated; new entries go into later batches. Offline, shipNow() reports the error and the
 * next interval tries again; nothing is lost or reordered.
 *
 * Objects are written with `x-amz-acl: bucket-owner-full-control`: on Ceph RGW an object written
 * with the emergency role's credentials is otherwise owned by the role session and unreadable by
 * the audit bucket's owner (proved in test/integration/audit/shipping.test.ts). The workstation
 * itself can write the audit bucket but never read it back.
 */
/** What the shipper needs of a store: a minio Client, or CloudAccess's ObjectStore adapted (main/workstation.ts). */
export interface AuditObjectStore {
  putObject(bucket: string, key: string, body: Buffer, size: number, meta: Record<string, string>): Promise<unknown>;
}

/** A head is shipped after new entries, and at least this often when idle (default 15 min). */
export const HEAD_IDLE_INTERVAL_MS = 15 * 60_000;

export interface AuditShipperOptions {
  db: Db;
  workstationId: string;
  /** cloud.buckets.audit */
  bucket: string;
  /** A client with current credentials (the credential provider's), asked for on every run. */
  client: () => Promise<AuditObjectStore>;
  /** audit.batchSize (default 200). */
  batchSize?: number;
  /** audit.shipIntervalSeconds in ms (default 30 s). */
  intervalMs?: number;
  now?: () => Date;
  log?: Logger;
  /** Signs batches and heads (the workstation's key). Without it batches go unsigned and no head is shipped (tests only). */
  signer?: AuditSigner | null;
  /** Where the last signed head is kept outside the database (for a reset to name it). */
  anchorFile?: string | null;
  /** See HEAD_IDLE_INTERVAL_MS. */
  headIntervalMs?: number;
}

export interface ShipResult {
  /** Entries confirmed in this run. */
  shipped: number;
  batches: number;
  /** Entries still waiting. */
  pending: number;
  /** Why the run stopped early (it is retried on the next interval), or null. */
  error: ErrorInfo | null;
  /** The head shipped in this run, if one was. */
  head: { seq: number; key: string } | null;
}

/** The uploaded object. Each entry's hash can be recomputed from `entry` (see chain.ts). */
export interface AuditBatchObject {
  format: 'hcp-audit-batch';
  version: 2;
  workstationId: string;
  chainId: string;
  firstSeq: number;
  lastSeq: number;
  entries: { seq: number; prevHash: string; entryHash: string; entry: unknown }[];
  signature?: AuditSignature;
}

const pad = (n: number) => String(n).padStart(12, '0');

export function auditPrefix(workstationId: string, chainId: string): string {
  return `audit/${encodeURIComponent(workstationId)}/${chainId}/`;
}

export function auditBatchKey(workstationId: string, chainId: string, firstSeq: number, lastSeq: number): string {
  return `${auditPrefix(workstationId, chainId)}${pad(firstSeq)}-${pad(lastSeq)}.json`;
}

export function auditHeadKey(workstationId: string, chainId: string, seq: number, madeAt: Date): string {
  return `${auditPrefix(workstationId, chainId)}heads/${pad(seq)}-${madeAt.toISOString().replace(/[:.]/g, '')}.json`;
}

interface Row {
  seq: number;
  entry: string;
  prev_hash: string;
  entry_hash: string;
}

type ResolvedOptions = Required<Omit<AuditShipperOptions, 'signer' | 'anchorFile'>> &
  Pick<AuditShipperOptions, 'signer' | 'anchorFile'>;

export class AuditShipper {
  readonly #o: ResolvedOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<ShipResult> | null = null;

  constructor(options: AuditShipperOptions) {
    this.#o = {
      ...options,
      batchSize: options.batchSize ?? 200,
      intervalMs: options.intervalMs ?? 30_000,
      headIntervalMs: options.headIntervalMs ?? HEAD_IDLE_INTERVAL_MS,
      log: options.log ?? silentLogger,
      now: options.now ?? (() => new Date()),
    };
  }

  /** Ships every pending entry now (one run at a time: a second call joins the running one). */
  shipNow(): Promise<ShipResult> {
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Ships now and then every intervalMs, until stop(). Never throws from the timer. */
  start(): void {
    if (this.#timer) return;
    void this.shipNow();
    this.#timer = setInterval(() => void this.shipNow(), this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  pendingCount(): number {
    return this.#o.db.prepare('SELECT count(*) FROM audit_log WHERE shipped_at IS NULL').pluck().get() as number;
  }

  /** The newest head planned or shipped, for Diagnostics. */
  lastHead(): { seq: number; madeAt: string; shippedAt: string | null; key: string } | null {
    const r = this.#o.db
      .prepare('SELECT seq, made_at, shipped_at, object_key FROM audit_heads ORDER BY id DESC LIMIT 1')
      .get() as { seq: number; made_at: string; shipped_at: string | null; object_key: string } | undefined;
    return r ? { seq: r.seq, madeAt: r.made_at, shippedAt: r.shipped_at, key: r.object_key } : null;
  }

  async #run(): Promise<ShipResult> {
    let shipped = 0;
    let batches = 0;
    let head: ShipResult['head'] = null;
    let client: AuditObjectStore | null = null;
    try {
      for (let key = this.#nextBatch(); key !== null; key = this.#nextBatch()) {
        const rows = this.#o.db
          .prepare('SELECT seq, entry, prev_hash, entry_hash FROM audit_log WHERE ship_key = ? ORDER BY seq')
          .all(key) as Row[];
        client ??= await this.#client();
        await this.#putOnce(client, key, this.#batchBytes(rows));
        this.#o.db
          .prepare('UPDATE audit_log SET shipped_at = ? WHERE ship_key = ?')
          .run(this.#o.now().toISOString(), key);
        shipped += rows.length;
        batches++;
      }
      const due = this.#nextHead();
      if (due) {
        client ??= await this.#client();
        await this.#putOnce(client, due.key, Buffer.from(due.body, 'utf8'));
        this.#o.db
          .prepare('UPDATE audit_heads SET shipped_at = ? WHERE id = ?')
          .run(this.#o.now().toISOString(), due.id);
        head = { seq: due.seq, key: due.key };
      }
      return { shipped, batches, pending: this.pendingCount(), error: null, head };
    } catch (e) {
      const error = toShipError(e);
      this.#o.log.warn('audit shipping deferred', { code: error.code, shipped });
      return { shipped, batches, pending: this.pendingCount(), error, head };
    }
  }

  /** The head to ship now: one planned but not confirmed, or a new one when the chain moved or the last is old. */
  #nextHead(): { id: number; seq: number; key: string; body: string } | null {
    const { db, signer } = this.#o;
    if (!signer) return null;
    const planned = db
      .prepare('SELECT id, seq, object_key, body FROM audit_heads WHERE shipped_at IS NULL ORDER BY id LIMIT 1')
      .get() as { id: number; seq: number; object_key: string; body: string } | undefined;
    if (planned) return { id: planned.id, seq: planned.seq, key: planned.object_key, body: planned.body };
    const now = this.#o.now();
    const tip = currentHead(db);
    const last = this.lastHead();
    if (last && last.seq === tip.seq && now.getTime() - Date.parse(last.madeAt) < this.#o.headIntervalMs) return null;
    const chainId = chainIdOf(db);
    const object: AuditHeadObject = signer.sign({
      format: 'hcp-audit-head' as const,
      version: 1 as const,
      workstationId: this.#o.workstationId,
      chainId,
      seq: tip.seq,
      entryHash: tip.entryHash,
      madeAt: now.toISOString(),
    });
    const key = auditHeadKey(this.#o.workstationId, chainId, tip.seq, now);
    const body = JSON.stringify(object);
    const id = Number(
      db
        .prepare('INSERT INTO audit_heads (seq, entry_hash, made_at, object_key, body) VALUES (?, ?, ?, ?, ?)')
        .run(tip.seq, tip.entryHash, object.madeAt, key, body).lastInsertRowid,
    );
    if (this.#o.anchorFile) {
      try {
        writeAnchorFile(this.#o.anchorFile, object);
      } catch (e) {
        this.#o.log.warn('audit: could not keep the last signed head', {
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }
    return { id, seq: tip.seq, key, body };
  }

  /** The oldest planned-but-unconfirmed batch, or a newly planned one; null when all is shipped. */
  #nextBatch(): string | null {
    const db = this.#o.db;
    return db
      .transaction((): string | null => {
        const planned = db
          .prepare(
            'SELECT ship_key FROM audit_log WHERE shipped_at IS NULL AND ship_key IS NOT NULL ORDER BY seq LIMIT 1',
          )
          .pluck()
          .get() as string | undefined;
        if (planned) return planned;
        const seqs = db
          .prepare('SELECT seq FROM audit_log WHERE shipped_at IS NULL AND ship_key IS NULL ORDER BY seq LIMIT ?')
          .pluck()
          .all(this.#o.batchSize) as number[];
        if (seqs.length === 0) return null;
        const first = seqs[0]!;
        const last = seqs[seqs.length - 1]!;
        const key = auditBatchKey(this.#o.workstationId, chainIdOf(db), first, last);
        db.prepare(
          'UPDATE audit_log SET ship_key = ? WHERE seq BETWEEN ? AND ? AND shipped_at IS NULL AND ship_key IS NULL',
        ).run(key, first, last);
        return key;
      })
      .immediate();
  }

  async #client(): Promise<AuditObjectStore> {
    try {
      return await this.#o.client();
    } catch (e) {
      throw e instanceof WorkstationError
        ? e
        : new WorkstationError('CLOUD_CREDENTIALS_FAILED', undefined, { cause: e });
    }
  }

  /** The batch object, signed when there is a signer; the same rows always give the same bytes. */
  #batchBytes(rows: Row[]): Buffer {
    const body: AuditBatchObject = {
      format: 'hcp-audit-batch',
      version: 2,
      workstationId: this.#o.workstationId,
      chainId: chainIdOf(this.#o.db),
      firstSeq: rows[0]!.seq,
      lastSeq: rows[rows.length - 1]!.seq,
      entries: rows.map((r) => ({
        seq: r.seq,
        prevHash: r.prev_hash,
        entryHash: r.entry_hash,
        entry: JSON.parse(r.entry) as unknown,
      })),
    };
    return Buffer.from(JSON.stringify(this.#o.signer ? this.#o.signer.sign(body) : body), 'utf8');
  }

  /** A conditional put: never replaces an object. 412 (the name exists) is our own earlier put of these bytes. */
  async #putOnce(client: AuditObjectStore, key: string, bytes: Buffer): Promise<void> {
    try {
      await client.putObject(this.#o.bucket, key, bytes, bytes.length, {
        'Content-Type': 'application/json',
        'x-amz-acl': 'bucket-owner-full-control',
        'If-None-Match': '*',
      });
    } catch (e) {
      if ((e as { code?: unknown }).code === 'PreconditionFailed') {
        this.#o.log.info('audit: object already stored (an earlier attempt landed)', { key });
        return;
      }
      throw e;
    }
  }
}

const S3_CODES: Record<string, ErrorCode> = {
  AccessDenied: 'CLOUD_ACCESS_DENIED',
  InvalidAccessKeyId: 'CLOUD_CREDENTIALS_FAILED',
  SignatureDoesNotMatch: 'CLOUD_CREDENTIALS_FAILED',
  ExpiredToken: 'CLOUD_CREDENTIALS_EXPIRED',
  TokenRefreshRequired: 'CLOUD_CREDENTIALS_EXPIRED',
};

function toShipError(e: unknown): ErrorInfo {
  if (e instanceof WorkstationError) return e.toInfo();
  const code = (e as { code?: unknown } | null)?.code;
  return { code: (typeof code === 'string' && S3_CODES[code]) || 'CLOUD_UNAVAILABLE' };
}
