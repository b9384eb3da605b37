import Database from 'better-sqlite3';
import type { Db } from '../cache';
import { silentLogger, type Logger } from '../log';
import { chainIdOf, readAnchorFile } from './anchor';
import { verifyAuditChainAsync, type AuditChainReport } from './chain';
import type { ChainResetInput } from './steps';
import type { AuditTrail } from './trail';

/**
 * What the app does with its audit chain at start (main/workstation.ts):
 *
 * 1. A new, empty chain that replaces another — the database was quarantined, or recreated while
 *    this workstation's last signed head (audit-anchor.json) names another chain — begins with an
 *    'audit-chain-reset' entry naming the old chain's last known head: read from the quarantined
 *    file if it still opens, else the last signed head.
 * 2. The whole chain is verified (in slices, never blocking the main thread); Diagnostics shows
 *    the result.
 */
export interface AuditChainStatus {
  chainId: string;
  /** The reset this start recorded, if any. */
  reset: ChainResetInput['previous'] | 'unknown' | null;
  /** null while the check runs. */
  verification: AuditChainReport | null;
  verifiedAt: string | null;
}

export interface AuditStartOptions {
  db: Db;
  trail: AuditTrail;
  anchorFile: string;
  quarantinedTo: string | null;
  now?: () => Date;
  log?: Logger;
}

/** The old chain's head as the damaged database still shows it, or null when it does not read. */
export function salvageHead(file: string): { chainId: string; seq: number; entryHash: string } | null {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const chainId = db.prepare("SELECT value FROM meta WHERE key = 'audit.chain_id'").pluck().get() as
      string | undefined;
    const head = db.prepare('SELECT seq, entry_hash FROM audit_head WHERE id = 1').get() as
      { seq: number; entry_hash: string } | undefined;
    return chainId && head ? { chainId, seq: head.seq, entryHash: head.entry_hash } : null;
  } catch {
    return null;
  } finally {
    try {
      db?.close();
    } catch {
      // read-only
    }
  }
}

export function startAuditChain(options: AuditStartOptions): {
  status: AuditChainStatus;
  verified: Promise<AuditChainReport>;
} {
  const { db, trail } = options;
  const log = options.log ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const chainId = chainIdOf(db);
  const status: AuditChainStatus = { chainId, reset: null, verification: null, verifiedAt: null };

  const empty =
    (db.prepare('SELECT count(*) FROM audit_log').pluck().get() as number) === 0 &&
    !db.prepare('SELECT 1 FROM audit_head WHERE id = 1').get();
  if (empty) {
    const anchor = readAnchorFile(options.anchorFile);
    const salvaged = options.quarantinedTo ? salvageHead(options.quarantinedTo) : null;
    const previous: ChainResetInput['previous'] =
      salvaged && salvaged.chainId !== chainId
        ? { ...salvaged, source: 'damaged-database' }
        : anchor && anchor.chainId !== chainId
          ? { chainId: anchor.chainId, seq: anchor.seq, entryHash: anchor.entryHash, source: 'last-signed-head' }
          : null;
    if (options.quarantinedTo || previous) {
      trail.chainReset({
        clinician: null,
        chainId,
        reason: options.quarantinedTo ? 'database-quarantined' : 'database-recreated',
        previous,
      });
      status.reset = previous ?? 'unknown';
      log.warn('audit: a new chain replaces the previous one', {
        chainId,
        previousChainId: previous?.chainId ?? null,
        previousSeq: previous?.seq ?? null,
      });
    }
  }

  const verified = verifyAuditChainAsync(db).then(
    (report) => {
      status.verification = report;
      status.verifiedAt = now().toISOString();
      if (report.intact) log.info('audit: chain verified at start', { entries: report.entries });
      else log.error('audit: chain broken', { brokenAt: report.brokenAt, problem: report.problem });
      return report;
    },
    (e: unknown) => {
      // The workstation was closed while the check ran (a short CLI run): nothing to report.
      if (!db.open) return { intact: true, entries: 0, head: null } as AuditChainReport;
      const report: AuditChainReport = {
        intact: false,
        entries: 0,
        brokenAt: 0,
        problem: 'entry-malformed',
        error: { code: 'STORAGE_IO_ERROR' },
      };
      status.verification = report;
      status.verifiedAt = now().toISOString();
      log.error('audit: chain could not be verified', { error: e instanceof Error ? e.message : String(e) });
      return report;
    },
  );
  return { status, verified };
}
