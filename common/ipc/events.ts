import { z } from 'zod';
import { SessionStatus } from './channels/session';
import { ScanPreview } from './channels/emergency';
import { OutboxCounts, OutboxStatus } from '../additions';

/** Main -> renderer notifications. Payloads carry no record contents and no secrets. */
export const events = {
  'session.changed': SessionStatus,
  /**
   * A scan read by a serial (CDC) scanner, already parsed in main: the preview (as emergency.scan
   * answers) or the refusal's code. The scanned text (with the QR's key) never leaves main.
   */
  'scanner.serialScan': z.object({
    at: z.string(),
    preview: ScanPreview.nullable(),
    error: z
      .object({
        code: z.string(),
        details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      })
      .nullable(),
  }),
  'scanner.status': z.object({
    serial: z.enum(['disabled', 'connected', 'disconnected']),
    port: z.string().nullable(),
  }),
  /** Progress of an attachment being fetched, decrypted and verified (no contents). */
  'emergency.attachmentProgress': z.object({
    recordId: z.string(),
    attachmentId: z.string(),
    receivedBytes: z.number(),
    totalBytes: z.number(),
    state: z.enum(['not-downloaded', 'downloading', 'verified', 'failed']),
  }),
  /** Main ended emergency access to a record on its own (the grant's time limit, a change of clinician). */
  'emergency.ended': z.object({
    recordId: z.string(),
    reason: z.enum(['expired', 'closed', 'signed-out', 'clinician-changed']),
  }),
  /** An outbox item changed state (main/additions/sender.ts): the counts, and which item (no contents). */
  'outbox.changed': z.object({
    counts: OutboxCounts,
    item: z.object({ id: z.number().int(), status: OutboxStatus, lastError: z.string().nullable() }).nullable(),
  }),
};

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;
export const EVENT_NAMES = Object.keys(events) as EventName[];
export const eventIpcName = (e: EventName): string => `hcp-event:${e}`;
