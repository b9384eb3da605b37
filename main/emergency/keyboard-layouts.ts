/**
 * What a keyboard-wedge scanner's keystrokes turn into when the scanner emulates a US keyboard
 * and the workstation runs another layout (../shared/notes/domain.md). The QR text uses only
 * A-Z and 0-9; for each layout we list, per QR character, every form it may arrive as (shifted
 * for letters, as the scanner sends them; Caps Lock giving the other case). Reading the table
 * backwards repairs a remapped scan — and a repaired candidate must still pass the checksum.
 */
export type KeyboardLayoutId = 'us-caps' | 'de' | 'fr' | 'el';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

type Forms = Record<string, string[]>;

function identity(): Forms {
  const forms: Forms = {};
  for (const c of LETTERS) forms[c] = [c, c.toLowerCase()];
  for (const d of DIGITS) forms[d] = [d];
  return forms;
}

function withChanges(changes: Forms): Forms {
  return { ...identity(), ...changes };
}

/** QR character -> the characters it may arrive as on the workstation, per layout. */
export const LAYOUT_FORMS: Record<KeyboardLayoutId, Forms> = {
  // US scanner, US host, but Caps Lock (or the scanner's case setting) inverted: lowercase.
  'us-caps': identity(),
  // German QWERTZ: Y and Z trade places.
  de: withChanges({ Y: ['Z', 'z'], Z: ['Y', 'y'] }),
  // French AZERTY: A<->Q, Z<->W, the US M key is ',' (shifted '?'), the digit row gives symbols unshifted.
  fr: withChanges({
    A: ['Q', 'q'],
    Q: ['A', 'a'],
    Z: ['W', 'w'],
    W: ['Z', 'z'],
    M: ['?', ','],
    '1': ['&', '1'],
    '2': ['é', 'É', '2'],
    '3': ['"', '3'],
    '4': ["'", '4'],
    '5': ['(', '5'],
    '6': ['-', '6'],
    '7': ['è', 'È', '7'],
    '8': ['_', '8'],
    '9': ['ç', 'Ç', '9'],
    '0': ['à', 'À', '0'],
  }),
  // Greek: letters become Greek letters (shifted: capitals); Q is ':'/';', W is '΅'/'ς'; digits unchanged.
  el: withChanges({
    A: ['Α', 'α'],
    B: ['Β', 'β'],
    C: ['Ψ', 'ψ'],
    D: ['Δ', 'δ'],
    E: ['Ε', 'ε'],
    F: ['Φ', 'φ'],
    G: ['Γ', 'γ'],
    H: ['Η', 'η'],
    I: ['Ι', 'ι'],
    J: ['Ξ', 'ξ'],
    K: ['Κ', 'κ'],
    L: ['Λ', 'λ'],
    M: ['Μ', 'μ'],
    N: ['Ν', 'ν'],
    O: ['Ο', 'ο'],
    P: ['Π', 'π'],
    Q: [':', ';'],
    R: ['Ρ', 'ρ'],
    S: ['Σ', 'σ'],
    T: ['Τ', 'τ'],
    U: ['Θ', 'θ'],
    V: ['Ω', 'ω'],
    W: ['΅', 'ς'],
    X: ['Χ', 'χ'],
    Y: ['Υ', 'υ'],
    Z: ['Ζ', 'ζ'],
  }),
};

const INVERSE: Record<KeyboardLayoutId, Map<string, string>> = Object.fromEntries(
  (Object.keys(LAYOUT_FORMS) as KeyboardLayoutId[]).map((id) => {
    const inverse = new Map<string, string>();
    for (const [qrChar, forms] of Object.entries(LAYOUT_FORMS[id])) for (const f of forms) inverse.set(f, qrChar);
    return [id, inverse];
  }),
) as Record<KeyboardLayoutId, Map<string, string>>;

export const LAYOUT_IDS = Object.keys(LAYOUT_FORMS) as KeyboardLayoutId[];

/** The text as it was in the QR if it was typed on `layout`; null when a character cannot come from that layout. */
export function undoLayout(text: string, layout: KeyboardLayoutId): string | null {
  const inverse = INVERSE[layout];
  let out = '';
  for (const ch of text) {
    const original = inverse.get(ch);
    if (original === undefined) return null;
    out += original;
  }
  return out;
}

/** Characters a clean scan never holds: lowercase, punctuation, non-ASCII. */
export function looksRemapped(text: string): boolean {
  return !/^[A-Z0-9]*$/.test(text);
}
