import { onScopeDispose, toValue, watch, type MaybeRefOrGetter } from 'vue';

const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart'] as const;
const CHECK_EVERY_MS = 1000;

const REPORT_EVERY_MS = 30_000;

/**
 * Call `onIdle` once after `minutes` without keyboard, pointer or wheel activity, while `active`.
 * Elapsed time is measured on the wall clock at every check, so a suspended machine locks as
 * soon as it wakes. `onActivity` (at most every 30 s while there is activity) tells main, whose own
 * idle lock (main/session/idle-lock.ts) locks a session whose screen stopped reporting.
 */
export function useIdleLock(
  options: {
    minutes: MaybeRefOrGetter<number>;
    active: MaybeRefOrGetter<boolean>;
    onIdle: () => void;
    onActivity?: () => void;
  },
  target: Window = window,
): void {
  let last = Date.now();
  let reported = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  const touch = () => {
    last = Date.now();
    if (options.onActivity && last - reported >= REPORT_EVERY_MS) {
      reported = last;
      options.onActivity();
    }
  };

  const stop = () => {
    clearInterval(timer);
    timer = undefined;
    for (const e of ACTIVITY) target.removeEventListener(e, touch, { capture: true });
  };

  const start = () => {
    stop();
    last = Date.now();
    for (const e of ACTIVITY) target.addEventListener(e, touch, { capture: true, passive: true });
    timer = setInterval(() => {
      if (Date.now() - last >= toValue(options.minutes) * 60_000) {
        stop();
        options.onIdle();
      }
    }, CHECK_EVERY_MS);
  };

  watch(
    () => [toValue(options.active), toValue(options.minutes)] as const,
    ([active]) => (active ? start() : stop()),
    { immediate: true },
  );
  onScopeDispose(stop);
}
