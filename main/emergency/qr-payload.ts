import { createHash, randomBytes } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
import { base32Decode, base32Encode, isBase32, MASTER_KEY_LENGTH } from '../crypto';
import { LAYOUT_IDS, looksRemapped, undoLayout, type KeyboardLayoutId } from './keyboard-layouts';

/**
 * Emergency QR payload v1/v2 (docs/formats.md): v2 is v1 plus flag bit 2, the patient's signing key
 * bound in what the patient controls (the workstation then requires a manifest signed by that key); `HCPE` + base32(binary), only A-Z and 0-9, so it
 * survives a keyboard-wedge scanner on any layout and fits QR alphanumeric mode.
 *
 *   0   1  version (1)
 *   1   1  flags: bit 0 expiry present, bit 1 cloud hint present, others 0
 *   2  16  citizen pseudonym id
 *  18  16  HRI emergency token
 *  34  32  master key
 *  66   4  issued at (uint32 BE, Unix seconds)
 *  [4  expires at (uint32 BE, Unix seconds)]        if flag bit 0
 *  [1  hint length n (1..64), n bytes ASCII hint]   if flag bit 1
 *  [32 patient signing key: RFC 7638 SHA-256 thumbprint]   if flag bit 2 (version 2 only)
 *  last 4  checksum: SHA-256("HCPE" || all bytes before it), first 4 bytes
 *
 * The checksum is always the last 4 bytes whatever the version, so a misread is told apart from
 * a newer version before anything else is trusted.
 */
export const QR_PREFIX = 'HCPE';
export const QR_PAYLOAD_VERSION = 1;
/** The version written when the patient's key is bound (flag bit 2). */
export const QR_PAYLOAD_VERSION_KEY_BOUND = 2;
export const PSEUDONYM_BYTES = 16;
export const HRI_TOKEN_BYTES = 16;
export const MAX_CLOUD_HINT_LENGTH = 64;
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;
const CHECKSUM_LENGTH = 4;
const FIXED_LENGTH = 70;
const FLAG_EXPIRY = 1;
const FLAG_HINT = 2;
const FLAG_PATIENT_KEY = 4;
const PATIENT_KEY_BYTES = 32;
const HINT_PATTERN = /^[\x21-\x7e]{1,64}$/;

export interface EmergencyQrPayload {
  version: 1 | 2;
  /** Citizen pseudonym id: base32 of 16 random bytes (26 characters), as the HRI expects it. */
  citizenId: string;
  /** HRI emergency token: base32 of 16 random bytes. */
  hriToken: string;
  /** The record's 256-bit master key. Main process only; never logged. */
  masterKey: Buffer;
  /** Which EHR cloud holds the record (printable ASCII, <= 64 bytes): the fallback when the HRI is down. */
  cloudHint?: string;
  /** Whole seconds. */
  issuedAt: Date;
  expiresAt?: Date;
  /** v2: RFC 7638 thumbprint (base64url) of the patient's manifest signing key. */
  patientKeyKid?: string;
}

export type EmergencyQrInput = Omit<EmergencyQrPayload, 'version'>;

export interface ParsedEmergencyQr {
  payload: EmergencyQrPayload;
  /** Set when the scan arrived remapped by a keyboard layout and was repaired (checksum verified): tell IT. */
  repairedLayout?: KeyboardLayoutId;
}

export interface ParseOptions {
  now?: Date;
  /** Tolerance for a wrong workstation clock when checking expiry. Default 300 s. */
  clockSkewSeconds?: number;
  /** Repair a scan remapped by a known keyboard layout when the checksum then verifies. Default true. */
  repairLayout?: boolean;
}

const fail = (
  code: 'QR_NOT_THIS_FORMAT' | 'QR_CHECKSUM_MISMATCH' | 'QR_TRUNCATED' | 'QR_LAYOUT_MISMATCH',
  details?: Record<string, string>,
) => new WorkstationError(code, details);

function checksum(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(QR_PREFIX, 'ascii').update(bytes).digest().subarray(0, CHECKSUM_LENGTH);
}

