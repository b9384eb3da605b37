import { WorkstationError } from '../../common/errors';

/**
 * The one backoff formula of main/ (HRI retries, download resumes, the outbox sender, the serial
 * scanner's reopen). Attempt n (0-based) has the ceiling min(maxMs, baseMs·2^n), and the jitter
 * strategy decides the wait within it (names as in the AWS architecture blog, "Exponential Backoff
 * And Jitter"):
 *  - 'full':  random in [0, ceiling];
 *  - 'equal': half fixed, half random: in [ceiling/2, ceiling] (never retries at once);
 *  - 'none':  exactly the ceiling (a local device, no herd to spread out).
 * Pure: `random` (in [0, 1)) is injected so that tests are deterministic.
 */
export type Jitter = 'full' | 'equal' | 'none';

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  jitter: Jitter;
}

export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt));
  switch (policy.jitter) {
    case 'full':
      return Math.round(ceiling * random());
    case 'equal':
      return Math.round(ceiling / 2 + (ceiling / 2) * random());
    case 'none':
      return ceiling;
  }
}

/** Waits `ms`, or rejects with CANCELLED as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new WorkstationError('CANCELLED'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new WorkstationError('CANCELLED'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
