import { createPinia, setActivePinia } from 'pinia';
import { vi } from 'vitest';
import type { z } from 'zod';
import type { HcpApi } from '../../../common/ipc/api';
import { contract, type Channel, type RequestOf, type ResponseOf } from '../../../common/ipc/contract';
import { events, type EventName, type EventPayload } from '../../../common/ipc/events';
import { attachmentAppUrl } from '../../../common/attachment-url';
import type { ErrorInfo } from '../../../common/errors';
import type { IpcResult } from '../../../common/ipc/result';

type Answer<C extends Channel> = (
  request: RequestOf<C>,
) => IpcResult<ResponseOf<C>> | Promise<IpcResult<ResponseOf<C>>>;

/**
 * `window.hcp` as the preload exposes it (invoke, on, attachmentUrl), played by the test: every
 * call recorded, each channel answered as the test says (a value, a typed error, a broken bridge,
 * or an answer the test settles later), events pushed to the listeners the stores registered. It
 * holds the renderer to the contract as main does: a request main's schema refuses is answered
 * IPC_INVALID_REQUEST, and a request, answer or event that the schemas refuse, or a call nobody
 * answers, is recorded in `violations` (which every test expects empty).
 */
export class FakeHcp implements HcpApi {
  readonly calls: { channel: Channel; request: unknown }[] = [];
  readonly violations: string[] = [];
  private readonly answers = new Map<Channel, Answer<Channel>>();
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();

  /** Answer a channel with its value (or a function of the request giving it). */
  answer<C extends Channel>(channel: C, value: ResponseOf<C> | ((request: RequestOf<C>) => ResponseOf<C>)): this {
    return this.respond(channel, (request) => ({
      ok: true,
      value: typeof value === 'function' ? (value as (r: RequestOf<C>) => ResponseOf<C>)(request) : value,
    }));
  }

  /** Refuse a channel with a typed error, as a main-process handler does. */
  fail(channel: Channel, error: ErrorInfo): this {
    return this.respond(channel, () => ({ ok: false, error }));
  }

  /** Make invoke itself reject (the IPC bridge broke: no envelope at all). */
  break(channel: Channel): this {
    return this.respond(channel, () => Promise.reject(new Error('bridge down')));
  }

  /** The whole envelope, possibly later: `respond(c, () => pending.promise)` leaves the call in flight. */
  respond<C extends Channel>(channel: C, answer: Answer<C>): this {
    this.answers.set(channel, answer as unknown as Answer<Channel>);
    return this;
  }

  /** The requests sent on one channel, in order. */
  requests<C extends Channel>(channel: C): RequestOf<C>[] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.request as RequestOf<C>);
  }

  async invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<IpcResult<ResponseOf<C>>> {
    this.calls.push({ channel, request });
    const schemas = contract[channel] as { request: z.ZodType; response: z.ZodType };
    if (!schemas.request.safeParse(request).success) {
      this.violations.push(`${channel}: request refused by the contract: ${JSON.stringify(request)}`);
      return { ok: false, error: { code: 'IPC_INVALID_REQUEST' } };
    }
    const answer = this.answers.get(channel);
    if (!answer) {
      this.violations.push(`${channel}: called, but the test gave no answer`);
      return { ok: false, error: { code: 'INTERNAL_ERROR' } };
    }
    const result = (await answer(request)) as IpcResult<ResponseOf<C>>;
    if (result.ok && !schemas.response.safeParse(result.value).success)
      this.violations.push(`${channel}: the test's answer is not a contract value`);
    return result;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    this.listeners.set(event, set);
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** The app's URL for an attachment, as the preload gives it. */
  attachmentUrl(recordId: string, attachmentId: string): string {
    return attachmentAppUrl({ recordId, attachmentId });
  }

  /** Push a main-process event (checked against its schema) to every listener. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    if (!events[event].safeParse(payload).success) this.violations.push(`${event}: payload refused by its schema`);
    for (const l of this.listeners.get(event) ?? []) (l as (p: EventPayload<E>) => void)(payload);
  }

  listenerCount(event: EventName): number {
    return this.listeners.get(event)?.size ?? 0;
  }
}

/** A promise the test settles when it wants, to look at a store while its call is in flight. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The browser's FileReader as far as the renderer uses it (readAsDataURL), on Node's Blob. */
class BlobFileReader {
  result: string | null = null;
  error: unknown = null;
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  readAsDataURL(blob: Blob): void {
    blob.arrayBuffer().then(
      (bytes) => {
        this.result = `data:${blob.type || 'application/octet-stream'};base64,${Buffer.from(bytes).toString('base64')}`;
        this.onload?.();
      },
      (e: unknown) => {
        this.error = e;
        this.onerror?.();
      },
    );
  }
}

/**
 * A fresh Pinia and a fake `window.hcp` for one test. No DOM: the stores need only `window.hcp`,
 * `window.print`, the `lang` of the document element (set by the language switch) and FileReader.
 */
export function installFakeHcp(): { hcp: FakeHcp; print: ReturnType<typeof vi.fn>; html: { lang: string } } {
  const hcp = new FakeHcp();
  const print = vi.fn();
  const html = { lang: '' };
  vi.stubGlobal('window', { hcp, print });
  vi.stubGlobal('document', { documentElement: html });
  vi.stubGlobal('FileReader', BlobFileReader);
  setActivePinia(createPinia());
  return { hcp, print, html };
}