/** A fresh citizen pseudonym id or HRI emergency token: base32 of 16 random bytes. */
export function randomPseudonym(): string {
  return base32Encode(randomBytes(PSEUDONYM_BYTES));
}

const toSeconds = (d: Date, field: string): number => {
  const s = Math.floor(d.getTime() / 1000);
  if (!Number.isFinite(s) || s < 0 || s > 0xffffffff) throw new WorkstationError('INVALID_INPUT', { field });
  return s;
};

export function encodeEmergencyQr(input: EmergencyQrInput): string {
  const bad = (field: string) => new WorkstationError('INVALID_INPUT', { field });
  if (!isBase32(input.citizenId, PSEUDONYM_BYTES)) throw bad('citizenId');
  if (!isBase32(input.hriToken, HRI_TOKEN_BYTES)) throw bad('hriToken');
  if (input.masterKey.length !== MASTER_KEY_LENGTH) throw bad('masterKey');
  if (input.cloudHint !== undefined && !HINT_PATTERN.test(input.cloudHint)) throw bad('cloudHint');
  const issued = toSeconds(input.issuedAt, 'issuedAt');
  const expires = input.expiresAt ? toSeconds(input.expiresAt, 'expiresAt') : undefined;
  if (expires !== undefined && expires <= issued) throw bad('expiresAt');
  const kid = input.patientKeyKid !== undefined ? Buffer.from(input.patientKeyKid, 'base64url') : undefined;
  if (kid && (kid.length !== PATIENT_KEY_BYTES || kid.toString('base64url') !== input.patientKeyKid))
    throw bad('patientKeyKid');

  const parts: Buffer[] = [];
  const head = Buffer.alloc(FIXED_LENGTH);
  head[0] = kid ? QR_PAYLOAD_VERSION_KEY_BOUND : QR_PAYLOAD_VERSION;
  head[1] =
    (expires !== undefined ? FLAG_EXPIRY : 0) |
    (input.cloudHint !== undefined ? FLAG_HINT : 0) |
    (kid ? FLAG_PATIENT_KEY : 0);
  base32Decode(input.citizenId)!.bytes.copy(head, 2);
  base32Decode(input.hriToken)!.bytes.copy(head, 18);
  Buffer.from(input.masterKey).copy(head, 34);
  head.writeUInt32BE(issued, 66);
  parts.push(head);
  if (expires !== undefined) {
    const e = Buffer.alloc(4);
    e.writeUInt32BE(expires, 0);
    parts.push(e);
  }
  if (input.cloudHint !== undefined)
    parts.push(Buffer.from([input.cloudHint.length]), Buffer.from(input.cloudHint, 'ascii'));
  if (kid) parts.push(kid);
  const body = Buffer.concat(parts);
  return QR_PREFIX + base32Encode(Buffer.concat([body, checksum(body)]));
}

/** The v1/v2 length the bytes announce (version, flags, hint length); null when they cannot be v1 or v2. */
function announcedV1Length(bytes: Buffer): number | null {
  if (bytes.length < 2) return null;
  const allowed =
    bytes[0] === QR_PAYLOAD_VERSION
      ? FLAG_EXPIRY | FLAG_HINT
      : bytes[0] === QR_PAYLOAD_VERSION_KEY_BOUND
        ? FLAG_EXPIRY | FLAG_HINT | FLAG_PATIENT_KEY
        : null;
  if (allowed === null || (bytes[1]! & ~allowed) !== 0) return null;
  let length = FIXED_LENGTH + (bytes[1]! & FLAG_EXPIRY ? 4 : 0);
  if (bytes[1]! & FLAG_HINT) {
    if (bytes.length <= length) return length + 2 + CHECKSUM_LENGTH; // the hint length byte itself is missing
    length += 1 + bytes[length]!;
  }
  if (bytes[1]! & FLAG_PATIENT_KEY) length += PATIENT_KEY_BYTES;
  return length + CHECKSUM_LENGTH;
}

