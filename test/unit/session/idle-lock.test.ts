import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdleLock } from '../../../main/session/idle-lock';

function setup(options: { minutes?: number; systemIdle?: () => number } = {}) {
  let t = 1_000_000;
  let active = true;
  const locks: number[] = [];
  const idle = new IdleLock({
    minutes: () => options.minutes ?? 5,
    active: () => active,
    onIdle: () => {
      locks.push(t);
      active = false;
    },
    systemIdleSeconds: options.systemIdle,
    now: () => t,
    checkEveryMs: 1000,
  });
  return { idle, locks, advance: (ms: number) => (t += ms), setActive: (a: boolean) => (active = a) };
}

describe('idle lock in main', () => {
  afterEach(() => vi.useRealTimers());

  it('locks once the limit passes without activity reported by the renderer, and not before', () => {
    const { idle, locks, advance } = setup({ minutes: 5 });
    advance(4 * 60_000);
    expect(idle.check()).toBe(false);
    idle.touch();
    advance(4 * 60_000 + 59_000);
    expect(idle.check()).toBe(false);
    advance(1_000);
    expect(idle.check()).toBe(true);
    expect(locks).toHaveLength(1);
    // Locked now (inactive): nothing more to lock.
    advance(60 * 60_000);
    expect(idle.check()).toBe(false);
    expect(locks).toHaveLength(1);
  });

  it("a stalled renderer (no reports) does not keep the session open; the OS's idle time counts when known", () => {
    let systemIdle = 0;
    const { idle, advance } = setup({ minutes: 5, systemIdle: () => systemIdle });
    advance(10 * 60_000);
    // The clinician is at the keyboard (the OS saw input 3 s ago) although the renderer reported nothing.
    systemIdle = 3;
    expect(idle.check()).toBe(false);
    systemIdle = 5 * 60;
    expect(idle.check()).toBe(true);
  });

  it('starts counting afresh when a session becomes active (sign-in, unlock)', () => {
    const { idle, locks, advance, setActive } = setup({ minutes: 1 });
    setActive(false);
    advance(10 * 60_000);
    expect(idle.check()).toBe(false);
    setActive(true);
    advance(59_000);
    expect(idle.check()).toBe(false);
    advance(1_000);
    expect(idle.check()).toBe(true);
    expect(locks).toHaveLength(1);
  });

  it('checks on its own timer once started', () => {
    vi.useFakeTimers();
    let locked = 0;
    const idle = new IdleLock({
      minutes: () => 1,
      active: () => locked === 0,
      onIdle: () => locked++,
      checkEveryMs: 1000,
    });
    idle.start();
    vi.advanceTimersByTime(59_000);
    expect(locked).toBe(0);
    vi.advanceTimersByTime(2_000);
    expect(locked).toBe(1);
    idle.stop();
  });
});
