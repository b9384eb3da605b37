/**
 * Tells a keyboard-wedge scanner burst from human typing, from key timing alone.
 *
 * A wedge scanner is a keyboard that types a whole code in a few hundred milliseconds (5-30 ms per
 * character) and ends it with Enter or Tab; people type 80-300 ms per key. The detector is a pure
 * state machine (no DOM, no timers): feed it every keydown, and it answers only when the suffix
 * key arrives — with a confirmed scan, a rejected burst, or nothing.
 *
 * It never withholds a key. Characters are buffered here only as timing records: every keystroke
 * still reaches the page untouched while a burst is suspected, so human typing can never be lost,
 * delayed or reordered. Only the suffix key of a *confirmed* scan is the caller's to consume
 * (useWedgeScanner prevents its default and removes the burst characters from the focused field,
 * see renderer/src/composables/useWedgeScanner.ts for why that design was chosen).
 *
 * The burst is found by walking back from the suffix key:
 *  - consecutive keys at most `burstGapMs` apart belong together (scanner timing jitters: a USB
 *    poll missed, a busy machine — 80-100 ms gaps inside a scan do happen);
 *  - one longer gap (a hiccup, up to `resetAfterMs`) is tolerated when the keys before it look
 *    like the head of a burst: at least HICCUP_MIN_RUN of them at scanner speed, or — for a short
 *    stall of up to 2 x `burstGapMs` — keys that follow a pause rather than a person's typing
 *    rhythm. So typing followed by a scan yields the scan alone, and a scanner stalling after its
 *    first character still yields the whole scan. (A single key pressed a moment before a scan,
 *    after a pause, cannot be told from such a stall; the detector sides with the scan, and the
 *    QR checksum catches the extra character.)
 *  - any gap longer than `resetAfterMs`, a second long gap, an editing key (Backspace, arrows...),
 *    a shortcut (Ctrl/Alt/Meta), an auto-repeated key or an IME composition ends it.
 * It is a scan when it has at least `minLength` characters (and at most `maxLength`) and its
 * average time per key, the slowest gap left out, is at most `maxAverageInterKeyMs`.
 */

export type WedgeSuffix = 'Enter' | 'Tab' | 'Enter-or-Tab';

export interface WedgeDetectorOptions {
  /** The burst's average time per key (first character to suffix), slowest gap left out. Default 35. */
  maxAverageInterKeyMs: number;
  /** Fewest characters in a scan (suffix not counted). */
  minLength: number;
  /** Which key ends a scan. */
  suffix: WedgeSuffix;
  /** Longest gap between two keys of one burst (a single hiccup aside). Default 3 x the average. */
  burstGapMs?: number;
  /** A pause longer than this ends any burst, hiccup or not. Default max(300, 8 x the average). */
  resetAfterMs?: number;
  /** Longest scan accepted; longer bursts are rejected. Default 4096. */
  maxLength?: number;
}

export const DEFAULT_WEDGE_OPTIONS: Readonly<WedgeDetectorOptions> = Object.freeze({
  maxAverageInterKeyMs: 35,
  minLength: 16,
  suffix: 'Enter-or-Tab',
});

/** Characters that must precede a tolerated hiccup inside a burst. */
export const HICCUP_MIN_RUN = 3;

/** One keydown, as the caller saw it. `tag` is carried along and handed back for the burst's first key. */
export interface WedgeKey<Tag = unknown> {
  /** KeyboardEvent.key: the character typed ('a', 'Α', '7') or a key name ('Enter', 'Shift'). */
  key: string;
  /** KeyboardEvent.timeStamp (ms, monotonic). */
  timeStamp: number;
  /** KeyboardEvent.code: the physical key ('KeyA'), independent of the OS keyboard layout. */
  code?: string;
  shiftKey?: boolean;
  /** Ctrl, Meta, or Alt without AltGraph: a shortcut, never scanner input. */
  commandKey?: boolean;
  /** KeyboardEvent.repeat: auto-repeat of a held key (a person holding a key, never a scanner). */
  repeat?: boolean;
  /** KeyboardEvent.isComposing: IME input, never a scanner. */
  isComposing?: boolean;
  tag?: Tag;
}

