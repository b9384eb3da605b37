import type { Migration } from './index';

/**
 * Audit anchoring (main/audit/anchor.ts). A random chain id is created with the database and never
 * reused: shipped objects are named under it (audit/<ws>/<chainId>/...), so a reset database, a
 * reinstall or a second OS user starts a new chain under a new name and can never overwrite what
 * another chain shipped. `audit_heads` holds the signed heads (chain id, seq, hash) planned and
 * shipped, each object written once (the exact bytes are kept for a retry).
 */
export const m010AuditAnchor: Migration = {
  id: 10,
  name: 'audit-anchor',
  up: `
    INSERT INTO meta (key, value) VALUES ('audit.chain_id', lower(hex(randomblob(16)))) ON CONFLICT (key) DO NOTHING;
    CREATE TABLE audit_heads (
      id          INTEGER PRIMARY KEY,
      seq         INTEGER NOT NULL,
      entry_hash  TEXT NOT NULL,
      made_at     TEXT NOT NULL,
      object_key  TEXT NOT NULL UNIQUE,
      body        TEXT NOT NULL,       -- the signed head object exactly as uploaded
      shipped_at  TEXT
    ) STRICT;
  `,
};
