import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  WedgeDetector,
  HICCUP_MIN_RUN,
  type WedgeDetectorOptions,
  type WedgeVerdict,
} from '../../../common/scanner/wedge-detector';

const CODE = 'HCP1ABCDEF0123456789XYZ'; // 23 characters, the QR alphabet
const options: WedgeDetectorOptions = { maxAverageInterKeyMs: 35, minLength: 16, suffix: 'Enter-or-Tab' };

/** A key stream: each entry is typed `gap` ms after the previous one. */
type Stroke = { key: string; gap: number; code?: string; shiftKey?: boolean; repeat?: boolean; commandKey?: boolean };

function strokes(text: string, gap: number | ((i: number) => number)): Stroke[] {
  return [...text].map((key, i) => ({ key, gap: typeof gap === 'number' ? gap : gap(i) }));
}

function feedAll(detector: WedgeDetector<number>, keys: Stroke[], start = 1000): Array<WedgeVerdict<number>> {
  let t = start;
  return keys.map((k, i) => {
    t += k.gap;
    return detector.feed({
      key: k.key,
      timeStamp: t,
      code: k.code,
      shiftKey: k.shiftKey,
      repeat: k.repeat,
      commandKey: k.commandKey,
      tag: i,
    });
  });
}

const scansOf = (verdicts: Array<WedgeVerdict<number>>) => verdicts.flatMap((v) => (v.kind === 'scan' ? [v.scan] : []));

