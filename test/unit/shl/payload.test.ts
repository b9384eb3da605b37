import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWorkstationError } from '../../../common/errors';
import { encodeShlink, extractShlink, isShlCandidate, parseShlink } from '../../../main/shl';

/** Vectors written from the IG's rules (STU1 "SMART Health Links" payload section). */
const key = Buffer.alloc(32, 7);
const keyText = key.toString('base64url'); // 43 characters
const now = new Date('2026-06-01T12:00:00Z');
const nowS = Math.floor(now.getTime() / 1000);

const raw = (json: unknown) => 'shlink:/' + Buffer.from(JSON.stringify(json)).toString('base64url');

function failure(fn: () => unknown): { code: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    if (isWorkstationError(e)) return { code: e.code, details: e.details };
    throw e;
  }
  throw new Error('expected a WorkstationError');
}

describe('SHL payload', () => {
  it('parses the IG example structure (url, key, exp, flag, label, v) and ignores unknown fields', () => {
    const text = raw({
      url: 'https://ehr.example.org/qr/Y9xwkUdtmN9wwoJoN3ffJIhX2UGvCL1JnlPVNL3kDWM',
      flag: 'LP',
      key: keyText,
      exp: nowS + 3600,
      label: 'Back-to-school immunizations for Oliver Brown',
      v: 1,
      future: { x: 1 },
    });
    const p = parseShlink(text, { now });
    expect(p.url).toBe('https://ehr.example.org/qr/Y9xwkUdtmN9wwoJoN3ffJIhX2UGvCL1JnlPVNL3kDWM');
    expect(Buffer.from(p.key).equals(key)).toBe(true);
    expect([...p.flags].sort()).toEqual(['L', 'P']);
    expect(p.expiresAt?.getTime()).toBe((nowS + 3600) * 1000);
    expect(p.label).toBe('Back-to-school immunizations for Oliver Brown');
    expect(p.v).toBe(1);
    expect(p.viewer).toBeNull();
  });

  it('accepts the minimal payload (url and key only): v defaults to 1, no flags, no expiry', () => {
    const p = parseShlink(encodeShlink({ url: 'https://shl.example/m/abc', key }), { now });
    expect(p.v).toBe(1);
    expect(p.flags.size).toBe(0);
    expect(p.expiresAt).toBeNull();
    expect(p.label).toBeNull();
  });

  it('finds the link behind a viewer URL ending in #shlink:/...', () => {
    const link = encodeShlink({ url: 'https://shl.example/m/abc', key, flag: 'U' });
    const p = parseShlink(`https://viewer.example.org/view#${link}`, { now });
    expect(p.viewer).toBe('https://viewer.example.org');
    expect(p.flags.has('U')).toBe(true);
    expect(extractShlink(`  ${link}\n`).shlink).toBe(link);
  });

  it('refuses a newer v without judging (or fetching) anything else', () => {
    // Even a payload whose other fields are unknown or absent: v decides first.
    expect(failure(() => parseShlink(raw({ v: 2, somethingNew: true }), { now }))).toEqual({
      code: 'SHL_UNSUPPORTED_VERSION',
      details: { version: 2, supported: 1 },
    });
    expect(failure(() => parseShlink(raw({ url: 'https://a.example/x', key: keyText, v: 0 }), { now })).code).toBe(
      'SHL_INVALID',
    );
    expect(failure(() => parseShlink(raw({ url: 'https://a.example/x', key: keyText, v: '1' }), { now })).code).toBe(
      'SHL_INVALID',
    );
  });

  it('refuses an expired link (beyond the clock skew) and accepts one within it', () => {
    const expired = raw({ url: 'https://a.example/x', key: keyText, exp: nowS - 301 });
    const f = failure(() => parseShlink(expired, { now, clockSkewSeconds: 300 }));
    expect(f.code).toBe('SHL_EXPIRED');
    expect(f.details?.expiredAt).toBe(new Date((nowS - 301) * 1000).toISOString());
    expect(
      parseShlink(raw({ url: 'https://a.example/x', key: keyText, exp: nowS - 299 }), { now, clockSkewSeconds: 300 })
        .expiresAt,
    ).not.toBeNull();
    expect(
      failure(() => parseShlink(raw({ url: 'https://a.example/x', key: keyText, exp: 'tomorrow' }), { now })).code,
    ).toBe('SHL_INVALID');
  });

  it('checks flags: P and U cannot be combined; unknown flag values are ignored (the IG: SHALL ignore)', () => {
    expect(failure(() => parseShlink(raw({ url: 'https://a.example/x', key: keyText, flag: 'PU' }), { now }))).toEqual({
      code: 'SHL_INVALID',
      details: { reason: 'flags P and U cannot be combined' },
    });
    expect([...parseShlink(raw({ url: 'https://a.example/x', key: keyText, flag: 'LX' }), { now }).flags]).toEqual([
      'L',
    ]);
    expect(parseShlink(raw({ url: 'https://a.example/x', key: keyText, flag: 'p' }), { now }).flags.size).toBe(0);
    expect(failure(() => parseShlink(raw({ url: 'https://a.example/x', key: keyText, flag: 3 }), { now })).code).toBe(
      'SHL_INVALID',
    );
  });

  it('checks the label: at most 80 characters (counted as characters, Greek included)', () => {
    expect(parseShlink(raw({ url: 'https://a.example/x', key: keyText, label: 'Σ'.repeat(80) }), { now }).label).toBe(
      'Σ'.repeat(80),
    );
    expect(
      failure(() => parseShlink(raw({ url: 'https://a.example/x', key: keyText, label: 'x'.repeat(81) }), { now })),
    ).toEqual({ code: 'SHL_INVALID', details: { reason: 'label longer than 80 characters' } });
    expect(parseShlink(raw({ url: 'https://a.example/x', key: keyText, label: 'a\u0007b' }), { now }).label).toBe(
      'a b',
    );
  });

  it('checks the key: exactly 43 base64url characters holding 32 bytes', () => {
    for (const bad of [
      keyText.slice(0, 42),
      keyText + 'A',
      Buffer.alloc(32).toString('base64'),
      randomBytes(33).toString('base64url').slice(0, 43).replace(/.$/, 'B'),
      42,
    ]) {
      expect(failure(() => parseShlink(raw({ url: 'https://a.example/x', key: bad }), { now })).code).toBe(
        'SHL_INVALID',
      );
    }
  });

  it('checks the url: https only, at most 128 characters, no credentials', () => {
    expect(failure(() => parseShlink(raw({ url: 'http://a.example/x', key: keyText }), { now }))).toEqual({
      code: 'SHL_INSECURE_URL',
      details: { protocol: 'http' },
    });
    expect(
      failure(() => parseShlink(raw({ url: 'https://a.example/' + 'x'.repeat(120), key: keyText }), { now })).code,
    ).toBe('SHL_INVALID');
    expect(failure(() => parseShlink(raw({ url: 'https://u:p@a.example/x', key: keyText }), { now })).code).toBe(
      'SHL_INVALID',
    );
    expect(failure(() => parseShlink(raw({ key: keyText }), { now })).code).toBe('SHL_INVALID');
  });

  it('refuses what is not a JSON object', () => {
    expect(failure(() => parseShlink('shlink:/', { now })).code).toBe('SHL_INVALID');
    expect(failure(() => parseShlink('shlink:/' + Buffer.from('[1]').toString('base64url'), { now })).code).toBe(
      'SHL_INVALID',
    );
    expect(failure(() => parseShlink('shlink:/' + Buffer.from('not json').toString('base64url'), { now })).code).toBe(
      'SHL_INVALID',
    );
  });
});

