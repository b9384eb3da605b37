import { z } from 'zod';
import {
  AdditionForms,
  OutboxCounts,
  OutboxItem,
  StageAttachmentRequest,
  StageAttachmentResponse,
} from '../../additions';
import { channel } from '../define';

/**
 * Clinician additions and the outbox. `additions.submit` returns once the signed, encrypted addition
 * is committed on this workstation (status queued); 'outbox.changed' events follow it to `sent`.
 */
export const additionsChannels = {
  /** Sign, encrypt and queue additions to the open record. Errors: ADDITION_INVALID {field}, NOT_SIGNED_IN, SESSION_LOCKED, CACHE_RECORD_MISSING. */
  'additions.submit': channel(
    z.object({ recordId: z.string().min(1).max(200), items: AdditionForms }).strict(),
    z.object({ additionId: z.string(), item: OutboxItem }),
  ),
  /**
   * A file for an attachment form, in chunks (begin -> chunk × n -> end; discard): the form then names
   * it by `stagingId`. Errors: ADDITION_ATTACHMENT_TOO_LARGE {size, limit} at begin,
   * ADDITION_STAGING_INVALID {reason: unknown | order | size | incomplete | ...}.
   */
  'additions.stageAttachment': channel(StageAttachmentRequest, StageAttachmentResponse),
  /**
   * The outbox, newest first, with counts per status; `recovery` when this start found the database
   * damaged and rebuilt the outbox from its spool (how many unsent additions were recovered, how many could not be).
   */
  'outbox.list': channel(
    z.object({ limit: z.number().int().min(1).max(1000).optional() }).strict(),
    z.object({
      items: z.array(OutboxItem),
      counts: OutboxCounts,
      recovery: z.object({ recovered: z.number().int(), unrecoverable: z.number().int() }).nullable().optional(),
    }),
  ),
  /** Try a waiting item now instead of at its next backoff time. Errors: OUTBOX_ITEM_MISSING. */
  'outbox.retry': channel(z.object({ id: z.number().int().positive() }).strict(), OutboxItem),
};