export interface WedgeScan<Tag = unknown> {
  /** The characters as the OS layout produced them (KeyboardEvent.key), suffix excluded. */
  text: string;
  /**
   * The same physical keys read as a US layout would (KeyboardEvent.code, letter case from the key
   * typed or Shift): recovers a scan when the OS layout (Greek, AZERTY...) differs from the
   * scanner's US emulation. Null when a key has no such reading (punctuation, missing code).
   */
  physicalText: string | null;
  /** First character's keydown to the suffix keydown. */
  durationMs: number;
  averageInterKeyMs: number;
  suffix: 'Enter' | 'Tab';
  /** The tag given with the burst's first character. */
  firstTag: Tag | undefined;
}

export type RejectReason = 'too-slow' | 'too-short' | 'too-long';

export type WedgeVerdict<Tag = unknown> =
  /** Not a suffix key, or a suffix key with no burst behind it: let the key through. */
  | { kind: 'none' }
  /** The suffix key of a confirmed scan: the caller consumes this key. */
  | { kind: 'scan'; scan: WedgeScan<Tag> }
  /** A suffix key after a run of keys that is not a scan (human, or a misconfigured scanner): let it through. */
  | { kind: 'rejected'; reason: RejectReason; length: number; averageInterKeyMs: number };

const MODIFIERS = new Set([
  'Shift',
  'Control',
  'Alt',
  'AltGraph',
  'Meta',
  'CapsLock',
  'NumLock',
  'ScrollLock',
  'Fn',
  'FnLock',
  'Hyper',
  'Super',
  'Symbol',
  'SymbolLock',
  'OS',
]);

interface Entry<Tag> {
  char: string;
  physical: string | null;
  time: number;
  tag: Tag | undefined;
}

function isCharacter(key: string): boolean {
  // One code point: 'a', 'Α', '€', an astral character. Key names ('Enter', 'Dead') are longer.
  const first = key.codePointAt(0);
  return first !== undefined && key.length === (first > 0xffff ? 2 : 1);
}

/** The character a US layout would give for a physical key, or null. */
export function usLayoutChar(code: string | undefined, key: string, shiftKey: boolean): string | null {
  if (!code) return null;
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter) {
    // The case actually typed (Shift and Caps Lock already applied) when the key is a cased letter.
    const upper = key !== key.toLowerCase() ? true : key !== key.toUpperCase() ? false : shiftKey;
    return upper ? letter[1]! : letter[1]!.toLowerCase();
  }
  const digit = /^(?:Digit|Numpad)([0-9])$/.exec(code);
  if (digit) return shiftKey && code.startsWith('Digit') ? null : digit[1]!;
  if (code === 'Space') return ' ';
  return null;
}

export class WedgeDetector<Tag = unknown> {
  readonly options: Required<WedgeDetectorOptions>;
  #run: Entry<Tag>[] = [];

  constructor(options: WedgeDetectorOptions = DEFAULT_WEDGE_OPTIONS) {
    const avg = options.maxAverageInterKeyMs;
    this.options = {
      maxAverageInterKeyMs: avg,
      minLength: options.minLength,
      suffix: options.suffix,
      burstGapMs: options.burstGapMs ?? 3 * avg,
      resetAfterMs: options.resetAfterMs ?? Math.max(300, 8 * avg),
      maxLength: options.maxLength ?? 4096,
    };
    if (
      !(avg > 0) ||
      !(options.minLength >= 1) ||
      !(this.options.burstGapMs >= avg) ||
      !(this.options.resetAfterMs >= this.options.burstGapMs)
    ) {
      throw new RangeError(
        'wedge detector: need maxAverageInterKeyMs > 0, minLength >= 1, burstGapMs >= average, resetAfterMs >= burstGapMs',
      );
    }
  }

  /** Forget any suspected burst (focus left the window, the page was hidden...). */
  reset(): void {
    this.#run = [];
  }

  /** Characters currently held as a possible burst (for status displays and tests). */
  get pending(): number {
    return this.#run.length;
  }

