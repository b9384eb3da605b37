import { createHash } from 'node:crypto';
import type { ErrorInfo } from '../../common/errors';
import type { Db } from '../cache';
import { canonicalJson } from './canonical';

/**
 * The audit hash chain. Entry n is the canonical JSON of {seq: n, event}; its hash is
 * SHA-256(prev_hash || entry) over the 32 raw bytes of the previous hash (32 zero bytes for the
 * first entry) followed by the entry's UTF-8 text. audit_head keeps the newest seq and hash, so
 * that dropping the newest entries is detected as well as any edit, deletion, insertion or
 * reordering in between.
 *
 * What a chain cannot do alone: someone able to rewrite the whole file can recompute every hash.
 * The shipped batches (shipper.ts) carry the hashes off the workstation and are the anchor.
 */
export const GENESIS_HASH = '0'.repeat(64);

export function entryHash(prevHash: string, entry: string): string {
  return createHash('sha256').update(Buffer.from(prevHash, 'hex')).update(entry, 'utf8').digest('hex');
}

export type ChainProblem =
  'missing-entry' | 'prev-hash-mismatch' | 'entry-hash-mismatch' | 'entry-malformed' | 'head-mismatch' | 'head-missing';

export type AuditChainReport =
  | { intact: true; entries: number; head: { seq: number; entryHash: string } | null }
  | { intact: false; entries: number; brokenAt: number; problem: ChainProblem; error: ErrorInfo };

interface Row {
  seq: number;
  entry: string;
  prev_hash: string;
  entry_hash: string;
}

/** Walks the whole chain (streaming) and reports the first broken entry. Read-only. */
export function verifyAuditChain(db: Db): AuditChainReport {
  const walk = new ChainWalk(db);
  for (const row of db
    .prepare('SELECT seq, entry, prev_hash, entry_hash FROM audit_log ORDER BY seq')
    .iterate() as IterableIterator<Row>) {
    const broken = walk.next(row);
    if (broken) return broken;
  }
  return walk.finish();
}

/**
 * The same check in slices of `sliceRows`, yielding to the event loop between them: the app runs it
 * at start on the main thread without blocking it, however long the chain. Entries appended
 * meanwhile are checked too (the walk continues to the end and compares with the head then).
 */
export async function verifyAuditChainAsync(db: Db, sliceRows = 2_000): Promise<AuditChainReport> {
  const walk = new ChainWalk(db);
  const page = db.prepare('SELECT seq, entry, prev_hash, entry_hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?');
  let after = 0;
  for (;;) {
    const rows = page.all(after, sliceRows) as Row[];
    for (const row of rows) {
      const broken = walk.next(row);
      if (broken) return broken;
    }
    if (rows.length < sliceRows) return walk.finish();
    after = rows[rows.length - 1]!.seq;
    await new Promise((r) => setImmediate(r));
  }
}

class ChainWalk {
  #expected = 1;
  #prev = GENESIS_HASH;
  constructor(private readonly db: Db) {}

  #broken(brokenAt: number, problem: ChainProblem): AuditChainReport {
    const entries = this.db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
    return {
      intact: false,
      entries,
      brokenAt,
      problem,
      error: { code: 'AUDIT_CHAIN_BROKEN', details: { index: brokenAt, problem } },
    };
  }

  next(row: Row): AuditChainReport | null {
    if (row.seq !== this.#expected) return this.#broken(this.#expected, 'missing-entry');
    if (row.prev_hash !== this.#prev) return this.#broken(row.seq, 'prev-hash-mismatch');
    if (!isCanonicalEntryFor(row.entry, row.seq)) return this.#broken(row.seq, 'entry-malformed');
    if (entryHash(row.prev_hash, row.entry) !== row.entry_hash) return this.#broken(row.seq, 'entry-hash-mismatch');
    this.#prev = row.entry_hash;
    this.#expected++;
    return null;
  }

  finish(): AuditChainReport {
    const entries = this.db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
    const last = this.#expected - 1;
    const head = this.db.prepare('SELECT seq, entry_hash FROM audit_head WHERE id = 1').get() as
      { seq: number; entry_hash: string } | undefined;
    if (!head) return last === 0 ? { intact: true, entries, head: null } : this.#broken(1, 'head-missing');
    if (head.seq > last) return this.#broken(last + 1, 'missing-entry');
    if (head.seq < last) return this.#broken(head.seq + 1, 'head-mismatch');
    if (head.entry_hash !== this.#prev) return this.#broken(head.seq, 'head-mismatch');
    return { intact: true, entries, head: { seq: head.seq, entryHash: head.entry_hash } };
  }
}

function isCanonicalEntryFor(entry: string, seq: number): boolean {
  try {
    const parsed = JSON.parse(entry) as { seq?: unknown };
    return parsed.seq === seq && canonicalJson(parsed) === entry;
  } catch {
    return false;
  }
}
