import { describe, expect, it } from 'vitest';
import { layoutMismatchHint } from '../../../common/scanner/layout-hint';

describe('layoutMismatchHint', () => {
  it('finds nothing in a clean [0-9A-Z] scan', () => {
    expect(layoutMismatchHint('HCP1ABCDEF0123456789XYZ')).toEqual({
      suspicious: false,
      characters: [],
      likelyCause: null,
    });
  });

  it('flags lowercase (Caps Lock or case setting)', () => {
    const hint = layoutMismatchHint('HCP1abc9');
    expect(hint.likelyCause).toBe('lowercase');
    expect(hint.characters.map((c) => [c.index, c.char, c.category])).toEqual([
      [4, 'a', 'lowercase'],
      [5, 'b', 'lowercase'],
      [6, 'c', 'lowercase'],
    ]);
  });

  it('names a Greek layout from Greek letters (what a US-emulating scanner types on a Greek OS layout)', () => {
    const hint = layoutMismatchHint('ΗΨΠ1ΑΒ:7');
    expect(hint.likelyCause).toBe('greek-layout');
    expect(
      hint.characters
        .filter((c) => c.category === 'greek')
        .map((c) => c.char)
        .join(''),
    ).toBe('ΗΨΠΑΒ');
    expect(hint.characters.find((c) => c.char === ':')?.category).toBe('punctuation');
  });

  it('names a Cyrillic layout', () => {
    expect(layoutMismatchHint('РСЗ1').likelyCause).toBe('cyrillic-layout');
  });

  it('flags punctuation and accented letters of AZERTY/QWERTZ as another layout, and shows invisible characters', () => {
    const hint = layoutMismatchHint('QBC&é"\t');
    expect(hint.likelyCause).toBe('other-layout');
    expect(hint.characters.map((c) => c.category)).toEqual(['punctuation', 'other-letter', 'punctuation', 'control']);
    expect(hint.characters.at(-1)?.codePoint).toBe('U+0009');
  });

  it('counts indexes by character, not UTF-16 unit', () => {
    expect(layoutMismatchHint('A😀b').characters.map((c) => c.index)).toEqual([1, 2]);
  });
});
