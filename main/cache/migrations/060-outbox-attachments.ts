import type { Migration } from './index';

/**
 * Attachments of an addition are their own objects (docs/formats.md §7.1), spooled as files beside
 * the addition's spool file (main/additions/outbox-spool.ts), never as blobs in this database:
 * `attachments` is a JSON array [{attachmentId, size, sha256, sent}] (size and SHA-256 of the
 * encrypted container file; `sent` once its object is up). NULL: an addition without attachments.
 */
export const m060OutboxAttachments: Migration = {
  id: 60,
  name: 'outbox-attachments',
  up: `ALTER TABLE outbox ADD COLUMN attachments TEXT;`,
};
