import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { OutboxCounts, OutboxStatus } from '../../common/additions';
import { WorkstationError, isWorkstationError, type ErrorCode } from '../../common/errors';
import type { AuditTrail } from '../audit';
import type { ObjectStore } from '../cloud';
import { silentLogger, type Logger } from '../log';
import { backoffDelayMs } from '../retry';
import { attachmentObjectKey } from './attachments';
import type { DueAttachment, DueItem, Outbox, UploadTarget } from './outbox';

/**
 * Sends the outbox: each due item is claimed (sending), checked for existence in the bucket, put if
 * absent, then marked sent and audited; a failure is recorded with its error code and the item waits
 * with exponential backoff (with jitter) before the next attempt. Never gives up: an addition is
 * never dropped, the clinician sees it retrying with the last error.
 *
 * Exactly once at the object level: the object key is the SHA-256 of the signed addition and the body
 * is the container stored at enqueue time, so any repeated PUT (a response lost to a cut connection,
 * a crash between upload and `markSent`) rewrites the same bytes under the same name. The existence
 * check (HEAD) saves that repeat where the credentials may read the bucket; a role that may only
 * write `pending` gets AccessDenied for HEAD, and the sender then skips the check for that endpoint.
 *
 * An addition with attachments (docs/formats.md §7.1) is several objects: each attachment container
 * is streamed from its spool file with the store's streaming put (multipart above the client's part
 * size), recorded as sent one by one (a crash or a retry resumes with the next one), and the
 * addition's own object goes last — the addition is visible to the patient, and `sent` here, only
 * once all its objects are up. Attachment names are fixed at signing and their bytes spooled, so a
 * repeat writes the same bytes under the same name too.
 */
export interface OutboxChange {
  counts: OutboxCounts;
  item: { id: number; status: OutboxStatus; lastError: string | null } | null;
}

export interface BackoffOptions {
  /** First retry after about this long (default 2 s). */
  baseMs: number;
  /** Never wait longer than this (default 5 min). */
  maxMs: number;
}

export interface OutboxSenderOptions {
  outbox: Outbox;
  /** An object store for a target and patient (CloudAccess.uploadStore; the sender never closes them). */
  storeFor: (target: UploadTarget, patientRef: string) => ObjectStore;
  audit?: AuditTrail | null;
  onChange?: (change: OutboxChange) => void;
  backoff?: Partial<BackoffOptions>;
  /** Items sent at the same time (default 2). */
  concurrency?: number;
  /** When nothing is due, look again after at most this long (default 60 s). */
  idleCheckMs?: number;
  log?: Logger;
  now?: () => number;
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2_000, maxMs: 300_000 };

/** Delay before attempt `attempts + 1`: base·2^(attempts−1), capped, with equal jitter (main/retry/backoff). */
export function backoffDelay(
  attempts: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  return backoffDelayMs(attempts - 1, { baseMs: options.baseMs, maxMs: options.maxMs, jitter: 'equal' }, random);
}

export interface SendOutcome {
  id: number;
  status: 'sent' | 'already-present' | 'failed' | 'interrupted';
  code?: ErrorCode;
}

