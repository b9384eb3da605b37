import type { Migration } from './index';

/**
 * The additions outbox (main/additions/outbox.ts). A row is committed (synchronous = FULL) before
 * any network call and holds the encrypted container exactly as it will be uploaded, so every retry
 * sends the same bytes to the same content-addressed key. Nothing in clear but ids, the target,
 * counts per form kind and the sending state. `body` is emptied (NULL) once the object is sent.
 */
export const m005Outbox: Migration = {
  id: 5,
  name: 'outbox',
  up: `
    CREATE TABLE outbox (
      id              INTEGER PRIMARY KEY,
      addition_id     TEXT NOT NULL UNIQUE,  -- hex SHA-256 of the signed addition
      patient_ref     TEXT NOT NULL,
      endpoint        TEXT NOT NULL,
      region          TEXT NOT NULL,
      bucket          TEXT NOT NULL,
      object_key      TEXT NOT NULL,
      body            BLOB,                  -- the encrypted container; NULL once sent
      body_sha256     TEXT NOT NULL,         -- of the container, checked before each upload
      kinds           TEXT NOT NULL,         -- JSON {kind: count}
      clinician       TEXT NOT NULL,         -- JSON {name, registration, certFingerprint} for the audit entry
      status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed-retrying')),
      attempts        INTEGER NOT NULL DEFAULT 0,
      last_error      TEXT,
      created_at      INTEGER NOT NULL,      -- ms since the epoch
      next_attempt_at INTEGER,               -- NULL once sent
      sent_at         INTEGER
    ) STRICT;
    CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status <> 'sent';
  `,
};
