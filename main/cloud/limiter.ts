import { WorkstationError } from '../../common/errors';

/**
 * At most `concurrency` tasks at a time (config `cloud.concurrency`); the rest wait in FIFO order.
 * A waiting task whose signal aborts leaves the queue with CANCELLED without ever starting.
 */
export interface Limiter {
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  readonly active: number;
  readonly waiting: number;
}

export function createLimiter(concurrency: number): Limiter {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new WorkstationError('INVALID_INPUT', { field: 'concurrency' });
  let active = 0;
  const queue: { start: () => void; signal?: AbortSignal; onAbort: () => void }[] = [];

  const next = () => {
    while (active < concurrency && queue.length > 0) {
      const entry = queue.shift()!;
      entry.signal?.removeEventListener('abort', entry.onAbort);
      entry.start();
    }
  };

  return {
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
    run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (signal?.aborted) return reject(new WorkstationError('CANCELLED'));
        const start = () => {
          active++;
          task()
            .then(resolve, reject)
            .finally(() => {
              active--;
              next();
            });
        };
        const entry = {
          start,
          signal,
          onAbort: () => {
            const i = queue.indexOf(entry);
            if (i >= 0) queue.splice(i, 1);
            reject(new WorkstationError('CANCELLED'));
          },
        };
        signal?.addEventListener('abort', entry.onAbort, { once: true });
        queue.push(entry);
        next();
      });
    },
  };
}
