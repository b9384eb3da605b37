/**
 * "Is the scanner's keyboard layout the workstation's?" — for the scanner test area.
 *
 * Only 0-9 and A-Z come through a keyboard wedge the same on every layout (../shared/notes/domain.md),
 * and the emergency QR uses nothing else. Anything outside [0-9A-Z] in a scan is the trace of a
 * layout mismatch: lowercase (Caps Lock, or the scanner's case setting), Greek or Cyrillic letters
 * (the OS layout is Greek/Russian while the scanner emulates a US keyboard), punctuation or accented
 * letters (AZERTY, QWERTZ, UK, Italian...). Repairing a scan is the QR parser's job
 * (main/emergency); this only explains what arrived.
 */

export type SuspectCategory =
  'lowercase' | 'greek' | 'cyrillic' | 'other-letter' | 'digit-like' | 'punctuation' | 'whitespace' | 'control';

export interface SuspectCharacter {
  index: number;
  char: string;
  /** U+XXXX, so a Diagnostics screen can show invisible characters. */
  codePoint: string;
  category: SuspectCategory;
}

export type LikelyCause = 'greek-layout' | 'cyrillic-layout' | 'lowercase' | 'other-layout';

export interface LayoutMismatchHint {
  suspicious: boolean;
  characters: SuspectCharacter[];
  /** The most probable explanation when suspicious, else null. */
  likelyCause: LikelyCause | null;
}

const SAFE = /^[0-9A-Z]$/u;

function categorize(char: string): SuspectCategory {
  if (/^[a-z]$/u.test(char)) return 'lowercase';
  if (/^\p{Script=Greek}$/u.test(char)) return 'greek';
  if (/^\p{Script=Cyrillic}$/u.test(char)) return 'cyrillic';
  if (/^\p{L}$/u.test(char)) return 'other-letter';
  if (/^\p{N}$/u.test(char)) return 'digit-like';
  if (/^\p{Cc}$/u.test(char)) return 'control';
  if (/^\s$/u.test(char)) return 'whitespace';
  return 'punctuation';
}

/** Flag every character outside [0-9A-Z] and name the likeliest cause. */
export function layoutMismatchHint(text: string): LayoutMismatchHint {
  const characters: SuspectCharacter[] = [];
  let index = 0;
  for (const char of text) {
    if (!SAFE.test(char)) {
      const codePoint = 'U+' + char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      characters.push({ index, char, codePoint, category: categorize(char) });
    }
    index++;
  }
  if (characters.length === 0) return { suspicious: false, characters, likelyCause: null };
  const has = (c: SuspectCategory) => characters.some((s) => s.category === c);
  const likelyCause: LikelyCause = has('greek')
    ? 'greek-layout'
    : has('cyrillic')
      ? 'cyrillic-layout'
      : characters.every((s) => s.category === 'lowercase')
        ? 'lowercase'
        : 'other-layout';
  return { suspicious: true, characters, likelyCause };
}
