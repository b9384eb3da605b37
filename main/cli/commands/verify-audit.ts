import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../../native';
import {
  verifyAuditChain,
  type AuditChainReport,
  chainIdOf,
  chainResets,
  verifyAgainstHead,
  type AuditHeadObject,
  type HeadCheck,
} from '../../audit';
import type { CliCommand, CliIo } from '../types';
import { parseCommandArgs } from '../args';

const USAGE = `usage: npm run -s cli -- verify-audit [--db FILE] [--head HEAD.json [--key=PUBLICKEY]] [--json]

Verifies the hash chain of the workstation's audit trail, read-only. FILE defaults to
$HCP_DATA_DIR/workstation.sqlite. Prints "OK: N entries, chain intact" (exit 0) or the first
broken entry (exit 1). Exit 2 when the file cannot be read.

--head: a signed head shipped to the audit bucket (audit/<ws>/<chain>/heads/...json). The local
chain must reach it with the same hash, or record a reset from that chain at or beyond it;
otherwise entries were deleted (truncated) or the chain was wiped/replaced (exit 1).
--key=PUBLICKEY: the workstation's audit public key (Diagnostics) the head must be signed with;
give it with "=": a base64url key may begin with "-".`;

function describe(report: AuditChainReport): string {
  if (report.intact) return `OK: ${report.entries} entries, chain intact`;
  return `BROKEN: entry ${report.brokenAt} (${report.problem}); ${report.entries} entries in the file [${report.error.code}]`;
}

function describeHead(check: HeadCheck): string {
  if (check.ok)
    return `OK: the shipped head (seq ${check.headSeq}) is in the local chain (${check.via === 'same-chain' ? `local head seq ${check.localSeq}` : 'recorded by a chain reset'})`;
  return `BROKEN: against the shipped head (seq ${check.headSeq}): ${check.problem}${check.localSeq === null ? '' : `; local head seq ${check.localSeq}`} [AUDIT_CHAIN_BROKEN]`;
}

async function run(argv: string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    { db: { type: 'string' }, head: { type: 'string' }, key: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const file = values.db ?? (env.HCP_DATA_DIR ? join(env.HCP_DATA_DIR, 'workstation.sqlite') : null);
  if (!file) {
    io.err('no database: give --db FILE or set HCP_DATA_DIR');
    return 2;
  }
  if (!existsSync(file)) {
    io.err(`cannot read ${file}: file not found`);
    return 2;
  }
  let head: AuditHeadObject | null = null;
  if (values.head) {
    try {
      head = JSON.parse(readFileSync(values.head, 'utf8')) as AuditHeadObject;
      if (head?.format !== 'hcp-audit-head') throw new Error('not an audit head (format hcp-audit-head)');
    } catch (e) {
      io.err(`cannot read ${values.head}: ${(e as Error).message}`);
      return 2;
    }
  }
  let db;
  try {
    db = openSqlite(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    io.err(`cannot read ${file}: ${(e as Error).message}`);
    return 2;
  }
  try {
    const hasLog =
      db
        .prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('audit_log', 'audit_head')")
        .pluck()
        .get() === 2;
    if (!hasLog) {
      io.err(`${file} has no audit trail`);
      return 2;
    }
    const report = verifyAuditChain(db);
    if (!head) {
      io.out(values.json ? JSON.stringify(report) : describe(report));
      return report.intact ? 0 : 1;
    }
    const hasChainId =
      db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'").pluck().get() === 1 &&
      db.prepare("SELECT count(*) FROM meta WHERE key = 'audit.chain_id'").pluck().get() === 1;
    const check: HeadCheck = hasChainId
      ? verifyAgainstHead(db, head, { pinnedKey: values.key ?? null, resets: chainResets(db) })
      : { ok: false, problem: 'chain-replaced', headSeq: head.seq, localSeq: null };
    if (values.json)
      io.out(JSON.stringify({ ...report, chainId: hasChainId ? chainIdOf(db) : null, againstHead: check }));
    else {
      io.out(describe(report));
      io.out(describeHead(check));
    }
    return report.intact && check.ok ? 0 : 1;
  } catch (e) {
    io.err(`cannot read ${file}: ${(e as Error).message}`);
    return 2;
  } finally {
    db.close();
  }
}

/** `verify-audit`: proves the audit trail has not been edited, for IT staff and auditors. */
export function createVerifyAuditCommand(env: NodeJS.ProcessEnv = process.env): CliCommand {
  return {
    name: 'verify-audit',
    summary: 'verify the audit trail hash chain (verify-audit [--db FILE] [--json])',
    usage: USAGE,
    run: (argv, io) => run(argv, io, env),
  };
}

export const verifyAuditCommand = createVerifyAuditCommand();
