import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { type Db, deriveSubkey } from '../cache';
import { canonicalJson } from './canonical';

/**
 * Anchoring the audit chain off the workstation, so that nobody — not even someone who can rewrite
 * the database — rewrites what was shipped:
 *
 * - **Chain id**: 128 random bits created with the database (migration 010), never reused. Every
 *   shipped object is named under it, so a reset, a reinstall or a second OS user cannot collide.
 * - **Workstation signature**: each batch and head is signed with Ed25519 (deterministic, so a
 *   retry sends the very same bytes). The key is derived (HKDF, purpose `audit-signing`) from the
 *   workstation key, which the OS protects (safeStorage) in the app; the public key travels in each
 *   signature and is shown in Diagnostics for IT to pin.
 * - **Signed head** {chainId, seq, entryHash}: shipped after new entries and periodically when idle.
 *   Compared with the local chain (`verifyAgainstHead`), it reveals truncation (the newest entries
 *   deleted and audit_head rewritten) and a wipe (the chain gone or replaced).
 * - **Reset**: a new chain that replaces another starts with an audit entry naming the old chain's
 *   last known head (from the damaged database if it still reads, else the last head this
 *   workstation signed, kept in `audit-anchor.json`).
 */
export const SIGNATURE_ALG = 'Ed25519';

export interface AuditSignature {
  alg: typeof SIGNATURE_ALG;
  /** Raw 32-byte Ed25519 public key, base64url. */
  publicKey: string;
  /** Signature over canonicalJson(the object without `signature`), base64url. */
  value: string;
}

export interface AuditHeadObject {
  format: 'hcp-audit-head';
  version: 1;
  workstationId: string;
  chainId: string;
  seq: number;
  /** Hex; the genesis hash (zeros) for an empty chain. */
  entryHash: string;
  madeAt: string;
  signature: AuditSignature;
}

export interface AuditSigner {
  readonly publicKey: string;
  /** Adds `signature` to the object (signed over its canonical JSON without it). */
  sign<T extends object>(unsigned: T): T & { signature: AuditSignature };
}

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The workstation's audit signing key, derived from the workstation key. */
export function auditSignerFromWorkstationKey(workstationKey: Buffer): AuditSigner {
  const seed = deriveSubkey(workstationKey, 'audit-signing');
  return auditSignerFromSeed(seed);
}

export function auditSignerFromSeed(seed: Buffer): AuditSigner {
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = spki.subarray(SPKI_ED25519_PREFIX.length).toString('base64url');
  return {
    publicKey,
    sign<T extends object>(unsigned: T) {
      const value = sign(null, Buffer.from(canonicalJson(unsigned), 'utf8'), privateKey).toString('base64url');
      return { ...unsigned, signature: { alg: SIGNATURE_ALG, publicKey, value } };
    },
  };
}

function publicKeyObject(raw: string): KeyObject | null {
  try {
    const bytes = Buffer.from(raw, 'base64url');
    if (bytes.length !== 32) return null;
    return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, bytes]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

export type SignatureCheck = 'valid' | 'missing' | 'invalid' | 'key-not-pinned';

/** Checks an object's `signature`; with `pinnedKey`, the signing key must be that one. */
export function checkAuditSignature(signed: object, pinnedKey?: string | null): SignatureCheck {
  const s = (signed as { signature?: unknown }).signature as Partial<AuditSignature> | undefined;
  if (!s || typeof s !== 'object') return 'missing';
  if (s.alg !== SIGNATURE_ALG || typeof s.publicKey !== 'string' || typeof s.value !== 'string') return 'invalid';
  const key = publicKeyObject(s.publicKey);
  if (!key) return 'invalid';
  const { signature: _omit, ...unsigned } = signed as Record<string, unknown>;
  void _omit;
  let ok = false;
  try {
    ok = verify(null, Buffer.from(canonicalJson(unsigned), 'utf8'), key, Buffer.from(s.value, 'base64url'));
  } catch {
    ok = false;
  }
  if (!ok) return 'invalid';
  if (pinnedKey && pinnedKey !== s.publicKey) return 'key-not-pinned';
  return 'valid';
}

/** The chain id of this database (migration 010). */
export function chainIdOf(db: Db): string {
  const id = db.prepare("SELECT value FROM meta WHERE key = 'audit.chain_id'").pluck().get() as string | undefined;
  if (!id) throw new Error('audit chain id missing (migration 010 not applied)');
  return id;
}

export function currentHead(db: Db): { seq: number; entryHash: string } {
  const head = db.prepare('SELECT seq, entry_hash FROM audit_head WHERE id = 1').get() as
    { seq: number; entry_hash: string } | undefined;
  return head ? { seq: head.seq, entryHash: head.entry_hash } : { seq: 0, entryHash: '0'.repeat(64) };
}

/** The last head this workstation signed, kept outside the database (written atomically, 0600). */
export function writeAnchorFile(file: string, head: AuditHeadObject): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(head));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function readAnchorFile(file: string): AuditHeadObject | null {
  try {
    const head = JSON.parse(readFileSync(file, 'utf8')) as AuditHeadObject;
    return head.format === 'hcp-audit-head' && checkAuditSignature(head) === 'valid' ? head : null;
  } catch {
    return null;
  }
}

