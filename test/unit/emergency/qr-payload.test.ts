import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWorkstationError } from '../../../common/errors';
import { base32Encode } from '../../../main/crypto/encoding';
import {
  decodeQrPng,
  encodeEmergencyQr,
  parseEmergencyQr,
  randomPseudonym,
  renderEmergencyQrPng,
  type EmergencyQrInput,
} from '../../../main/emergency';
import { codeOf } from '../crypto/helpers';

const issuedAt = new Date('2026-01-10T08:00:00Z');
const base: EmergencyQrInput = {
  citizenId: randomPseudonym(),
  hriToken: randomPseudonym(),
  masterKey: randomBytes(32),
  issuedAt,
};
const now = new Date('2026-03-01T12:00:00Z');

function samePayload(a: EmergencyQrInput, b: EmergencyQrInput) {
  expect(b.citizenId).toBe(a.citizenId);
  expect(b.hriToken).toBe(a.hriToken);
  expect(Buffer.from(b.masterKey).equals(Buffer.from(a.masterKey))).toBe(true);
  expect(b.issuedAt.getTime()).toBe(a.issuedAt.getTime());
  expect(b.expiresAt?.getTime()).toBe(a.expiresAt?.getTime());
  expect(b.cloudHint).toBe(a.cloudHint);
}

/** Payload text with arbitrary binary content but a correct checksum (to reach the checks after it). */
function withChecksum(body: Buffer): string {
  const sum = createHash('sha256').update('HCPE').update(body).digest().subarray(0, 4);
  return 'HCPE' + base32Encode(Buffer.concat([body, sum]));
}

describe('emergency QR payload v1', () => {
  it('round-trips, with and without the optional fields', () => {
    for (const input of [
      base,
      { ...base, expiresAt: new Date('2027-01-10T08:00:00Z') },
      { ...base, cloudHint: 'ehr-gr-athens-1' },
      { ...base, expiresAt: new Date('2027-01-10T08:00:00Z'), cloudHint: 'https://ehr.example.gr' },
    ]) {
      const text = encodeEmergencyQr(input);
      expect(text).toMatch(/^HCPE[A-Z2-7]+$/);
      const parsed = parseEmergencyQr(text, { now });
      expect(parsed.repairedLayout).toBeUndefined();
      samePayload(input, parsed.payload);
    }
  });

  it('is compact: the minimal payload is 123 characters (QR version 5-M in alphanumeric mode)', () => {
    expect(encodeEmergencyQr(base).length).toBe(123);
  });

  it('ignores the Enter/Tab/CR-LF a scanner appends', () => {
    const text = encodeEmergencyQr(base);
    for (const suffix of ['\n', '\r\n', '\t', ' ']) samePayload(base, parseEmergencyQr(text + suffix, { now }).payload);
  });

  it('refuses invalid input when encoding', async () => {
    expect(await codeOf(() => encodeEmergencyQr({ ...base, citizenId: 'abc' }))).toBe('INVALID_INPUT');
    expect(await codeOf(() => encodeEmergencyQr({ ...base, masterKey: randomBytes(16) }))).toBe('INVALID_INPUT');
    expect(await codeOf(() => encodeEmergencyQr({ ...base, cloudHint: 'x'.repeat(65) }))).toBe('INVALID_INPUT');
    expect(await codeOf(() => encodeEmergencyQr({ ...base, cloudHint: 'ελ' }))).toBe('INVALID_INPUT');
    expect(await codeOf(() => encodeEmergencyQr({ ...base, expiresAt: issuedAt }))).toBe('INVALID_INPUT');
  });

  it('says "not this format" for other QR codes', async () => {
    for (const text of [
      '',
      'https://example.org/x',
      'shlink:/eyJ1cmwiOiJo',
      '{"citizenId":"x"}',
      'WIFI:S:net;T:WPA;P:pw;;',
      '0123456789',
      'HELLO WORLD',
    ]) {
      expect(await codeOf(() => parseEmergencyQr(text, { now }))).toBe('QR_NOT_THIS_FORMAT');
    }
  });

  it('detects truncation', async () => {
    const text = encodeEmergencyQr({ ...base, cloudHint: 'ehr-gr-1', expiresAt: new Date('2027-01-01T00:00:00Z') });
    for (const cut of [1, 2, 3, 4, 5, 10, 60, 100, 118, 119, 120, text.length - 1]) {
      expect(await codeOf(() => parseEmergencyQr(text.slice(0, cut), { now })), `cut at ${cut}`).toBe('QR_TRUNCATED');
    }
  });

  it('detects a misread character with the checksum', async () => {
    const text = encodeEmergencyQr(base);
    const at = 40;
    const swapped = text.slice(0, at) + (text[at] === 'B' ? 'C' : 'B') + text.slice(at + 1);
    expect(await codeOf(() => parseEmergencyQr(swapped, { now }))).toBe('QR_CHECKSUM_MISMATCH');
  });

  it('reports a newer version (checksum valid) as unsupported, with its number', () => {
    const body = Buffer.alloc(80, 0x11);
    body[0] = 3;
    try {
      parseEmergencyQr(withChecksum(body), { now });
      throw new Error('parsed');
    } catch (e) {
      expect(isWorkstationError(e) && e.toInfo()).toEqual({ code: 'QR_UNSUPPORTED_VERSION', details: { version: 3 } });
    }
  });

  it('refuses a v1 payload with a valid checksum but a broken layout', async () => {
    const body = Buffer.alloc(71, 1); // flags 0 announce 70 bytes: one too many
    body[0] = 1;
    body[1] = 0;
    expect(await codeOf(() => parseEmergencyQr(withChecksum(body), { now }))).toBe('QR_NOT_THIS_FORMAT');
    const reserved = Buffer.alloc(70, 1);
    reserved[1] = 0x80;
    expect(await codeOf(() => parseEmergencyQr(withChecksum(reserved), { now }))).toBe('QR_NOT_THIS_FORMAT');
  });

  it('checks expiry with a clock-skew allowance', async () => {
    const expiresAt = new Date('2026-02-01T00:00:00Z');
    const text = encodeEmergencyQr({ ...base, expiresAt });
    expect(parseEmergencyQr(text, { now: new Date('2026-01-31T23:59:59Z') }).payload.expiresAt).toEqual(expiresAt);
    expect(parseEmergencyQr(text, { now: new Date('2026-02-01T00:04:59Z') }).payload.citizenId).toBe(base.citizenId);
    try {
      parseEmergencyQr(text, { now: new Date('2026-02-01T00:05:01Z') });
      throw new Error('parsed');
    } catch (e) {
      expect(isWorkstationError(e) && e.toInfo()).toEqual({
        code: 'QR_EXPIRED',
        details: { expiredAt: '2026-02-01T00:00:00.000Z' },
      });
    }
    expect(
      await codeOf(() => parseEmergencyQr(text, { now: new Date('2026-02-01T00:01:00Z'), clockSkewSeconds: 0 })),
    ).toBe('QR_EXPIRED');
  });
});

