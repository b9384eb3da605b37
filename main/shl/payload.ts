import { WorkstationError, type ErrorDetails } from '../../common/errors';

/**
 * SMART Health Link payloads (HL7 "SMART Health Cards and Links" IG, STU1): `shlink:/` followed by
 * base64url(minified JSON {url, key, exp?, flag?, label?, v?}), bare or behind a viewer URL that
 * ends in `#shlink:/...`. Receivers ignore unknown fields; a `v` newer than supported is refused
 * before anything is fetched (the IG: warn and do not fetch).
 */
export const SHLINK_PREFIX = 'shlink:/';
export const SHL_SUPPORTED_VERSION = 1;
/** The IG: `url` SHALL NOT exceed 128 characters; `label` SHALL NOT exceed 80 characters. */
export const SHL_MAX_URL_LENGTH = 128;
export const SHL_MAX_LABEL_LENGTH = 80;
/** 32 bytes in base64url without padding. */
export const SHL_KEY_LENGTH = 43;
/** Far above any real payload (url <= 128, label <= 80): a bound on what is decoded at all. */
const MAX_PAYLOAD_CHARS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export type ShlFlag = 'L' | 'P' | 'U';

export interface ShlPayload {
  /** The manifest URL (or, with flag U, the single file's URL). https only. */
  url: string;
  /** The 256-bit key decrypting every file. Main process only; never logged. */
  key: Uint8Array;
  expiresAt: Date | null;
  /** The known flags present (unknown ones are ignored, as the IG asks of receivers). */
  flags: ReadonlySet<ShlFlag>;
  label: string | null;
  v: number;
  /** The viewer URL's origin when the link was wrapped in one (informational only; never fetched). */
  viewer: string | null;
}

export interface ShlParseOptions {
  now?: Date;
  /** Tolerance for a wrong workstation clock when checking `exp`. Default 300 s. */
  clockSkewSeconds?: number;
  /** A keyboard-wedge scan: a payload that cannot be decoded is reported as a layout mismatch. */
  wedge?: boolean;
}

const invalid = (reason: string) => new WorkstationError('SHL_INVALID', { reason });
const layout = (detail: string) => new WorkstationError('SHL_LAYOUT_MISMATCH', { detail });

/**
 * Greek letters a US-layout scanner types for the keys of "shlink" when the workstation runs the
 * Greek layout, so a remapped `shlink:/` is still recognised as one.
 */
const GREEK_KEYS: Record<string, string> = { σ: 's', ς: 'w', η: 'h', λ: 'l', ι: 'i', ν: 'n', κ: 'k' };

function latinised(text: string): string {
  let out = '';
  for (const ch of text.toLowerCase()) out += GREEK_KEYS[ch] ?? ch;
  return out;
}

/** Whether the text is (or was meant to be) a SMART Health Link, intact or remapped by a keyboard layout. */
export function isShlCandidate(text: string): boolean {
  // Our own QR (HCPE + base32, in any case) may hold the letters S-H-L-I-N-K by chance: never a link.
  if (/^\s*hcpe[a-z2-7]*\s*$/i.test(text)) return false;
  return latinised(text).includes('shlink');
}

/**
 * The `shlink:/...` part of a scan: the text itself or what follows `#` in a viewer URL. A scan
 * that names "shlink" but not in its exact form (upper case, `:` or `/` replaced, Greek letters)
 * is a keyboard-wedge scanner typing on another layout: a typed SHL_LAYOUT_MISMATCH, never a guess.
 */
