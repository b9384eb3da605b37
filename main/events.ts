import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../common/ipc/events';

/** Main-process notifications to whoever shows the UI (Electron window or browser harness). */
export class WorkstationEvents {
  readonly #emitter = new EventEmitter();

  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.#emitter.emit(event, payload);
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }

  /** Every event, for forwarders (IPC, SSE). */
  onAny(listener: (event: EventName, payload: unknown) => void, names: readonly EventName[]): () => void {
    const offs = names.map((n) => this.on(n, (p) => listener(n, p)));
    return () => offs.forEach((off) => off());
  }
}

/**
 * A main-internal notification whose listeners answer (not forwarded to the renderer): the one who
 * calls it knows none of its listeners, so dependencies run one way (e.g. the session's access end,
 * which the emergency side subscribes to). Listeners run synchronously, in subscription order.
 */
export class Hook<A extends unknown[], R = void> {
  readonly #listeners = new Set<(...args: A) => R>();

  on(listener: (...args: A) => R): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls every listener; their answers, in order. */
  call(...args: A): R[] {
    return [...this.#listeners].map((l) => l(...args));
  }
}