describe('keyboard-wedge layout remapping', () => {
  // Forward tables written independently of main/emergency/keyboard-layouts.ts: what the
  // workstation receives when a US-keyboard scanner types each QR character.
  const AZERTY_DIGITS: Record<string, string> = {
    '1': '&',
    '2': 'é',
    '3': '"',
    '4': "'",
    '5': '(',
    '6': '-',
    '7': 'è',
    '8': '_',
    '9': 'ç',
    '0': 'à',
  };
  const GREEK: Record<string, string> = {
    A: 'Α',
    B: 'Β',
    C: 'Ψ',
    D: 'Δ',
    E: 'Ε',
    F: 'Φ',
    G: 'Γ',
    H: 'Η',
    I: 'Ι',
    J: 'Ξ',
    K: 'Κ',
    L: 'Λ',
    M: 'Μ',
    N: 'Ν',
    O: 'Ο',
    P: 'Π',
    Q: ':',
    R: 'Ρ',
    S: 'Σ',
    T: 'Τ',
    U: 'Θ',
    V: 'Ω',
    W: '΅',
    X: 'Χ',
    Y: 'Υ',
    Z: 'Ζ',
  };
  const GREEK_LOWER: Record<string, string> = {
    ...Object.fromEntries(Object.entries(GREEK).map(([k, v]) => [k, v.toLowerCase()])),
    Q: ';',
    W: 'ς',
  };
  const map = (text: string, f: (c: string) => string) => [...text].map(f).join('');
  const layouts: Record<string, (c: string) => string> = {
    'German QWERTZ': (c) => (c === 'Y' ? 'Z' : c === 'Z' ? 'Y' : c),
    'French AZERTY': (c) => ({ A: 'Q', Q: 'A', Z: 'W', W: 'Z', M: '?' })[c] ?? AZERTY_DIGITS[c] ?? c,
    'French AZERTY, Caps Lock': (c) =>
      (({ A: 'q', Q: 'a', Z: 'w', W: 'z', M: '?' }) as Record<string, string>)[c] ??
      AZERTY_DIGITS[c] ??
      c.toLowerCase(),
    Greek: (c) => GREEK[c] ?? c,
    'Greek, Caps Lock': (c) => GREEK_LOWER[c] ?? c,
    'Caps Lock (lowercase)': (c) => c.toLowerCase(),
    'German QWERTZ, Caps Lock': (c) => (c === 'Y' ? 'z' : c === 'Z' ? 'y' : c.toLowerCase()),
    'UK / Italian (letters and digits unchanged)': (c) => c,
  };

  it('each layout either decodes to the right payload (flagged) or says layout mismatch', async () => {
    for (let round = 0; round < 25; round++) {
      const input = {
        ...base,
        citizenId: randomPseudonym(),
        masterKey: randomBytes(32),
        cloudHint: round % 2 ? 'ehr-1' : undefined,
      };
      const text = encodeEmergencyQr(input);
      for (const [name, f] of Object.entries(layouts)) {
        const typed = map(text, f);
        const parsed = parseEmergencyQr(typed, { now });
        samePayload(input, parsed.payload);
        if (typed !== text) expect(parsed.repairedLayout, name).toBeDefined();
        // Without repair the remapped scan is flagged, never parsed into something else.
        if (typed !== text)
          expect(await codeOf(() => parseEmergencyQr(typed, { now, repairLayout: false })), name).toBe(
            'QR_LAYOUT_MISMATCH',
          );
      }
    }
  });

  it('a remapped scan that was also misread is a layout mismatch, not a wrong payload', async () => {
    const text = encodeEmergencyQr(base);
    const greek = map(text, layouts.Greek!);
    const chars = [...greek];
    chars[50] = chars[50] === 'Α' ? 'Β' : 'Α';
    expect(await codeOf(() => parseEmergencyQr(chars.join(''), { now }))).toBe('QR_LAYOUT_MISMATCH');
    const lower = text.toLowerCase();
    expect(await codeOf(() => parseEmergencyQr(lower.slice(0, 60) + '#' + lower.slice(61), { now }))).toBe(
      'QR_LAYOUT_MISMATCH',
    );
  });

  it('property: random corruption never yields a different payload, and never an untyped error', () => {
    const text = encodeEmergencyQr({ ...base, cloudHint: 'ehr-gr-1', expiresAt: new Date('2030-01-01T00:00:00Z') });
    const qrCodes = [
      'QR_NOT_THIS_FORMAT',
      'QR_UNSUPPORTED_VERSION',
      'QR_CHECKSUM_MISMATCH',
      'QR_LAYOUT_MISMATCH',
      'QR_TRUNCATED',
      'QR_EXPIRED',
    ];
    const anyChar = fc.oneof(
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcxyz:;-_/?&é"\'(è_çàΑΒΨΔΖΥ΅ς '),
      fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
    );
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: anyChar }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: anyChar }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
      fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), ch: fc.constant('') }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), ch: fc.constant('') }),
      fc.record({ kind: fc.constant('lower' as const), at: fc.nat(), ch: fc.constant('') }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 6 }), (edits) => {
        let chars = [...text];
        for (const { kind, at, ch } of edits) {
          const i = chars.length ? at % chars.length : 0;
          if (kind === 'replace') chars[i] = ch;
          else if (kind === 'insert') chars.splice(i, 0, ch);
          else if (kind === 'delete') chars.splice(i, 1);
          else if (kind === 'swap' && i + 1 < chars.length) [chars[i], chars[i + 1]] = [chars[i + 1]!, chars[i]!];
          else if (kind === 'cut') chars = chars.slice(0, i);
          else if (kind === 'lower') chars = chars.map((c, j) => (j >= i ? c.toLowerCase() : c));
        }
        try {
          const parsed = parseEmergencyQr(chars.join(''), { now });
          expect(parsed.payload.citizenId).toBe(base.citizenId);
          expect(parsed.payload.masterKey.equals(base.masterKey)).toBe(true);
          expect(parsed.payload.cloudHint).toBe('ehr-gr-1');
        } catch (e) {
          if (!isWorkstationError(e)) throw e;
          expect(qrCodes).toContain(e.code);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('property: arbitrary strings never crash the parser', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string().map((s) => 'HCPE' + s),
          fc.stringMatching(/^HCPE[A-Z2-7]{0,160}$/),
        ),
        (s) => {
          try {
            parseEmergencyQr(s, { now });
          } catch (e) {
            if (!isWorkstationError(e)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('QR image', () => {
  it('renders a PNG in alphanumeric mode and reads it back', async () => {
    const text = encodeEmergencyQr({ ...base, cloudHint: 'ehr-gr-1' });
    const png = await renderEmergencyQrPng(text);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(decodeQrPng(png)).toBe(text);
    samePayload({ ...base, cloudHint: 'ehr-gr-1' }, parseEmergencyQr(decodeQrPng(png), { now }).payload);
  });

  it('says QR_IMAGE_UNREADABLE for a non-image or an image without a code', async () => {
    expect(await codeOf(() => decodeQrPng(Buffer.from('not a png')))).toBe('QR_IMAGE_UNREADABLE');
    const { PNG } = await import('pngjs');
    const blank = new PNG({ width: 64, height: 64 });
    blank.data.fill(255);
    expect(await codeOf(() => decodeQrPng(PNG.sync.write(blank)))).toBe('QR_IMAGE_UNREADABLE');
  });
});

describe("emergency QR payload v2 (the patient's signing key bound, issue 12 §3)", () => {
  const kid = createHash('sha256').update('a patient key').digest().toString('base64url');

  it('round-trips the key thumbprint with and without the other optional fields; v1 is still written without it', () => {
    for (const input of [
      { ...base, patientKeyKid: kid },
      { ...base, patientKeyKid: kid, cloudHint: 'ehr-gr-1', expiresAt: new Date('2027-01-10T08:00:00Z') },
    ]) {
      const text = encodeEmergencyQr(input);
      const { payload } = parseEmergencyQr(text, { now });
      expect(payload.version).toBe(2);
      expect(payload.patientKeyKid).toBe(kid);
      samePayload(input, payload);
    }
    expect(encodeEmergencyQr({ ...base, patientKeyKid: kid }).length).toBe(123 + 51); // 32 more bytes
    expect(parseEmergencyQr(encodeEmergencyQr(base), { now }).payload).toMatchObject({ version: 1 });
    expect(parseEmergencyQr(encodeEmergencyQr(base), { now }).payload.patientKeyKid).toBeUndefined();
  });

  it('refuses a malformed thumbprint when encoding, and the key flag in a v1 payload when parsing', async () => {
    expect(await codeOf(() => encodeEmergencyQr({ ...base, patientKeyKid: 'short' }))).toBe('INVALID_INPUT');
    const body = Buffer.alloc(70 + 32, 0x22);
    body[0] = 1;
    body[1] = 4; // the key flag is v2's
    expect(await codeOf(() => parseEmergencyQr(withChecksum(body), { now }))).toBe('QR_NOT_THIS_FORMAT');
    body[0] = 2;
    expect(parseEmergencyQr(withChecksum(body), { now: new Date('1980-01-01T00:00:00Z') }).payload.patientKeyKid).toBe(
      Buffer.alloc(32, 0x22).toString('base64url'),
    );
  });
});

describe('input length limit', () => {
  it('a 20 MB scan is refused at once as not this format, without layout repair', async () => {
    const { MAX_SCAN_CHARS } = await import('../../../main/emergency/qr-payload');
    const valid = encodeEmergencyQr(base);
    expect(parseEmergencyQr(valid, { now }).payload.citizenId).toBe(base.citizenId);
    for (const text of [valid + ' '.repeat(MAX_SCAN_CHARS), 'Α'.repeat(20 * 1024 * 1024)]) {
      let thrown: unknown;
      try {
        parseEmergencyQr(text, { now });
      } catch (e) {
        thrown = e;
      }
      expect(isWorkstationError(thrown) && thrown.code).toBe('QR_NOT_THIS_FORMAT');
      expect(isWorkstationError(thrown) && thrown.details).toEqual({ length: text.length, limit: MAX_SCAN_CHARS });
    }
  });
});
