import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../main/viewer/range';

/** RFC 9110 §14.1.2 / §14.2 cases, for a 10,000-byte representation unless said. */
describe('Range (RFC 9110 §14)', () => {
  const size = 10_000;
  it.each([
    ['bytes=0-499', { kind: 'partial', start: 0, end: 499 }],
    ['bytes=500-999', { kind: 'partial', start: 500, end: 999 }],
    ['bytes=-500', { kind: 'partial', start: 9500, end: 9999 }],
    ['bytes=9500-', { kind: 'partial', start: 9500, end: 9999 }],
    ['bytes=0-0', { kind: 'partial', start: 0, end: 0 }],
    ['bytes=-1', { kind: 'partial', start: 9999, end: 9999 }],
    // a last-pos past the end is clamped; a suffix longer than the representation is all of it
    ['bytes=9000-20000', { kind: 'partial', start: 9000, end: 9999 }],
    ['bytes=-20000', { kind: 'partial', start: 0, end: 9999 }],
    // the unit is case-insensitive, whitespace around "=" and specs is allowed
    ['Bytes = 10-20', { kind: 'partial', start: 10, end: 20 }],
    ['bytes= 10-20 ,', { kind: 'partial', start: 10, end: 20 }],
  ] as const)('%s', (header, expected) => {
    expect(parseRange(header, size)).toEqual(expected);
  });

  it.each([
    ['bytes=10000-', 'unsatisfiable'],
    ['bytes=20000-30000', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=10000-, 12000-', 'unsatisfiable'],
  ] as const)('%s is %s', (header, kind) => {
    expect(parseRange(header, size)).toEqual({ kind });
  });

  it.each([
    [null],
    [undefined],
    ['items=0-10'], // another unit
    ['bytes'],
    ['bytes='],
    ['bytes=-'],
    ['bytes=a-b'],
    ['bytes=500-100'], // last < first: invalid, the header is ignored
    ['bytes=0-10, 20-30'], // several ranges: the whole representation (multipart not served)
    ['bytes=1.5-2'],
    ['bytes=99999999999999999999-'],
  ])('%s: ignored, the whole representation', (header) => {
    expect(parseRange(header, size)).toEqual({ kind: 'full' });
  });

  it('an If-Range we cannot match (no validators are sent) means the whole representation', () => {
    expect(parseRange('bytes=0-10', size, '"etag"')).toEqual({ kind: 'full' });
    expect(parseRange('bytes=0-10', size, null)).toEqual({ kind: 'partial', start: 0, end: 10 });
  });

  it('an empty representation satisfies no range', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-5', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange(null, 0)).toEqual({ kind: 'full' });
  });
});