/** Decodes the text after the prefix (A-Z 0-9 only). */
function decodeBody(body: string): EmergencyQrPayload {
  const decoded = base32Decode(body);
  // 0, 1, 8 and 9 are not base32: a misread.
  if (!decoded) throw fail('QR_CHECKSUM_MISMATCH');
  const { bytes } = decoded;
  if (bytes.length < 2 + CHECKSUM_LENGTH) throw fail('QR_TRUNCATED');
  const content = bytes.subarray(0, bytes.length - CHECKSUM_LENGTH);
  if (!decoded.canonical || !checksum(content).equals(bytes.subarray(bytes.length - CHECKSUM_LENGTH))) {
    const announced = announcedV1Length(bytes);
    if (announced !== null && bytes.length < announced) throw fail('QR_TRUNCATED');
    throw fail('QR_CHECKSUM_MISMATCH');
  }
  // From here on the bytes are what the patient's app wrote.
  if (content[0] !== QR_PAYLOAD_VERSION && content[0] !== QR_PAYLOAD_VERSION_KEY_BOUND)
    throw new WorkstationError('QR_UNSUPPORTED_VERSION', { version: content[0] ?? 0 });
  if (announcedV1Length(bytes) !== bytes.length) throw fail('QR_NOT_THIS_FORMAT', { reason: 'layout' });
  const flags = content[1]!;
  let offset = FIXED_LENGTH;
  const issuedAt = new Date(content.readUInt32BE(66) * 1000);
  let expiresAt: Date | undefined;
  if (flags & FLAG_EXPIRY) {
    expiresAt = new Date(content.readUInt32BE(offset) * 1000);
    offset += 4;
  }
  let cloudHint: string | undefined;
  if (flags & FLAG_HINT) {
    const n = content[offset]!;
    cloudHint = content.subarray(offset + 1, offset + 1 + n).toString('latin1');
    if (!HINT_PATTERN.test(cloudHint)) throw fail('QR_NOT_THIS_FORMAT', { reason: 'cloudHint' });
    offset += 1 + n;
  }
  let patientKeyKid: string | undefined;
  if (flags & FLAG_PATIENT_KEY)
    patientKeyKid = Buffer.from(content.subarray(offset, offset + PATIENT_KEY_BYTES)).toString('base64url');
  const payload: EmergencyQrPayload = {
    version: content[0] === QR_PAYLOAD_VERSION_KEY_BOUND ? 2 : 1,
    citizenId: base32Encode(content.subarray(2, 18)),
    hriToken: base32Encode(content.subarray(18, 34)),
    masterKey: Buffer.from(content.subarray(34, 66)),
    issuedAt,
  };
  if (expiresAt) payload.expiresAt = expiresAt;
  if (cloudHint !== undefined) payload.cloudHint = cloudHint;
  if (patientKeyKid !== undefined) payload.patientKeyKid = patientKeyKid;
  return payload;
}