describe('SHL keyboard-wedge corruption', () => {
  const link = encodeShlink({ url: 'https://shl.example/m/abc', key, flag: 'P', label: 'Summary' });
  const body = link.slice('shlink:/'.length);

  it('recognises a remapped shlink:/ and says "layout mismatch", for each common layout', () => {
    const mangled = {
      // German QWERTZ: ":" arrives as "Ö", "/" as "-"
      de: `shlinkÖ-${body}`,
      // French AZERTY: ":" arrives as "M", "/" as "!"
      fr: `shlinkM!${body}`,
      // Greek: the letters of "shlink" become Greek letters
      el: `σηλινκ:/${body}`,
      // Caps Lock inverted: upper case prefix (and the body's case swapped)
      caps: `SHLINK:/${[...body].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('')}`,
      // a viewer URL typed on QWERTZ: "#" arrives as "§"
      viewer: `httpsÖ--viewer.example§shlinkÖ-${body}`,
    };
    for (const [name, text] of Object.entries(mangled)) {
      expect(isShlCandidate(text), name).toBe(true);
      expect(failure(() => parseShlink(text, { now, wedge: true })).code, name).toBe('SHL_LAYOUT_MISMATCH');
    }
    expect(failure(() => parseShlink(mangled.el, { now })).details?.detail).toContain('U+03C3');
  });

  it('an intact prefix with a body holding characters a QR decoder never yields is a layout mismatch', () => {
    // German: "-" arrives as "ß", "_" as "?"
    expect(failure(() => parseShlink(`shlink:/${body.slice(0, 10)}ß${body.slice(11)}`, { now })).code).toBe(
      'SHL_LAYOUT_MISMATCH',
    );
  });

  it('a wedge scan whose body decodes to garbage (letters swapped, e.g. Y/Z on QWERTZ) is a layout mismatch; a paste says invalid', () => {
    const swapped =
      'shlink:/' +
      [...body].map((c) => (c === 'y' ? 'z' : c === 'z' ? 'y' : c === 'Y' ? 'Z' : c === 'Z' ? 'Y' : c)).join('');
    const bad = swapped === link ? 'shlink:/' + body.slice(0, 20).toLowerCase() + body.slice(20) : swapped;
    expect(bad).not.toBe(link);
    const wedge = failure(() => parseShlink(bad, { now, wedge: true })).code;
    const paste = failure(() => parseShlink(bad, { now })).code;
    expect(wedge).toBe('SHL_LAYOUT_MISMATCH');
    expect(paste).toBe('SHL_INVALID');
  });

  it('text that is not a link at all is not a candidate', () => {
    expect(isShlCandidate('HCPEABCDEF234567')).toBe(false);
    // base32 holds S, H, L, I, N, K: our QR with those letters in a row is still our QR.
    expect(isShlCandidate('HCPEAB2SHLINK7QZ')).toBe(false);
    expect(isShlCandidate('hcpeab2shlink7qz')).toBe(false);
    expect(failure(() => extractShlink('hello')).code).toBe('SHL_INVALID');
  });
});
