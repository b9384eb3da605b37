import {
  getCurrentScope,
  onScopeDispose,
  readonly,
  shallowRef,
  toValue,
  watch,
  type MaybeRefOrGetter,
  type Ref,
} from 'vue';
import {
  WedgeDetector,
  type RejectReason,
  type WedgeScan,
  type WedgeSuffix,
} from '../../../common/scanner/wedge-detector';

/**
 * Keyboard-wedge scanner capture: a capture-phase keydown listener on the window (so it hears the
 * scanner whatever element has focus, or none), timing decided by common/scanner/wedge-detector.
 *
 * What happens to the characters of a scan typed while an input has focus — the design:
 *  1. Every key passes through untouched while a burst is only suspected. Nothing is withheld, so
 *     human typing is never lost, delayed or reordered, even when a fast typist's bigram looks
 *     like the start of a burst, and the app's own key handlers keep working.
 *  2. When the suffix key (Enter/Tab) confirms a scan, that key is consumed (preventDefault and
 *     stopImmediatePropagation: no form submit, no focus move) and the burst's characters are
 *     removed from the field they went into: the field is put back to the value and selection it
 *     had before the burst's first key, and an `input` event tells v-model. This happens only if
 *     the field now holds exactly "before, with the scan inserted at the caret" — if anything else
 *     changed it (maxlength cut, a formatter, a readonly field), the field is left alone and the
 *     outcome says so (`field: 'left-in-field'`).
 * The alternative — preventDefault from the second fast key on, re-inserting the keys when the
 * burst turns out human — has to synthesise text input (deprecated execCommand, no v-model event,
 * fails on custom widgets), must release keys on a timer that can race the next keystroke, and
 * would put every fast human bigram through that path. The cost of the chosen design is that a
 * scan's characters are visible in the focused field for the scan's duration (a few hundred ms)
 * and reach per-keystroke handlers before they are removed.
 */

/** The hospital configuration's `scanner.wedge` section. */
export interface WedgeScannerConfig {
  enabled: boolean;
  maxAverageInterKeyMs: number;
  minLength: number;
  suffix: WedgeSuffix;
}

/** What became of the scan's characters in the element that had focus. */
export type FieldOutcome =
  /** No text field had focus: nothing was typed anywhere. */
  | 'no-field'
  /** They were typed into a text field and removed again. */
  | 'removed'
  /** The field did not take them (readonly, disabled): nothing to remove. */
  | 'unchanged'
  /** The field changed in an unexpected way; it was left as it is. */
  | 'left-in-field';

export interface WedgeScanResult extends Omit<WedgeScan, 'firstTag'> {
  field: FieldOutcome;
}

export interface WedgeRejection {
  reason: RejectReason;
  length: number;
  averageInterKeyMs: number;
}

type TextField = HTMLInputElement | HTMLTextAreaElement;

interface FieldSnapshot {
  field: TextField;
  value: string;
  selectionStart: number | null;
  selectionEnd: number | null;
}

