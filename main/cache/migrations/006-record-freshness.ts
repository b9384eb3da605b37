import type { Migration } from './index';

/**
 * Record freshness (main/record/freshness.ts): per keyed patient reference, the highest manifest
 * version seen, the SHA-256 of its payload and the patient key that signed it. Retention and
 * purges never touch it: forgetting it would let an older (replayed) manifest in again. Nothing
 * in it names the patient in clear.
 */
export const m006RecordFreshness: Migration = {
  id: 6,
  name: 'record-freshness',
  up: `
    CREATE TABLE record_freshness (
      patient_ref     TEXT PRIMARY KEY,
      highest_version INTEGER NOT NULL,
      payload_sha256  TEXT NOT NULL,
      signer_kid      TEXT,
      updated_at      INTEGER NOT NULL  -- ms since the epoch
    ) STRICT;
  `,
};
