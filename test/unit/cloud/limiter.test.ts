import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../../main/cloud/limiter';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('download limiter', () => {
  it('never runs more than the configured number at once, and runs them all in FIFO order', async () => {
    const limiter = createLimiter(2);
    let active = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        limiter.run(async () => {
          started.push(i);
          peak = Math.max(peak, ++active);
          await tick();
          active--;
          return i * 10;
        }),
      ),
    );
    expect(results).toEqual([0, 10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
    expect(limiter.active).toBe(0);
  });

  it('a failing task frees its slot', async () => {
    const limiter = createLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await limiter.run(async () => 'next')).toBe('next');
  });

  it('a waiting task cancelled by its signal leaves the queue with CANCELLED and never starts', async () => {
    const limiter = createLimiter(1);
    let release!: () => void;
    const first = limiter.run(() => new Promise<void>((r) => (release = r)));
    const controller = new AbortController();
    let ran = false;
    const second = limiter.run(async () => {
      ran = true;
    }, controller.signal);
    expect(limiter.waiting).toBe(1);
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(limiter.waiting).toBe(0);
    release();
    await first;
    expect(ran).toBe(false);
  });

  it('refuses a concurrency below 1', () => {
    expect(() => createLimiter(0)).toThrow();
  });
});
