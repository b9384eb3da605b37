import type { Migration } from './index';

/**
 * The encrypted record cache (main/cache/records.ts). Only what lookup, staleness and purge need
 * is in clear: ids, a keyed patient reference, the manifest version, times and sizes. The record
 * contents (view, manifest, IPS bundle) are one AES-256-GCM blob; attachments are encrypted files
 * in the cache directory, named here.
 */
export const m003RecordCache: Migration = {
  id: 3,
  name: 'record-cache',
  up: `
    CREATE TABLE cached_records (
      record_id        TEXT PRIMARY KEY,
      patient_ref      TEXT NOT NULL,
      manifest_version INTEGER NOT NULL,
      fetched_at       INTEGER NOT NULL,  -- ms since the epoch
      content          BLOB NOT NULL,     -- sealed: view + manifest + IPS bundle
      content_bytes    INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX cached_records_by_patient ON cached_records (patient_ref, fetched_at);
    CREATE INDEX cached_records_by_age ON cached_records (fetched_at);

    CREATE TABLE cached_attachments (
      record_id       TEXT NOT NULL REFERENCES cached_records (record_id) ON DELETE CASCADE,
      attachment_id   TEXT NOT NULL,
      content_type    TEXT NOT NULL,
      plaintext_bytes INTEGER NOT NULL,
      stored_bytes    INTEGER NOT NULL,
      file_name       TEXT NOT NULL UNIQUE, -- sealed file in the attachments directory
      stored_at       INTEGER NOT NULL,
      PRIMARY KEY (record_id, attachment_id)
    ) STRICT;
  `,
};
