import { onScopeDispose, shallowRef, type Ref } from 'vue';

/** The current time (ms), refreshed every `everyMs`, for "3 minutes ago" and countdowns. */
export function useNow(everyMs = 1000): Ref<number> {
  const now = shallowRef(Date.now());
  const timer = setInterval(() => (now.value = Date.now()), everyMs);
  onScopeDispose(() => clearInterval(timer));
  return now;
}
