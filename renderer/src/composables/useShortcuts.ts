import { onScopeDispose, ref } from 'vue';

/**
 * Keyboard shortcuts of the whole app (listed on the Scan screen): Alt+L lock, Alt+C close the
 * record, Ctrl+P / Alt+P print it, Alt+M the code field. And a hint when someone types with no
 * field focused (keys at human speed that go nowhere): "click the code field to type".
 */
export interface ShortcutActions {
  lock(): void;
  closeRecord(): void;
  print(): void;
  focusManual(): void;
}

const EDITABLE = 'input, textarea, select, [contenteditable=""], [contenteditable="true"]';
/** Faster than this on average is a scanner, not a person (the wedge detector's business). */
const HUMAN_MIN_AVG_MS = 60;

export function useShortcuts(actions: ShortcutActions, target: Window = window) {
  const typingHint = ref(false);
  let keys: number[] = [];
  let hideTimer: ReturnType<typeof setTimeout> | undefined;

  const editable = (el: Element | null) =>
    !!el && el !== document.body && (el.matches(EDITABLE) || !!el.closest(EDITABLE));

  function onKey(e: KeyboardEvent) {
    const key = e.key.toLowerCase();
    if (e.altKey && !e.ctrlKey && !e.metaKey) {
      const action =
        key === 'l'
          ? actions.lock
          : key === 'c'
            ? actions.closeRecord
            : key === 'p'
              ? actions.print
              : key === 'm'
                ? actions.focusManual
                : null;
      if (action) {
        e.preventDefault();
        action();
        return;
      }
    }
    if ((e.ctrlKey || e.metaKey) && !e.altKey && key === 'p') {
      e.preventDefault();
      actions.print();
      return;
    }
    if (e.key.length !== 1 || e.ctrlKey || e.metaKey || e.altKey || editable(document.activeElement)) {
      keys = [];
      return;
    }
    const now = e.timeStamp || Date.now();
    keys = [...keys.filter((t) => now - t < 3000), now];
    if (keys.length >= 4) {
      const avg = (keys.at(-1)! - keys[0]!) / (keys.length - 1);
      if (avg >= HUMAN_MIN_AVG_MS) {
        typingHint.value = true;
        clearTimeout(hideTimer);
        hideTimer = setTimeout(() => (typingHint.value = false), 8000);
      }
    }
  }

  target.addEventListener('keydown', onKey);
  onScopeDispose(() => {
    target.removeEventListener('keydown', onKey);
    clearTimeout(hideTimer);
  });
  return { typingHint, dismissHint: () => (typingHint.value = false) };
}
