import { WorkstationError, type ErrorCode, type ErrorInfo } from '../../common/errors';
import type { Db } from '../cache/database';
import { silentLogger, type Logger } from '../log';

/**
 * Ships the audit trail to the cloud's audit bucket in batches, one JSON object per batch:
 *
 *   audit/<workstationId>/<firstSeq>-<lastSeq>.json   (seqs zero-padded to 12 digits, so keys sort by time)
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
}

export interface ShipResult {
  /** Entries confirmed in this run. */
  shipped: number;
  batches: number;
  /** Entries still waiting. */
  pending: number;
  /** Why the run stopped early (it is retried on the next interval), or null. */
  error: ErrorInfo | null;
}

/** The uploaded object. Each entry's hash can be recomputed from `entry` (see chain.ts). */
export interface AuditBatchObject {
  format: 'hcp-audit-batch';
  version: 1;
  workstationId: string;
  firstSeq: number;
  lastSeq: number;
  entries: { seq: number; prevHash: string; entryHash: string; entry: unknown }[];
}

export function auditBatchKey(workstationId: string, firstSeq: number, lastSeq: number): string {
  const pad = (n: number) => String(n).padStart(12, '0');
  return `audit/${encodeURIComponent(workstationId)}/${pad(firstSeq)}-${pad(lastSeq)}.json`;
}

interface Row {
  seq: number;
  entry: string;
  prev_hash: string;
  entry_hash: string;
}

type ResolvedOptions = Required<AuditShipperOptions>;

export class AuditShipper {
  readonly #o: ResolvedOptions;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<ShipResult> | null = null;

  constructor(options: AuditShipperOptions) {
    this.#o = {
      ...options,
      batchSize: options.batchSize ?? 200,
      intervalMs: options.intervalMs ?? 30_000,
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

  async #run(): Promise<ShipResult> {
    let shipped = 0;
    let batches = 0;
    let client: AuditObjectStore | null = null;
    try {
      for (let key = this.#nextBatch(); key !== null; key = this.#nextBatch()) {
        const rows = this.#o.db.prepare('SELECT seq, entry, prev_hash, entry_hash FROM audit_log WHERE ship_key = ? ORDER BY seq').all(key) as Row[];
        client ??= await this.#client();
        await this.#put(client, key, rows);
        this.#o.db.prepare('UPDATE audit_log SET shipped_at = ? WHERE ship_key = ?').run(this.#o.now().toISOString(), key);
        shipped += rows.length;
        batches++;
      }
      return { shipped, batches, pending: this.pendingCount(), error: null };
    } catch (e) {
      const error = toShipError(e);
      this.#o.log.warn('audit shipping deferred', { code: error.code, shipped });
      return { shipped, batches, pending: this.pendingCount(), error };
    }
  }

  /** The oldest planned-but-unconfirmed batch, or a newly planned one; null when all is shipped. */
  #nextBatch(): string | null {
    const db = this.#o.db;
    return db.transaction((): string | null => {
      const planned = db.prepare('SELECT ship_key FROM audit_log WHERE shipped_at IS NULL AND ship_key IS NOT NULL ORDER BY seq LIMIT 1').pluck().get() as string | undefined;
      if (planned) return planned;
      const seqs = db.prepare('SELECT seq FROM audit_log WHERE shipped_at IS NULL AND ship_key IS NULL ORDER BY seq LIMIT ?').pluck().all(this.#o.batchSize) as number[];
      if (seqs.length === 0) return null;
      const first = seqs[0]!;
      const last = seqs[seqs.length - 1]!;
      const key = auditBatchKey(this.#o.workstationId, first, last);
      db.prepare('UPDATE audit_log SET ship_key = ? WHERE seq BETWEEN ? AND ? AND shipped_at IS NULL AND ship_key IS NULL').run(key, first, last);
      return key;
    }).immediate();
  }

  async #client(): Promise<AuditObjectStore> {
    try {
      return await this.#o.client();
    } catch (e) {
      throw e instanceof WorkstationError ? e : new WorkstationError('CLOUD_CREDENTIALS_FAILED', undefined, { cause: e });
    }
  }

  async #put(client: AuditObjectStore, key: string, rows: Row[]): Promise<void> {
    const body: AuditBatchObject = {
      format: 'hcp-audit-batch',
      version: 1,
      workstationId: this.#o.workstationId,
      firstSeq: rows[0]!.seq,
      lastSeq: rows[rows.length - 1]!.seq,
      entries: rows.map((r) => ({ seq: r.seq, prevHash: r.prev_hash, entryHash: r.entry_hash, entry: JSON.parse(r.entry) as unknown })),
    };
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    await client.putObject(this.#o.bucket, key, bytes, bytes.length, { 'Content-Type': 'application/json', 'x-amz-acl': 'bucket-owner-full-control' });
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