function textFieldOf(event: KeyboardEvent): TextField | null {
  const el = event.composedPath()[0] ?? event.target;
  if (el instanceof HTMLTextAreaElement) return el;
  if (
    el instanceof HTMLInputElement &&
    !['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'image', 'color', 'range', 'hidden'].includes(el.type)
  )
    return el;
  return null;
}

function snapshot(field: TextField | null): FieldSnapshot | null {
  if (!field) return null;
  // selectionStart is null on inputs without a caret API (email, number).
  return { field, value: field.value, selectionStart: field.selectionStart, selectionEnd: field.selectionEnd };
}

function removeBurst(before: FieldSnapshot | null | undefined, text: string): FieldOutcome {
  if (!before) return 'no-field';
  const { field, value, selectionStart, selectionEnd } = before;
  if (field.value === value) return 'unchanged';
  const expected =
    selectionStart === null
      ? value + text
      : value.slice(0, selectionStart) + text + value.slice(selectionEnd ?? selectionStart);
  if (!field.isConnected || field.value !== expected) return 'left-in-field';
  field.value = value;
  if (selectionStart !== null) field.setSelectionRange(selectionStart, selectionEnd ?? selectionStart);
  field.dispatchEvent(new Event('input', { bubbles: true }));
  return 'removed';
}

export interface WedgeListener {
  detach(): void;
}

/** The listener without Vue: attach to a window, get scans and rejections. */
function attachWedgeScanner(
  target: Window,
  config: Omit<WedgeScannerConfig, 'enabled'>,
  handlers: { onScan: (scan: WedgeScanResult) => void; onRejected?: (rejection: WedgeRejection) => void },
): WedgeListener {
  const detector = new WedgeDetector<FieldSnapshot | null>(config);
  const onKeyDown = (event: KeyboardEvent) => {
    const altGraph = event.getModifierState('AltGraph');
    const verdict = detector.feed({
      key: event.key,
      timeStamp: event.timeStamp,
      code: event.code,
      shiftKey: event.shiftKey,
      commandKey: event.metaKey || ((event.ctrlKey || event.altKey) && !altGraph),
      repeat: event.repeat,
      isComposing: event.isComposing,
      tag: event.key.length <= 2 ? snapshot(textFieldOf(event)) : null,
    });
    if (verdict.kind === 'scan') {
      // The scanner's suffix key: not the clinician's Enter/Tab.
      event.preventDefault();
      event.stopImmediatePropagation();
      const { firstTag, ...scan } = verdict.scan;
      handlers.onScan({ ...scan, field: removeBurst(firstTag, scan.text) });
    } else if (verdict.kind === 'rejected') {
      handlers.onRejected?.({
        reason: verdict.reason,
        length: verdict.length,
        averageInterKeyMs: verdict.averageInterKeyMs,
      });
    }
  };
  const onBlur = () => detector.reset();
  target.addEventListener('keydown', onKeyDown, { capture: true });
  target.addEventListener('blur', onBlur);
  return {
    detach() {
      target.removeEventListener('keydown', onKeyDown, { capture: true });
      target.removeEventListener('blur', onBlur);
      detector.reset();
    },
  };
}

export interface UseWedgeScanner {
  /** True while the listener is installed (wedge enabled in the configuration). */
  listening: Readonly<Ref<boolean>>;
  lastScan: Readonly<Ref<WedgeScanResult | null>>;
  /** The last suffix key that ended a run of keys that was not a scan (for the scanner test area). */
  lastRejection: Readonly<Ref<WedgeRejection | null>>;
  /** Call `cb` for every scan; returns the unsubscribe function. */
  onScan(cb: (scan: WedgeScanResult) => void): () => void;
  /** Remove the listener now (also done when the component or effect scope is disposed). */
  stop(): void;
}

/**
 * Listen for wedge scans while the calling component is mounted. The configuration may be a ref or
 * getter: changing it re-installs the listener with the new timing (or removes it when disabled).
 * Use one per screen: two instances would both see (and report) the same scan.
 */
export function useWedgeScanner(
  config: MaybeRefOrGetter<WedgeScannerConfig>,
  target: Window = window,
): UseWedgeScanner {
  const listening = shallowRef(false);
  const lastScan = shallowRef<WedgeScanResult | null>(null);
  const lastRejection = shallowRef<WedgeRejection | null>(null);
  const subscribers = new Set<(scan: WedgeScanResult) => void>();
  let listener: WedgeListener | null = null;

  const detach = () => {
    listener?.detach();
    listener = null;
    listening.value = false;
  };

  const stopWatch = watch(
    () => ({ ...toValue(config) }),
    (c) => {
      detach();
      if (!c.enabled) return;
      listener = attachWedgeScanner(target, c, {
        onScan: (scan) => {
          lastScan.value = scan;
          for (const cb of [...subscribers]) cb(scan);
        },
        onRejected: (rejection) => {
          lastRejection.value = rejection;
        },
      });
      listening.value = true;
    },
    { immediate: true },
  );

  const stop = () => {
    stopWatch();
    detach();
    subscribers.clear();
  };
  if (getCurrentScope()) onScopeDispose(stop);

  return {
    listening: readonly(listening),
    lastScan: readonly(lastScan),
    lastRejection: readonly(lastRejection),
    onScan(cb) {
      subscribers.add(cb);
      return () => subscribers.delete(cb);
    },
    stop,
  };
}