describe('WedgeDetector', () => {
  it('detects a scanner-speed burst ending with Enter, with its timing', () => {
    const d = new WedgeDetector<number>(options);
    const verdicts = feedAll(d, [...strokes(CODE, 10), { key: 'Enter', gap: 10 }]);
    expect(verdicts.slice(0, -1).every((v) => v.kind === 'none')).toBe(true);
    const last = verdicts.at(-1)!;
    expect(last.kind).toBe('scan');
    if (last.kind !== 'scan') return;
    expect(last.scan.text).toBe(CODE);
    expect(last.scan.suffix).toBe('Enter');
    expect(last.scan.durationMs).toBe(10 * CODE.length);
    expect(last.scan.averageInterKeyMs).toBe(10);
    expect(last.scan.firstTag).toBe(0);
    expect(d.pending).toBe(0);
  });

  it('detects scans at 5-30 ms per key with jitter', () => {
    for (const base of [5, 15, 30]) {
      const d = new WedgeDetector<number>(options);
      const jitter = (i: number) => Math.max(1, base + ((i * 7) % 11) - 5);
      const scans = scansOf(feedAll(d, [...strokes(CODE, jitter), { key: 'Enter', gap: base }]));
      expect(scans.map((s) => s.text)).toEqual([CODE]);
    }
  });

  it('accepts the suffix configured: Tab, Enter or either', () => {
    const tab = [...strokes(CODE, 10), { key: 'Tab', gap: 10 }];
    const enter = [...strokes(CODE, 10), { key: 'Enter', gap: 10 }];
    expect(scansOf(feedAll(new WedgeDetector<number>({ ...options, suffix: 'Tab' }), tab))[0]?.suffix).toBe('Tab');
    expect(scansOf(feedAll(new WedgeDetector<number>({ ...options, suffix: 'Tab' }), enter))).toEqual([]);
    expect(scansOf(feedAll(new WedgeDetector<number>({ ...options, suffix: 'Enter' }), tab))).toEqual([]);
    expect(scansOf(feedAll(new WedgeDetector<number>({ ...options, suffix: 'Enter-or-Tab' }), tab))[0]?.text).toBe(
      CODE,
    );
  });

  it('needs a suffix: a fast burst without one is never a scan', () => {
    const d = new WedgeDetector<number>(options);
    expect(scansOf(feedAll(d, strokes(CODE, 10)))).toEqual([]);
    // ...and a person pressing Enter a second later does not complete it.
    expect(feedAll(d, [{ key: 'Enter', gap: 1000 }], 2000)[0]).toEqual({ kind: 'none' });
  });

  it('rejects a fast burst shorter than the minimum length', () => {
    const d = new WedgeDetector<number>(options);
    const last = feedAll(d, [...strokes('ABC123', 10), { key: 'Enter', gap: 10 }]).at(-1);
    expect(last).toMatchObject({ kind: 'rejected', reason: 'too-short', length: 6 });
  });

  it('rejects a burst whose average is above the limit (a scanner configured with a slow inter-character delay)', () => {
    const d = new WedgeDetector<number>(options);
    const last = feedAll(d, [...strokes(CODE, 50), { key: 'Enter', gap: 50 }]).at(-1);
    expect(last).toMatchObject({ kind: 'rejected', reason: 'too-slow', length: CODE.length, averageInterKeyMs: 50 });
  });

  it('rejects a burst longer than maxLength', () => {
    const d = new WedgeDetector<number>({ ...options, maxLength: 20 });
    const last = feedAll(d, [...strokes(CODE, 10), { key: 'Enter', gap: 10 }]).at(-1);
    expect(last).toMatchObject({ kind: 'rejected', reason: 'too-long' });
  });

  it('never detects human typing at 80-300 ms per key (property)', () => {
    const key = fc.constantFrom(
      ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 αβγδ.,-'.split(''),
      'Enter',
      'Tab',
      'Backspace',
      'Shift',
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ key, gap: fc.integer({ min: 80, max: 300 }) }), { minLength: 1, maxLength: 200 }),
        (keys) => {
          const d = new WedgeDetector<number>(options);
          expect(feedAll(d, keys).filter((v) => v.kind === 'scan')).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not take a fast human bigram or a held key for a scan', () => {
    const d = new WedgeDetector<number>({ ...options, minLength: 4 });
    // "the" rolled fast, then the rest at 120 ms: never a scan.
    const fastRoll = (i: number) => (i % 3 === 0 ? 120 : 25);
    expect(scansOf(feedAll(d, [...strokes('the quick brown fox', fastRoll), { key: 'Enter', gap: 120 }]))).toEqual([]);
    // A held key auto-repeats at ~30 ms: the repeats break any burst.
    const held: Stroke[] = [
      { key: '0', gap: 100 },
      ...Array.from({ length: 30 }, () => ({ key: '0', gap: 30, repeat: true })),
      { key: 'Enter', gap: 30 },
    ];
    expect(scansOf(feedAll(d, held))).toEqual([]);
  });

  it('finds the scan after human typing, without the typed characters', () => {
    const d = new WedgeDetector<number>(options);
    const human = strokes('note: ', 150);
    const verdicts = feedAll(d, [...human, ...strokes(CODE, (i) => (i === 0 ? 150 : 10)), { key: 'Enter', gap: 10 }]);
    const scans = scansOf(verdicts);
    expect(scans.map((s) => s.text)).toEqual([CODE]);
    expect(scans[0]!.firstTag).toBe(human.length);
  });

  it('does not glue a human key to a scan that starts a quarter of a second later', () => {
    const d = new WedgeDetector<number>(options);
    const verdicts = feedAll(d, [
      { key: 'x', gap: 0 },
      ...strokes(CODE, (i) => (i === 0 ? 250 : 10)),
      { key: 'Enter', gap: 10 },
    ]);
    expect(scansOf(verdicts).map((s) => s.text)).toEqual([CODE]);
  });

  it('finds the scan after human typing at a fast 60 ms per key', () => {
    const d = new WedgeDetector<number>(options);
    const verdicts = feedAll(d, [
      ...strokes('hello', 60),
      ...strokes(CODE, (i) => (i === 0 ? 250 : 10)),
      { key: 'Enter', gap: 10 },
    ]);
    expect(scansOf(verdicts).map((s) => s.text)).toEqual([CODE]);
  });

  it('keeps a jittery scan whole (gaps of 80-110 ms, as on a busy machine)', () => {
    const d = new WedgeDetector<number>(options);
    // Measured from Playwright typing at 10 ms per key on a loaded CI machine.
    const gaps = [0, 108, 30, 88, 47, 24, 27, 20, 33, 21, 16, 27, 28, 21, 37, 37, 29, 24, 24, 84, 26, 22, 28];
    const verdicts = feedAll(d, [...strokes(CODE, (i) => gaps[i]!), { key: 'Enter', gap: 33 }]);
    expect(scansOf(verdicts).map((s) => s.text)).toEqual([CODE]);
  });

  it('tolerates a single slow gap inside a burst, and leaves it out of the average', () => {
    const d = new WedgeDetector<number>(options);
    const hiccupAt = 8;
    const verdicts = feedAll(d, [...strokes(CODE, (i) => (i === hiccupAt ? 180 : 10)), { key: 'Enter', gap: 10 }]);
    const scans = scansOf(verdicts);
    expect(scans.map((s) => s.text)).toEqual([CODE]);
    expect(scans[0]!.averageInterKeyMs).toBe(10);
    expect(scans[0]!.durationMs).toBe(180 + 10 * (CODE.length - 1));
  });

  it('tolerates a slow gap before the suffix', () => {
    const d = new WedgeDetector<number>(options);
    expect(scansOf(feedAll(d, [...strokes(CODE, 10), { key: 'Enter', gap: 150 }])).map((s) => s.text)).toEqual([CODE]);
  });

  it('does not tolerate two slow gaps: the scan is cut at the earlier one', () => {
    const d = new WedgeDetector<number>(options);
    const long = CODE + CODE; // 46 characters, slow gaps after the 10th and the 30th
    const verdicts = feedAll(d, [
      ...strokes(long, (i) => (i === 10 || i === 30 ? 150 : 10)),
      { key: 'Enter', gap: 10 },
    ]);
    expect(scansOf(verdicts).map((s) => s.text)).toEqual([long.slice(10)]);
  });

  it('tolerates a short stall right after the first character', () => {
    const d = new WedgeDetector<number>(options);
    expect(
      scansOf(feedAll(d, [...strokes(CODE, (i) => (i === 1 ? 150 : 10)), { key: 'Enter', gap: 10 }])).map(
        (s) => s.text,
      ),
    ).toEqual([CODE]);
  });

  it(`needs ${HICCUP_MIN_RUN} characters at scanner speed before a long stall`, () => {
    const d = new WedgeDetector<number>({ ...options, minLength: 8 });
    const early = feedAll(d, [
      ...strokes(CODE, (i) => (i === HICCUP_MIN_RUN - 1 ? 250 : 10)),
      { key: 'Enter', gap: 10 },
    ]);
    expect(scansOf(early).map((s) => s.text)).toEqual([CODE.slice(HICCUP_MIN_RUN - 1)]);
    const later = feedAll(
      d,
      [...strokes(CODE, (i) => (i === HICCUP_MIN_RUN ? 250 : 10)), { key: 'Enter', gap: 10 }],
      10_000,
    );
    expect(scansOf(later).map((s) => s.text)).toEqual([CODE]);
  });

  it('resets on a long pause', () => {
    const d = new WedgeDetector<number>(options);
    const half = CODE.slice(0, 10);
    const verdicts = feedAll(d, [
      ...strokes(half, 10),
      ...strokes(CODE, (i) => (i === 0 ? 2000 : 10)),
      { key: 'Enter', gap: 10 },
    ]);
    expect(scansOf(verdicts).map((s) => s.text)).toEqual([CODE]);
    // A pause longer than resetAfterMs is never a tolerated hiccup.
    const d2 = new WedgeDetector<number>({ ...options, minLength: 8 });
    expect(
      scansOf(feedAll(d2, [...strokes(CODE, (i) => (i === 12 ? 400 : 10)), { key: 'Enter', gap: 10 }])).map(
        (s) => s.text,
      ),
    ).toEqual([CODE.slice(12)]);
  });

  it('ignores Shift between characters, and breaks the burst on editing keys and shortcuts', () => {
    const withShift: Stroke[] = [...CODE].flatMap((key) => [
      { key: 'Shift', gap: 2 },
      { key, gap: 8 },
    ]);
    expect(
      scansOf(feedAll(new WedgeDetector<number>(options), [...withShift, { key: 'Enter', gap: 10 }])).map(
        (s) => s.text,
      ),
    ).toEqual([CODE]);
    const edited = [
      ...strokes(CODE.slice(0, 10), 10),
      { key: 'Backspace', gap: 10 },
      ...strokes(CODE.slice(10), 10),
      { key: 'Enter', gap: 10 },
    ];
    expect(feedAll(new WedgeDetector<number>(options), edited).at(-1)).toMatchObject({
      kind: 'rejected',
      reason: 'too-short',
    });
    const shortcut = [
      ...strokes(CODE.slice(0, 10), 10),
      { key: 'v', gap: 10, commandKey: true },
      ...strokes(CODE.slice(10), 10),
      { key: 'Enter', gap: 10 },
    ];
    expect(feedAll(new WedgeDetector<number>(options), shortcut).at(-1)).toMatchObject({
      kind: 'rejected',
      reason: 'too-short',
    });
  });

  it('reads the physical keys as a US layout would when the OS layout is Greek', () => {
    const d = new WedgeDetector<number>({ ...options, minLength: 4 });
    const greek: Stroke[] = [
      { key: 'Π', code: 'KeyP', gap: 10 },
      { key: 'Α', code: 'KeyA', gap: 10 },
      { key: 'Τ', code: 'KeyT', gap: 10 },
      { key: '4', code: 'Digit4', gap: 10 },
      { key: '2', code: 'Numpad2', gap: 10 },
      { key: 'Enter', code: 'Enter', gap: 10 },
    ];
    const [scan] = scansOf(feedAll(d, greek));
    expect(scan).toMatchObject({ text: 'ΠΑΤ42', physicalText: 'PAT42' });
    // Without codes there is no physical reading.
    expect(
      scansOf(
        feedAll(new WedgeDetector<number>({ ...options, minLength: 4 }), [
          ...strokes('ABCD', 10),
          { key: 'Enter', gap: 10 },
        ]),
      )[0]?.physicalText,
    ).toBeNull();
  });

  it('refuses inconsistent options', () => {
    expect(() => new WedgeDetector({ ...options, maxAverageInterKeyMs: 0 })).toThrow(RangeError);
    expect(() => new WedgeDetector({ ...options, burstGapMs: 10 })).toThrow(RangeError);
  });
});
