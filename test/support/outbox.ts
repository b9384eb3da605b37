import { EventEmitter } from 'node:events';
import type { OutboxCounts } from '../../common/additions';
import type { OutboxChange } from '../../main/additions/sender';

type Unsubscribe = () => void;

const pending = (c: OutboxCounts) => c.queued + c.sending + c['failed-retrying'];

/**
 * A sender's change notifications for a test: pass `onChange` to `new OutboxSender({...})`, then
 * `await outboxDrained(() => outbox.counts(), changes.subscribe, ms)`.
 */
export function outboxChanges(): {
  onChange: (change: OutboxChange) => void;
  subscribe: (listener: (change: OutboxChange) => void) => Unsubscribe;
} {
  const emitter = new EventEmitter();
  return {
    onChange: (change) => emitter.emit('change', change),
    subscribe: (listener) => {
      emitter.on('change', listener);
      return () => emitter.off('change', listener);
    },
  };
}

/**
 * Resolves when nothing is left to send (queued + sending + failed-retrying = 0): checked now, then
 * on each change the sender reports (its onChange, or the workstation's `outbox.changed` event), so
 * no polling and no fixed sleep. Rejects with the last counts when `timeoutMs` passes first.
 */
export function outboxDrained(
  counts: () => OutboxCounts,
  subscribe: (listener: (change: OutboxChange) => void) => Unsubscribe,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let last = counts();
    if (pending(last) === 0) return resolve();
    const off = subscribe((change) => {
      last = change.counts;
      if (pending(last) !== 0) return;
      clearTimeout(timer);
      off();
      resolve();
    });
    const timer = setTimeout(() => {
      off();
      reject(new Error(`outbox not drained after ${timeoutMs} ms: ${JSON.stringify(last)}`));
    }, timeoutMs);
  });
}
