import { createHash } from 'node:crypto';
import { WorkstationError, type ErrorInfo } from '../../common/errors';
import type { Db } from '../cache/database';
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

export type ChainProblem = 'missing-entry' | 'prev-hash-mismatch' | 'entry-hash-mismatch' | 'entry-malformed' | 'head-mismatch' | 'head-missing';

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
  const entries = db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number;
  const broken = (brokenAt: number, problem: ChainProblem): AuditChainReport => ({
    intact: false,
    entries,
    brokenAt,
    problem,
    error: { code: 'AUDIT_CHAIN_BROKEN', details: { index: brokenAt, problem } },
  });
  let expected = 1;
  let prev = GENESIS_HASH;
  for (const row of db.prepare('SELECT seq, entry, prev_hash, entry_hash FROM audit_log ORDER BY seq').iterate() as IterableIterator<Row>) {
    if (row.seq !== expected) return broken(expected, 'missing-entry');
    if (row.prev_hash !== prev) return broken(row.seq, 'prev-hash-mismatch');
    if (!isCanonicalEntryFor(row.entry, row.seq)) return broken(row.seq, 'entry-malformed');
    if (entryHash(row.prev_hash, row.entry) !== row.entry_hash) return broken(row.seq, 'entry-hash-mismatch');
    prev = row.entry_hash;
    expected++;
  }
  const last = expected - 1;
  const head = db.prepare('SELECT seq, entry_hash FROM audit_head WHERE id = 1').get() as { seq: number; entry_hash: string } | undefined;
  if (!head) return last === 0 ? { intact: true, entries, head: null } : broken(1, 'head-missing');
  if (head.seq > last) return broken(last + 1, 'missing-entry');
  if (head.seq < last) return broken(head.seq + 1, 'head-mismatch');
  if (head.entry_hash !== prev) return broken(head.seq, 'head-mismatch');
  return { intact: true, entries, head: { seq: head.seq, entryHash: head.entry_hash } };
}

/** Throws AUDIT_CHAIN_BROKEN {index} when the chain is not intact. */
export function assertAuditChain(db: Db): void {
  const report = verifyAuditChain(db);
  if (!report.intact) throw new WorkstationError('AUDIT_CHAIN_BROKEN', { index: report.brokenAt, problem: report.problem });
}

function isCanonicalEntryFor(entry: string, seq: number): boolean {
  try {
    const parsed = JSON.parse(entry) as { seq?: unknown };
    return parsed.seq === seq && canonicalJson(parsed) === entry;
  } catch {
    return false;
  }
}