export function extractShlink(raw: string): { shlink: string; viewer: string | null } {
  const text = raw.trim();
  if (text.startsWith(SHLINK_PREFIX)) return { shlink: text, viewer: null };
  const hash = text.indexOf('#' + SHLINK_PREFIX);
  if (hash > 0) {
    let viewer: string | null = null;
    try {
      const u = new URL(text.slice(0, hash));
      viewer = u.origin === 'null' ? null : u.origin;
    } catch {
      throw layout('viewer URL');
    }
    return { shlink: text.slice(hash + 1), viewer };
  }
  const at = latinised(text).indexOf('shlink');
  if (at >= 0) {
    const seen = [...text.slice(at, at + 8)]
      .map((c) => (/[\x21-\x7e]/.test(c) ? c : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`))
      .join('');
    throw layout(seen);
  }
  throw invalid('not a shlink:/ payload');
}

/** Parse and check a SMART Health Link; nothing is fetched. */
export function parseShlink(raw: string, options: ShlParseOptions = {}): ShlPayload {
  const { shlink, viewer } = extractShlink(raw);
  const body = shlink.slice(SHLINK_PREFIX.length);
  if (body.length === 0) throw invalid('empty payload');
  if (body.length > MAX_PAYLOAD_CHARS) throw invalid('payload too long');
  if (!BASE64URL.test(body)) {
    // A QR decoder never yields these; a wedge scanner on another layout does (ß, ?, é, Greek...).
    throw layout('characters outside base64url');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(body, 'base64url')));
  } catch {
    // base64url that decodes to garbage: on a wedge scan, most likely letters swapped by the layout (Y/Z, case).
    throw options.wedge ? layout('payload does not decode') : invalid('payload is not base64url JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('payload is not a JSON object');
  const p = json as Record<string, unknown>;

  // v first: a newer version may change everything else, so nothing else is judged (or fetched).
  let v = SHL_SUPPORTED_VERSION;
  if (p.v !== undefined) {
    if (typeof p.v !== 'number' || !Number.isInteger(p.v) || p.v < 1) throw invalid('v');
    v = p.v;
  }
  if (v > SHL_SUPPORTED_VERSION)
    throw new WorkstationError('SHL_UNSUPPORTED_VERSION', { version: v, supported: SHL_SUPPORTED_VERSION });

  const url = checkUrl(p.url);
  const key = checkKey(p.key);
  const flags = checkFlags(p.flag);
  const label = checkLabel(p.label);

  let expiresAt: Date | null = null;
  if (p.exp !== undefined) {
    if (typeof p.exp !== 'number' || !Number.isFinite(p.exp) || p.exp <= 0) throw invalid('exp');
    expiresAt = new Date(Math.floor(p.exp) * 1000);
    const now = options.now ?? new Date();
    const skew = (options.clockSkewSeconds ?? 300) * 1000;
    if (expiresAt.getTime() + skew < now.getTime()) {
      key.fill(0);
      throw new WorkstationError('SHL_EXPIRED', { expiredAt: expiresAt.toISOString() });
    }
  }
  return { url, key, expiresAt, flags, label, v, viewer };
}

function checkUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid('url');
  if (value.length > SHL_MAX_URL_LENGTH) throw invalid('url longer than 128 characters');
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw invalid('url');
  }
  if (u.protocol !== 'https:')
    throw new WorkstationError('SHL_INSECURE_URL', { protocol: u.protocol.replace(/:$/, '') } satisfies ErrorDetails);
  if (u.username || u.password) throw invalid('url carries credentials');
  return u.href;
}

function checkKey(value: unknown): Uint8Array {
  if (typeof value !== 'string' || value.length !== SHL_KEY_LENGTH || !BASE64URL.test(value))
    throw invalid('key must be 43 base64url characters');
  const key = Buffer.from(value, 'base64url');
  // 43 characters carry 258 bits: the last two must be zero for a canonical 32-byte key.
  if (key.length !== 32 || key.toString('base64url') !== value) throw invalid('key is not 32 bytes');
  return new Uint8Array(key);
}

function checkFlags(value: unknown): Set<ShlFlag> {
  const flags = new Set<ShlFlag>();
  if (value === undefined) return flags;
  if (typeof value !== 'string') throw invalid('flag');
  // The IG: receivers SHALL ignore flag values they do not recognise.
  for (const c of value) if (c === 'L' || c === 'P' || c === 'U') flags.add(c);
  // U is a single file fetched directly, P needs the manifest POST: the IG forbids combining them.
  if (flags.has('P') && flags.has('U')) throw invalid('flags P and U cannot be combined');
  return flags;
}

function checkLabel(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid('label');
  if ([...value].length > SHL_MAX_LABEL_LENGTH) throw invalid('label longer than 80 characters');
  // Shown as text only; control characters would only confuse the screen.
  const clean = [...value]
    .map((c) => (c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f) ? ' ' : c))
    .join('')
    .trim();
  return clean === '' ? null : clean;
}

/** The payload text for a link (the simulator and tests make links; the IG's field order). */
export function encodeShlink(input: {
  url: string;
  key: Uint8Array;
  exp?: number;
  flag?: string;
  label?: string;
  v?: number;
}): string {
  const json: Record<string, unknown> = { url: input.url, key: Buffer.from(input.key).toString('base64url') };
  if (input.exp !== undefined) json.exp = input.exp;
  if (input.flag) json.flag = input.flag;
  if (input.label !== undefined) json.label = input.label;
  if (input.v !== undefined) json.v = input.v;
  return SHLINK_PREFIX + Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');
}
