import type { Migration } from './index';

/** CRLs fetched from distribution points, kept for offline work (main/pki/crl-cache.ts). */
export const m002PkiCrlCache: Migration = {
  id: 2,
  name: 'pki-crl-cache',
  up: `
    CREATE TABLE pki_crl (
      source          TEXT PRIMARY KEY,
      issuer_key      TEXT NOT NULL,
      issuer          TEXT NOT NULL,
      der             BLOB NOT NULL,
      this_update     TEXT NOT NULL,
      next_update     TEXT,
      crl_number      TEXT,
      fetched_at      TEXT NOT NULL,
      last_attempt_at TEXT NOT NULL,
      last_error      TEXT
    ) STRICT;
    CREATE INDEX pki_crl_issuer ON pki_crl (issuer_key);
  `,
};
