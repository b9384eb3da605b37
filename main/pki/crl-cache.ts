import type { Db } from '../cache';
import { WorkstationError } from '../../common/errors';
import type { Certificate } from './certificate';
import { crlSignedBy, parseCrls, type Crl } from './crl';

export interface CrlCacheOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => Date;
  /** Largest CRL accepted from the network. */
  maxBytes?: number;
  /** After a failed fetch, wait this long before trying the same source again. */
  retryAfterMs?: number;
}

export interface CachedCrlInfo {
  source: string;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
  fetchedAt: Date;
  lastAttemptAt: Date;
  lastError: string | null;
}

export type RefreshOutcome = { status: 'updated' | 'kept-newer'; crl: Crl } | { status: 'failed'; error: string };

interface Row {
  source: string;
  issuer_key: string;
  issuer: string;
  der: Buffer;
  this_update: string;
  next_update: string | null;
  fetched_at: string;
  last_attempt_at: string;
  last_error: string | null;
}

/**
 * CRLs from distribution points, fetched over HTTP and kept in SQLite (migration 002) with
 * thisUpdate/nextUpdate, so that verification works offline from the last good copy. A CRL
 * is stored only when its signature verifies against the issuer it was fetched for, and never
 * replaced by an older one (a replayed CRL cannot hide a revocation).
 */
export class CrlCache {
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly now: () => Date;
  private readonly maxBytes: number;
  private readonly retryAfterMs: number;
  private readonly lastFailure = new Map<string, number>();

  constructor(
    private readonly db: Db,
    o: CrlCacheOptions = {},
  ) {
    this.fetchFn = o.fetch ?? fetch;
    this.timeoutMs = o.timeoutMs ?? 5000;
    this.now = o.now ?? (() => new Date());
    this.maxBytes = o.maxBytes ?? 20 * 1024 * 1024;
    this.retryAfterMs = o.retryAfterMs ?? 5 * 60_000;
  }

  /** All cached CRLs (parsed; rows that no longer parse are skipped). */
  all(): Crl[] {
    const rows = this.db.prepare('SELECT der FROM pki_crl').all() as { der: Buffer }[];
    return rows.flatMap((r) => {
      try {
        return parseCrls(r.der);
      } catch {
        return [];
      }
    });
  }

  get(source: string): Crl | null {
    const row = this.db.prepare('SELECT der FROM pki_crl WHERE source = ?').get(source) as { der: Buffer } | undefined;
    return row ? (parseCrls(row.der)[0] ?? null) : null;
  }

  /** For diagnostics: the age and health of every cached CRL. */
  list(): CachedCrlInfo[] {
    return (this.db.prepare('SELECT * FROM pki_crl ORDER BY source').all() as Row[]).map((r) => ({
      source: r.source,
      issuer: r.issuer,
      thisUpdate: new Date(r.this_update),
      nextUpdate: r.next_update ? new Date(r.next_update) : null,
      fetchedAt: new Date(r.fetched_at),
      lastAttemptAt: new Date(r.last_attempt_at),
      lastError: r.last_error,
    }));
  }

  /** Whether the cached copy from `source` is missing or past its nextUpdate (and no fetch failed just now). */
  needsRefresh(source: string): boolean {
    const failedAt = this.lastFailure.get(source);
    if (failedAt !== undefined && this.now().getTime() - failedAt < this.retryAfterMs) return false;
    const crl = this.get(source);
    return !crl || (crl.nextUpdate !== null && crl.nextUpdate.getTime() <= this.now().getTime());
  }

  /** Fetch `source` and store it if it is a CRL signed by `issuer` and not older than the cached one. */
  async refresh(source: string, issuer: Certificate): Promise<RefreshOutcome> {
    const attemptAt = this.now().toISOString();
    let crl: Crl;
    try {
      if (!/^https?:\/\//i.test(source)) throw new Error('only http(s) distribution points are fetched');
      const res = await this.fetchFn(source, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'follow' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > this.maxBytes) throw new Error('CRL too large');
      const parsed = parseCrls(body);
      if (parsed.length !== 1) throw new Error('not a CRL');
      crl = parsed[0]!;
      if (!crlSignedBy(crl, issuer)) throw new WorkstationError('PKI_CRL_INVALID', { problem: 'signature' });
    } catch (e) {
      const error = e instanceof WorkstationError ? e.code : e instanceof Error ? e.message : 'fetch failed';
      this.db
        .prepare('UPDATE pki_crl SET last_attempt_at = ?, last_error = ? WHERE source = ?')
        .run(attemptAt, error, source);
      this.lastFailure.set(source, this.now().getTime());
      return { status: 'failed', error };
    }
    const current = this.get(source);
    if (current && current.thisUpdate.getTime() > crl.thisUpdate.getTime()) {
      this.db
        .prepare('UPDATE pki_crl SET last_attempt_at = ?, last_error = ? WHERE source = ?')
        .run(attemptAt, 'older CRL ignored', source);
      return { status: 'kept-newer', crl: current };
    }
    this.store(source, crl, attemptAt);
    this.lastFailure.delete(source);
    return { status: 'updated', crl };
  }

  /** Put a CRL obtained otherwise (e.g. imported by IT) under a source name. */
  store(source: string, crl: Crl, at = this.now().toISOString()): void {
    this.db
      .prepare(
        `INSERT INTO pki_crl (source, issuer_key, issuer, der, this_update, next_update, crl_number, fetched_at, last_attempt_at, last_error)
         VALUES (@source, @issuer_key, @issuer, @der, @this_update, @next_update, @crl_number, @at, @at, NULL)
         ON CONFLICT(source) DO UPDATE SET issuer_key = excluded.issuer_key, issuer = excluded.issuer, der = excluded.der,
           this_update = excluded.this_update, next_update = excluded.next_update, crl_number = excluded.crl_number,
           fetched_at = excluded.fetched_at, last_attempt_at = excluded.last_attempt_at, last_error = NULL`,
      )
      .run({
        source,
        issuer_key: crl.issuer.key,
        issuer: crl.issuer.text,
        der: crl.der,
        this_update: crl.thisUpdate.toISOString(),
        next_update: crl.nextUpdate?.toISOString() ?? null,
        crl_number: crl.crlNumber,
        at,
      });
  }
}