export type HeadProblem =
  | 'head-signature-invalid'
  | 'head-key-not-pinned'
  | 'head-other-workstation'
  | 'chain-replaced'
  | 'truncated'
  | 'head-hash-mismatch';

export type HeadCheck =
  | { ok: true; headSeq: number; localSeq: number; via: 'same-chain' | 'reset-entry' }
  | { ok: false; problem: HeadProblem; headSeq: number; localSeq: number | null };

export interface ChainResetRecord {
  previousChainId: string;
  previousSeq: number;
  previousEntryHash: string;
}

/**
 * Compares the local chain with a shipped head (downloaded from the audit bucket by IT). Same chain:
 * the local chain must reach the head's seq with the same hash there (else `truncated` /
 * `head-hash-mismatch`). Another chain: only a new chain that records a reset from that chain at or
 * beyond the head's seq is acceptable (else `chain-replaced`: wiped or replaced without a trace).
 * The local chain's own integrity is verifyAuditChain's job; run both.
 */
export function verifyAgainstHead(
  db: Db,
  head: AuditHeadObject,
  options: { pinnedKey?: string | null; resets?: readonly ChainResetRecord[] } = {},
): HeadCheck {
  const sig = checkAuditSignature(head, options.pinnedKey);
  if (sig !== 'valid')
    return {
      ok: false,
      problem: sig === 'key-not-pinned' ? 'head-key-not-pinned' : 'head-signature-invalid',
      headSeq: head.seq,
      localSeq: null,
    };
  const local = currentHead(db);
  const chainId = chainIdOf(db);
  if (head.chainId !== chainId) {
    const reset = (options.resets ?? []).find((r) => r.previousChainId === head.chainId);
    if (reset && reset.previousSeq >= head.seq)
      return { ok: true, headSeq: head.seq, localSeq: local.seq, via: 'reset-entry' };
    return { ok: false, problem: reset ? 'truncated' : 'chain-replaced', headSeq: head.seq, localSeq: local.seq };
  }
  if (head.seq === 0) return { ok: true, headSeq: 0, localSeq: local.seq, via: 'same-chain' };
  const row = db.prepare('SELECT entry_hash FROM audit_log WHERE seq = ?').pluck().get(head.seq) as string | undefined;
  if (local.seq < head.seq || row === undefined)
    return { ok: false, problem: 'truncated', headSeq: head.seq, localSeq: local.seq };
  if (row !== head.entryHash)
    return { ok: false, problem: 'head-hash-mismatch', headSeq: head.seq, localSeq: local.seq };
  return { ok: true, headSeq: head.seq, localSeq: local.seq, via: 'same-chain' };
}

/** The resets this chain records (its 'audit-chain-reset' entries that name a previous chain). */
export function chainResets(db: Db): ChainResetRecord[] {
  const out: ChainResetRecord[] = [];
  for (const text of db
    .prepare('SELECT entry FROM audit_log WHERE entry LIKE \'%"audit-chain-reset"%\' ORDER BY seq')
    .pluck()
    .iterate() as IterableIterator<string>) {
    const { event } = JSON.parse(text) as {
      event: { entity?: { detail?: { type: string; valueString: string }[] }[] };
    };
    const details = new Map((event.entity ?? []).flatMap((e) => e.detail ?? []).map((d) => [d.type, d.valueString]));
    const id = details.get('previous-chain-id');
    if (id)
      out.push({
        previousChainId: id,
        previousSeq: Number(details.get('previous-seq')),
        previousEntryHash: details.get('previous-hash') ?? '',
      });
  }
  return out;
}
