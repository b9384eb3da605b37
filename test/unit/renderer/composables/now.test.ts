import { effectScope } from 'vue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useNow } from '../../../../renderer/src/composables/useNow';
import { NOW } from '../fixtures';

/** The clock of "3 minutes ago" and the access countdown, on fake timers. */
describe('useNow', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('follows the wall clock at its interval (a jump shows at the next tick) and stops with its scope', () => {
    const scope = effectScope();
    const now = scope.run(() => useNow(15_000))!;
    expect(now.value).toBe(NOW.getTime());
    vi.advanceTimersByTime(14_999);
    expect(now.value).toBe(NOW.getTime());
    vi.advanceTimersByTime(1);
    expect(now.value).toBe(NOW.getTime() + 15_000);
    vi.setSystemTime(NOW.getTime() + 3_600_000);
    vi.advanceTimersByTime(15_000);
    expect(now.value).toBe(NOW.getTime() + 3_600_000 + 15_000);
    scope.stop();
    vi.advanceTimersByTime(60_000);
    expect(now.value).toBe(NOW.getTime() + 3_600_000 + 15_000);
  });
});
