/**
 * Byte encodings used by the record formats: RFC 4648 base32 (uppercase, no padding) for
 * everything a keyboard-wedge scanner or a clinician may see, base64url for JSON fields.
 */
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const BASE32_VALUES: Record<string, number> = Object.fromEntries([...BASE32_ALPHABET].map((c, i) => [c, i]));

export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

export interface Base32DecodeResult {
  bytes: Buffer;
  /** False when the text is not the canonical encoding of `bytes` (impossible length or non-zero pad bits). */
  canonical: boolean;
}

/**
 * Decodes uppercase unpadded base32. Returns null on a character outside the alphabet.
 * A trailing partial group is dropped and reported as non-canonical (a truncated scan).
 */
export function base32Decode(text: string): Base32DecodeResult | null {
  const out = Buffer.alloc(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const ch of text) {
    const value = BASE32_VALUES[ch];
    if (value === undefined) return null;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // A canonical encoding leaves fewer than 5 pad bits, all zero.
  const canonical = bits < 5 && (buffer & ((1 << bits) - 1)) === 0;
  return { bytes: out.subarray(0, index), canonical };
}

export function isBase32(text: string, byteLength?: number): boolean {
  const decoded = /^[A-Z2-7]+$/.test(text) ? base32Decode(text) : null;
  return !!decoded && decoded.canonical && (byteLength === undefined || decoded.bytes.length === byteLength);
}

export function base64UrlEncode(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** Strict base64url (no padding, no other characters); null when malformed. */
export function base64UrlDecode(text: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