function checkExpiry(payload: EmergencyQrPayload, options: ParseOptions): void {
  if (!payload.expiresAt) return;
  const now = (options.now ?? new Date()).getTime();
  const skew = (options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  if (now > payload.expiresAt.getTime() + skew)
    throw new WorkstationError('QR_EXPIRED', { expiredAt: payload.expiresAt.toISOString() });
}

function decodeCandidate(candidate: string): EmergencyQrPayload {
  return decodeBody(candidate.slice(QR_PREFIX.length));
}

/** Whatever a wedge scanner typed may end with Enter or Tab, and a serial scanner with CR/LF. */
function trimScan(text: string): string {
  const junk = (ch: string | undefined) => ch !== undefined && (ch.charCodeAt(0) < 0x20 || /\s/.test(ch));
  let start = 0;
  let end = text.length;
  while (start < end && junk(text[start])) start++;
  while (end > start && junk(text[end - 1])) end--;
  return text.slice(start, end);
}

/** The longest text parseEmergencyQr looks at (a version-40 QR holds at most 7,089 numeric characters). */
export const MAX_SCAN_CHARS = 8_192;

/**
 * Parses scanned text. Returns the payload, or throws a WorkstationError:
 * QR_NOT_THIS_FORMAT, QR_UNSUPPORTED_VERSION, QR_CHECKSUM_MISMATCH, QR_LAYOUT_MISMATCH,
 * QR_TRUNCATED, QR_EXPIRED. A scan remapped by a keyboard layout (lowercase, Greek letters,
 * AZERTY digits, QWERTZ Y/Z...) is repaired only when the repaired text passes the checksum;
 * otherwise it is QR_LAYOUT_MISMATCH. A wrong payload is never returned as a success
 * (short of a 2^-32 checksum collision, which the HRI token and the AEAD still refuse).
 */
export function parseEmergencyQr(text: string, options: ParseOptions = {}): ParsedEmergencyQr {
  // No QR code holds more than 7,089 characters: anything longer is refused before any work on it
  // (a 20 MB string must not cost the main thread seconds and gigabytes in layout repair).
  if (text.length > MAX_SCAN_CHARS)
    throw new WorkstationError('QR_NOT_THIS_FORMAT', { length: text.length, limit: MAX_SCAN_CHARS });
  const scanned = trimScan(text);
  const repair = options.repairLayout ?? true;
  const done = (payload: EmergencyQrPayload, repairedLayout?: KeyboardLayoutId): ParsedEmergencyQr => {
    checkExpiry(payload, options);
    return repairedLayout ? { payload, repairedLayout } : { payload };
  };

  if (!looksRemapped(scanned) && scanned.startsWith(QR_PREFIX)) {
    let firstError: unknown;
    try {
      return done(decodeCandidate(scanned));
    } catch (e) {
      if (!(e instanceof WorkstationError) || e.code !== 'QR_CHECKSUM_MISMATCH') throw e;
      firstError = e;
    }
    // Clean characters but a bad checksum: a misread, or a QWERTZ/AZERTY letter swap.
    for (const layout of LAYOUT_IDS) {
      const candidate = undoLayout(scanned, layout);
      if (!candidate || candidate === scanned || !candidate.startsWith(QR_PREFIX)) continue;
      let payload: EmergencyQrPayload;
      try {
        payload = decodeCandidate(candidate);
      } catch {
        continue;
      }
      if (!repair) throw fail('QR_LAYOUT_MISMATCH', { suspectedLayout: layout });
      return done(payload, layout);
    }
    throw firstError;
  }

  if (scanned.length > 0 && scanned.length < QR_PREFIX.length && QR_PREFIX.startsWith(scanned))
    throw fail('QR_TRUNCATED');

  // Characters a clean scan never holds: which layout could have typed them?
  const candidates: Array<{ layout: KeyboardLayoutId; text: string }> = [];
  for (const layout of LAYOUT_IDS) {
    const candidate = undoLayout(scanned, layout);
    if (candidate && candidate.startsWith(QR_PREFIX) && !candidates.some((c) => c.text === candidate))
      candidates.push({ layout, text: candidate });
  }
  if (candidates.length === 0) {
    // Our prefix in any case, followed by characters no layout explains: still a garbled scan of ours.
    if (scanned.toUpperCase().startsWith(QR_PREFIX) || candidatesPrefixOnly(scanned)) throw fail('QR_LAYOUT_MISMATCH');
    throw fail('QR_NOT_THIS_FORMAT');
  }
  let genuine: unknown;
  for (const { layout, text: candidate } of candidates) {
    let payload: EmergencyQrPayload;
    try {
      payload = decodeCandidate(candidate);
    } catch (e) {
      // The checksum verified (a newer version): that answer stands even through a repair.
      if (e instanceof WorkstationError && e.code === 'QR_UNSUPPORTED_VERSION') genuine ??= e;
      continue;
    }
    if (!repair) throw fail('QR_LAYOUT_MISMATCH', { suspectedLayout: layout });
    return done(payload, layout);
  }
  if (genuine) throw genuine;
  throw fail('QR_LAYOUT_MISMATCH', { suspectedLayout: candidates[0]!.layout });
}

/** True when the first characters, read back through some layout, are our prefix. */
function candidatesPrefixOnly(scanned: string): boolean {
  const head = [...scanned].slice(0, QR_PREFIX.length).join('');
  return LAYOUT_IDS.some((layout) => undoLayout(head, layout) === QR_PREFIX);
}