export class OutboxSender {
  readonly #o: OutboxSenderOptions;
  readonly #backoff: BackoffOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  /** Endpoints whose credentials may not HEAD the bucket (AccessDenied): no existence check there. */
  readonly #headDenied = new Set<string>();
  readonly #inFlight = new Map<number, AbortController>();
  #running = false;
  #pumping: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(options: OutboxSenderOptions) {
    this.#o = options;
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? silentLogger;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Puts back what a crash left 'sending', then sends whatever is due, and keeps doing so. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const recovered = this.#o.outbox.recoverInterrupted();
    if (recovered) this.#log.info('outbox: interrupted uploads queued again', { items: recovered });
    this.kick();
  }

  /** Stops the loop; uploads in flight are aborted and their items go back to the queue. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const c of this.#inFlight.values()) c.abort();
    await this.#pumping;
  }

  /** Something was enqueued or a retry was asked for: look now. */
  kick(): void {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (this.#again && this.#running) {
        this.#again = false;
        this.kick();
      } else this.#schedule();
    });
  }

  /** Sends every item due now, once each (tests and the CLI; the loop calls the same). */
  async sendDue(): Promise<SendOutcome[]> {
    const outcomes: SendOutcome[] = [];
    const concurrency = Math.max(1, this.#o.concurrency ?? 2);
    for (;;) {
      const batch = this.#o.outbox.due(concurrency);
      if (!batch.length) return outcomes;
      outcomes.push(...(await Promise.all(batch.map((item) => this.#send(item)))));
      if (this.#stopping) return outcomes;
    }
  }

  get #stopping(): boolean {
    return !this.#running && this.#pumping !== null;
  }

  async #pump(): Promise<void> {
    try {
      await this.sendDue();
    } catch (e) {
      this.#log.error('outbox: send loop failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  #schedule(): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    const next = this.#o.outbox.nextDueAt();
    const idle = this.#o.idleCheckMs ?? 60_000;
    const wait = next === null ? idle : Math.min(idle, Math.max(0, next - this.#now()));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.kick();
    }, wait);
    this.#timer.unref?.();
  }

  #changed(id: number): void {
    if (!this.#o.onChange) return;
    const item = this.#o.outbox.get(id);
    this.#o.onChange({
      counts: this.#o.outbox.counts(),
      item: item ? { id, status: item.status, lastError: item.lastError } : null,
    });
  }

  async #send(item: DueItem): Promise<SendOutcome> {
    const { outbox } = this.#o;
    if (!outbox.markSending(item.id)) return { id: item.id, status: 'interrupted' };
    this.#changed(item.id);
    const controller = new AbortController();
    this.#inFlight.set(item.id, controller);
    try {
      if (createHash('sha256').update(item.body).digest('hex') !== item.bodySha256)
        return this.#failed(item, 'CACHE_CORRUPT');
      const store = this.#o.storeFor(item.target, item.patientRef);
      const { bucket } = item.target;
      for (const attachment of item.attachments) {
        if (attachment.sent) continue;
        await this.#putAttachment(store, item, attachment, controller.signal);
        outbox.markAttachmentSent(item.id, attachment.attachmentId);
      }
      const present = await this.#exists(store, item.target, item.objectKey, controller.signal);
      if (!present)
        await store.put(bucket, item.objectKey, item.body, {
          contentType: 'application/octet-stream',
          signal: controller.signal,
        });
      outbox.markSent(item.id);
      this.#audit(item);
      this.#changed(item.id);
      this.#log.info('outbox: addition sent', { id: item.id, attempts: item.attempts + 1, alreadyPresent: present });
      return { id: item.id, status: present ? 'already-present' : 'sent' };
    } catch (e) {
      const code: ErrorCode = isWorkstationError(e) ? e.code : 'INTERNAL_ERROR';
      if (code === 'CANCELLED' && !this.#running) {
        outbox.release(item.id);
        this.#changed(item.id);
        return { id: item.id, status: 'interrupted' };
      }
      if (code === 'CLOUD_CREDENTIALS_EXPIRED' || code === 'CLOUD_ACCESS_DENIED')
        this.#o.storeFor(item.target, item.patientRef).invalidateCredentials();
      return this.#failed(item, code);
    } finally {
      this.#inFlight.delete(item.id);
    }
  }

  /** False also when this endpoint's role may not HEAD (the idempotent name covers a repeat then). */
  async #exists(store: ObjectStore, target: UploadTarget, key: string, signal: AbortSignal): Promise<boolean> {
    if (this.#headDenied.has(target.endpoint)) return false;
    try {
      return await store.exists(target.bucket, key, { signal });
    } catch (e) {
      if (!(isWorkstationError(e) && e.code === 'CLOUD_ACCESS_DENIED')) throw e;
      this.#headDenied.add(target.endpoint);
      this.#log.info(
        'outbox: no existence check (the role may not read the bucket); the idempotent key covers repeats',
        { endpoint: target.endpoint },
      );
      return false;
    }
  }

  /** One attachment container, streamed from its spool file; CACHE_CORRUPT when the file is not the one spooled. */
  async #putAttachment(store: ObjectStore, item: DueItem, a: DueAttachment, signal: AbortSignal): Promise<void> {
    let size: number;
    try {
      size = statSync(a.file).size;
    } catch {
      size = -1;
    }
    if (size !== a.size) throw new WorkstationError('CACHE_CORRUPT', { reason: 'attachment-spool' });
    const key = attachmentObjectKey(item.objectKey, a.attachmentId);
    if (await this.#exists(store, item.target, key, signal)) return;
    await store.put(item.target.bucket, key, createReadStream(a.file, { highWaterMark: 1024 * 1024 }), {
      size,
      contentType: 'application/octet-stream',
      signal,
    });
  }

  #failed(item: DueItem, code: ErrorCode): SendOutcome {
    const attempts = item.attempts + 1;
    this.#o.outbox.markFailed(item.id, code, this.#now() + backoffDelay(attempts, this.#backoff, this.#o.random));
    this.#changed(item.id);
    this.#log.warn('outbox: upload failed, will retry', { id: item.id, attempts, code });
    return { id: item.id, status: 'failed', code };
  }

  #audit(item: DueItem): void {
    try {
      this.#o.audit?.additionSubmitted({
        clinician: item.clinician,
        patientRef: item.patientRef,
        bucket: item.target.bucket,
        objectKey: item.objectKey.slice(item.objectKey.indexOf('/') + 1),
      }); // without the citizen id (issue 12 §6)
    } catch (e) {
      // The object is in the bucket; a failing audit write must not make the outbox send it again.
      this.#log.error('outbox: audit entry failed', { id: item.id, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
