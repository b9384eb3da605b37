import { describe, expect, it } from 'vitest';
import { backoffDelayMs, sleep } from '../../../main/retry/backoff';
import { WorkstationError } from '../../../common/errors';

const base = { baseMs: 100, maxMs: 1_000 };

describe('backoffDelayMs', () => {
  it('the ceiling doubles per attempt from baseMs and stops at maxMs', () => {
    expect([0, 1, 2, 3, 4, 5, 40].map((n) => backoffDelayMs(n, { ...base, jitter: 'none' }))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });

  it('full jitter: anywhere in [0, ceiling]', () => {
    expect([0, 2, 5].map((n) => backoffDelayMs(n, { ...base, jitter: 'full' }, () => 0))).toEqual([0, 0, 0]);
    expect([0, 2, 5].map((n) => backoffDelayMs(n, { ...base, jitter: 'full' }, () => 0.5))).toEqual([50, 200, 500]);
    expect([0, 2, 5].map((n) => backoffDelayMs(n, { ...base, jitter: 'full' }, () => 0.9999))).toEqual([
      100, 400, 1000,
    ]);
  });

  it('equal jitter: half fixed, half random, in [ceiling/2, ceiling]', () => {
    expect([0, 2, 5].map((n) => backoffDelayMs(n, { ...base, jitter: 'equal' }, () => 0))).toEqual([50, 200, 500]);
    expect([0, 2, 5].map((n) => backoffDelayMs(n, { ...base, jitter: 'equal' }, () => 0.5))).toEqual([75, 300, 750]);
    expect([0, 2, 5].map((n) => backoffDelayMs(n, { ...base, jitter: 'equal' }, () => 0.9999))).toEqual([
      100, 400, 1000,
    ]);
  });

  it('no jitter ignores the random source; a negative attempt counts as the first', () => {
    let calls = 0;
    expect(backoffDelayMs(1, { ...base, jitter: 'none' }, () => (calls++, 0.3))).toBe(200);
    expect(calls).toBe(0);
    expect(backoffDelayMs(-3, { ...base, jitter: 'none' })).toBe(100);
  });

  it('with the real random source every strategy stays inside its bounds', () => {
    for (let i = 0; i < 200; i++) {
      const n = i % 6;
      const ceiling = Math.min(1_000, 100 * 2 ** n);
      const full = backoffDelayMs(n, { ...base, jitter: 'full' });
      const equal = backoffDelayMs(n, { ...base, jitter: 'equal' });
      expect(full).toBeGreaterThanOrEqual(0);
      expect(full).toBeLessThanOrEqual(ceiling);
      expect(equal).toBeGreaterThanOrEqual(ceiling / 2);
      expect(equal).toBeLessThanOrEqual(ceiling);
    }
  });
});

describe('sleep', () => {
  it('resolves after the delay, rejects with CANCELLED on abort', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const aborted = new AbortController();
    aborted.abort();
    await expect(sleep(10_000, aborted.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    const later = new AbortController();
    const pending = sleep(10_000, later.signal);
    later.abort();
    await expect(pending).rejects.toBeInstanceOf(WorkstationError);
  });
});
