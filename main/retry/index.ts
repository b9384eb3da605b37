/** Retry timing: the one backoff formula and a cancellable sleep. */
export { backoffDelayMs, sleep } from './backoff';
