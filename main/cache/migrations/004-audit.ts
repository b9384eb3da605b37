import type { Migration } from './index';

/**
 * The hash-chained audit trail (main/audit). `entry` is the canonical JSON of {seq, event};
 * entry_hash = SHA-256(prev_hash || entry) with the hashes as 32 raw bytes (stored as hex).
 * ship_key / shipped_at are shipping state, outside the chain: a batch is planned (ship_key set)
 * before it is uploaded and confirmed (shipped_at set) after, so a retry re-sends the same object.
 * audit_head holds the last seq and hash, so that deleting the newest entries is detected too.
 */
export const m004Audit: Migration = {
  id: 4,
  name: 'audit',
  up: `
    CREATE TABLE audit_log (
      seq        INTEGER PRIMARY KEY,
      entry      TEXT NOT NULL,
      prev_hash  TEXT NOT NULL,
      entry_hash TEXT NOT NULL,
      ship_key   TEXT,
      shipped_at TEXT
    ) STRICT;
    CREATE INDEX audit_log_unshipped ON audit_log (ship_key, seq) WHERE shipped_at IS NULL;

    CREATE TABLE audit_head (
      id         INTEGER PRIMARY KEY CHECK (id = 1),
      seq        INTEGER NOT NULL,
      entry_hash TEXT NOT NULL
    ) STRICT;
  `,
};