  feed(input: WedgeKey<Tag>): WedgeVerdict<Tag> {
    const { key } = input;
    if (MODIFIERS.has(key)) return { kind: 'none' }; // Shift inside a scan of capitals: no key, no timing
    if (input.commandKey || input.repeat || input.isComposing) return this.#drop();
    if (key === 'Enter' || key === 'Tab') {
      if (!this.#isSuffix(key)) return this.#drop();
      const verdict = this.#judge(input.timeStamp, key);
      this.#run = [];
      return verdict;
    }
    if (!isCharacter(key)) return this.#drop(); // Backspace, arrows, Escape, Dead, Process...
    const last = this.#run[this.#run.length - 1];
    if (last && (input.timeStamp - last.time > this.options.resetAfterMs || input.timeStamp < last.time))
      this.#run = [];
    this.#run.push({
      char: key,
      physical: usLayoutChar(input.code, key, input.shiftKey ?? false),
      time: input.timeStamp,
      tag: input.tag,
    });
    // Bounded memory: one more than the longest scan is enough to reject a too-long burst.
    if (this.#run.length > this.options.maxLength + 1) this.#run.shift();
    return { kind: 'none' };
  }

  #drop(): WedgeVerdict<Tag> {
    this.#run = [];
    return { kind: 'none' };
  }

  #isSuffix(key: 'Enter' | 'Tab'): boolean {
    return this.options.suffix === 'Enter-or-Tab' || this.options.suffix === key;
  }

  #judge(suffixTime: number, suffix: 'Enter' | 'Tab'): WedgeVerdict<Tag> {
    const run = this.#run;
    const { burstGapMs, resetAfterMs } = this.options;
    if (run.length > 0 && suffixTime < run[run.length - 1]!.time) return { kind: 'none' }; // clock went back
    // Walk back from the suffix: `gapAfter(i)` is the time from character i to the next key.
    const gapAfter = (i: number) => (i === run.length - 1 ? suffixTime : run[i + 1]!.time) - run[i]!.time;
    let start = run.length;
    let hiccup: number | null = null; // index of the character followed by the tolerated long gap
    let afterPause = true; // false when the walk stopped at a second long gap: keys came before
    for (let i = run.length - 1; i >= 0; i--) {
      const gap = gapAfter(i);
      if (gap <= burstGapMs) {
        start = i;
        continue;
      }
      if (gap > resetAfterMs) break;
      if (hiccup !== null) {
        afterPause = false;
        break;
      }
      hiccup = i;
      start = i;
    }
    if (hiccup !== null) {
      // The keys before the long gap must look like the head of a burst: enough of them at scanner
      // speed, or — for a short stall — keys that start after a pause rather than continue a
      // person's typing rhythm.
      const head = hiccup - start + 1;
      const headAverage = head > 1 ? (run[hiccup]!.time - run[start]!.time) / (head - 1) : Infinity;
      const burstLike = head >= HICCUP_MIN_RUN && headAverage <= this.options.maxAverageInterKeyMs;
      const shortStall = gapAfter(hiccup) <= 2 * burstGapMs && afterPause;
      if (!burstLike && !shortStall) {
        start = hiccup + 1;
        hiccup = null;
      }
    }
    const burst = run.slice(start);
    if (burst.length === 0) return { kind: 'none' };
    const durationMs = suffixTime - burst[0]!.time;
    // One gap per character (to the next character, or to the suffix); the slowest one is left out.
    let slowest = 0;
    for (let i = start; i < run.length; i++) slowest = Math.max(slowest, gapAfter(i));
    const gaps = burst.length;
    const averageInterKeyMs = gaps > 1 ? (durationMs - slowest) / (gaps - 1) : durationMs;
    const reason: RejectReason | null =
      averageInterKeyMs > this.options.maxAverageInterKeyMs
        ? 'too-slow'
        : burst.length < this.options.minLength
          ? 'too-short'
          : burst.length > this.options.maxLength
            ? 'too-long'
            : null;
    if (reason) return { kind: 'rejected', reason, length: burst.length, averageInterKeyMs };
    const physical = burst.map((e) => e.physical);
    return {
      kind: 'scan',
      scan: {
        text: burst.map((e) => e.char).join(''),
        physicalText: physical.every((c) => c !== null) ? physical.join('') : null,
        durationMs,
        averageInterKeyMs,
        suffix,
        firstTag: burst[0]!.tag,
      },
    };
  }
}
