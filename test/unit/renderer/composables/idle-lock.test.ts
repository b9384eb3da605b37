import { effectScope, nextTick, ref } from 'vue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useIdleLock } from '../../../../renderer/src/composables/useIdleLock';
import { NOW } from '../fixtures';

/** The idle lock on fake timers, with an EventTarget standing in for the window's input events. */
describe('idle lock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function start(minutes = ref(5), active = ref(true)) {
    const target = new EventTarget();
    const onIdle = vi.fn();
    const onActivity = vi.fn();
    const scope = effectScope();
    scope.run(() => useIdleLock({ minutes, active, onIdle, onActivity }, target as unknown as Window));
    return { target, onIdle, onActivity, scope, minutes, active };
  }

  it('locks once after the idle time without input, not before', () => {
    const { onIdle, scope } = start();
    vi.advanceTimersByTime(5 * 60_000 - 1000);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    scope.stop();
  });

  it('input restarts the wait; activity is reported to main at most every 30 s', () => {
    const { target, onIdle, onActivity, scope } = start();
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(4 * 60_000);
      target.dispatchEvent(new Event(i % 2 ? 'keydown' : 'pointermove'));
    }
    expect(onIdle).not.toHaveBeenCalled();
    expect(onActivity).toHaveBeenCalledTimes(10);
    target.dispatchEvent(new Event('wheel'));
    vi.advanceTimersByTime(10_000);
    target.dispatchEvent(new Event('keydown'));
    expect(onActivity).toHaveBeenCalledTimes(10);
    vi.advanceTimersByTime(5 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    scope.stop();
  });

  it('a machine that slept past the idle time locks at the first check after waking', () => {
    const { onIdle, scope } = start();
    vi.setSystemTime(NOW.getTime() + 6 * 60_000);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    scope.stop();
  });

  it('not while inactive (signed out, locked); a new idle time applies at once; stops with its scope', async () => {
    const { onIdle, scope, active, minutes } = start(ref(5), ref(false));
    vi.advanceTimersByTime(60 * 60_000);
    expect(onIdle).not.toHaveBeenCalled();
    active.value = true;
    minutes.value = 1;
    await nextTick();
    vi.advanceTimersByTime(60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
    active.value = false;
    await nextTick();
    active.value = true;
    await nextTick();
    scope.stop();
    vi.advanceTimersByTime(60 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });
});
