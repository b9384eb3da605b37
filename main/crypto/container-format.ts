import { WorkstationError } from '../../common/errors';

/**
 * EHR container v1: the byte layout (docs/formats.md) and the arithmetic over it. No crypto here.
 *
 *   header      H bytes   magic "HCPC" | version | H | segment size | plaintext length |
 *                         salt(32) | nonce prefix(7) | content type length | content type
 *   header tag  16 bytes  AES-GCM tag over an empty plaintext, AAD = header
 *   segments    n x       AES-GCM(ciphertext of <= segment size bytes || tag(16)), AAD = header
 */
export const CONTAINER_MAGIC = Buffer.from('HCPC', 'ascii');
export const CONTAINER_VERSION = 1;
export const FIXED_HEADER_LENGTH = 59;
export const MAX_CONTENT_TYPE_LENGTH = 255;
export const MAX_HEADER_LENGTH = FIXED_HEADER_LENGTH + MAX_CONTENT_TYPE_LENGTH;
export const TAG_LENGTH = 16;
export const SALT_LENGTH = 32;
export const NONCE_PREFIX_LENGTH = 7;
/** Enough to read the version and the header length. */
export const HEADER_PREAMBLE_LENGTH = 7;
export const MIN_SEGMENT_SIZE = 16;
/** A reader holds one segment in memory: a header may not ask for more. */
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
/** 1 MiB: decrypts at >= 0.9 x raw AES-256-GCM (docs/benchmarks.md) and is a fine random-access grain. */
export const DEFAULT_SEGMENT_SIZE = 1024 * 1024;
/** The segment counter is 32 bits. */
export const MAX_SEGMENTS = 0xffffffff;
const CONTENT_TYPE_PATTERN = /^[\x20-\x7e]{1,255}$/;

export interface ContainerHeader {
  version: 1;
  /** Header length in bytes, without the header tag. */
  headerLength: number;
  segmentSize: number;
  plaintextLength: number;
  salt: Buffer;
  noncePrefix: Buffer;
  contentType: string;
  /** The exact header bytes: the AAD of the header tag and of every segment. */
  bytes: Buffer;
}

export interface HeaderFields {
  segmentSize: number;
  plaintextLength: number;
  salt: Uint8Array;
  noncePrefix: Uint8Array;
  contentType: string;
}

export function segmentCount(plaintextLength: number, segmentSize: number): number {
  return plaintextLength === 0 ? 1 : Math.ceil(plaintextLength / segmentSize);
}

export function validateHeaderFields(fields: HeaderFields): void {
  const { segmentSize, plaintextLength, salt, noncePrefix, contentType } = fields;
  const bad = (field: string) => new WorkstationError('INVALID_INPUT', { field });
  if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE)
    throw bad('segmentSize');
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) throw bad('plaintextLength');
  if (segmentCount(plaintextLength, segmentSize) > MAX_SEGMENTS) throw bad('plaintextLength');
  if (salt.length !== SALT_LENGTH) throw bad('salt');
  if (noncePrefix.length !== NONCE_PREFIX_LENGTH) throw bad('noncePrefix');
  if (!CONTENT_TYPE_PATTERN.test(contentType)) throw bad('contentType');
}

export function encodeHeader(fields: HeaderFields): ContainerHeader {
  validateHeaderFields(fields);
  const contentType = Buffer.from(fields.contentType, 'ascii');
  const headerLength = FIXED_HEADER_LENGTH + contentType.length;
  const bytes = Buffer.alloc(headerLength);
  CONTAINER_MAGIC.copy(bytes, 0);
  bytes.writeUInt8(CONTAINER_VERSION, 4);
  bytes.writeUInt16BE(headerLength, 5);
  bytes.writeUInt32BE(fields.segmentSize, 7);
  bytes.writeBigUInt64BE(BigInt(fields.plaintextLength), 11);
  Buffer.from(fields.salt).copy(bytes, 19);
  Buffer.from(fields.noncePrefix).copy(bytes, 51);
  bytes.writeUInt8(contentType.length, 58);
  contentType.copy(bytes, 59);
  return {
    version: 1,
    headerLength,
    segmentSize: fields.segmentSize,
    plaintextLength: fields.plaintextLength,
    salt: Buffer.from(fields.salt),
    noncePrefix: Buffer.from(fields.noncePrefix),
    contentType: fields.contentType,
    bytes,
  };
}

/**
 * Reads the preamble (first 7 bytes): checks magic and version, returns the header length.
 * Call with at least HEADER_PREAMBLE_LENGTH bytes.
 */
export function readHeaderLength(preamble: Buffer): number {
  if (preamble.length < HEADER_PREAMBLE_LENGTH) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'header' });
  if (!preamble.subarray(0, 4).equals(CONTAINER_MAGIC))
    throw new WorkstationError('CONTAINER_BAD_HEADER', { reason: 'magic' });
  const version = preamble.readUInt8(4);
  if (version !== CONTAINER_VERSION) throw new WorkstationError('CONTAINER_UNSUPPORTED_VERSION', { version });
  const headerLength = preamble.readUInt16BE(5);
  if (headerLength < FIXED_HEADER_LENGTH + 1 || headerLength > MAX_HEADER_LENGTH) {
    throw new WorkstationError('CONTAINER_BAD_HEADER', { reason: 'length' });
  }
  return headerLength;
}

/** Parses a complete header (exactly `headerLength` bytes). Fields are unauthenticated until the header tag verifies. */
export function decodeHeader(bytes: Buffer): ContainerHeader {
  const headerLength = readHeaderLength(bytes);
  if (bytes.length < headerLength) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'header' });
  const own = Buffer.from(bytes.subarray(0, headerLength));
  const bad = (reason: string) => new WorkstationError('CONTAINER_BAD_HEADER', { reason });
  const segmentSize = own.readUInt32BE(7);
  const plaintextLength64 = own.readBigUInt64BE(11);
  const contentTypeLength = own.readUInt8(58);
  if (FIXED_HEADER_LENGTH + contentTypeLength !== headerLength) throw bad('length');
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) throw bad('segmentSize');
  if (plaintextLength64 > BigInt(Number.MAX_SAFE_INTEGER)) throw bad('plaintextLength');
  const plaintextLength = Number(plaintextLength64);
  if (segmentCount(plaintextLength, segmentSize) > MAX_SEGMENTS) throw bad('plaintextLength');
  const contentType = own.subarray(59, headerLength).toString('latin1');
  if (!CONTENT_TYPE_PATTERN.test(contentType)) throw bad('contentType');
  return {
    version: 1,
    headerLength,
    segmentSize,
    plaintextLength,
    salt: own.subarray(19, 51),
    noncePrefix: own.subarray(51, 58),
    contentType,
    bytes: own,
  };
}

/** Plaintext bytes in segment `index`. */
export function segmentPlaintextLength(
  header: Pick<ContainerHeader, 'plaintextLength' | 'segmentSize'>,
  index: number,
): number {
  const count = segmentCount(header.plaintextLength, header.segmentSize);
  if (index < count - 1) return header.segmentSize;
  return header.plaintextLength - (count - 1) * header.segmentSize;
}

/** Offset of segment `index` in the container (header and header tag come first). */
export function segmentCiphertextOffset(
  header: Pick<ContainerHeader, 'headerLength' | 'segmentSize'>,
  index: number,
): number {
  return header.headerLength + TAG_LENGTH + index * (header.segmentSize + TAG_LENGTH);
}

/** Total container size for a plaintext: what an upload announces as Content-Length. */
export function containerLength(plaintextLength: number, segmentSize: number, contentType: string): number {
  const headerLength = FIXED_HEADER_LENGTH + Buffer.byteLength(contentType, 'ascii');
  return headerLength + TAG_LENGTH + plaintextLength + TAG_LENGTH * segmentCount(plaintextLength, segmentSize);
}

export function headerContainerLength(
  header: Pick<ContainerHeader, 'headerLength' | 'plaintextLength' | 'segmentSize'>,
): number {
  return (
    header.headerLength +
    TAG_LENGTH +
    header.plaintextLength +
    TAG_LENGTH * segmentCount(header.plaintextLength, header.segmentSize)
  );
}

/** The nonce of segment `index`: prefix(7) || uint32 BE counter || last flag (0x00 / 0x01). */
export function segmentNonce(noncePrefix: Buffer, index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 7);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** The header tag's nonce: prefix(7) || 0xFFFFFFFF || 0x02 — the flag byte keeps it apart from every segment nonce. */
export function headerNonce(noncePrefix: Buffer): Buffer {
  const nonce = Buffer.alloc(12, 0xff);
  noncePrefix.copy(nonce, 0);
  nonce[11] = 2;
  return nonce;
}

export interface CiphertextRange {
  /** First and last segment (inclusive) holding the plaintext range. */
  firstSegment: number;
  lastSegment: number;
  /** Container byte range to fetch, end exclusive (an HTTP Range header is `bytes=start-(end-1)`). */
  ciphertextStart: number;
  ciphertextEnd: number;
  /** Where the requested plaintext starts inside the first segment's plaintext. */
  offsetInFirstSegment: number;
}

/**
 * Maps the plaintext range [start, end) to the whole segments that hold it.
 * CONTAINER_RANGE_INVALID unless 0 <= start < end <= plaintext length.
 */
export function plaintextRangeToCiphertextRange(
  header: Pick<ContainerHeader, 'headerLength' | 'segmentSize' | 'plaintextLength'>,
  start: number,
  end: number,
): CiphertextRange {
  if (
    !Number.isSafeInteger(start) ||
    !Number.isSafeInteger(end) ||
    start < 0 ||
    end <= start ||
    end > header.plaintextLength
  ) {
    throw new WorkstationError('CONTAINER_RANGE_INVALID', { start: String(start), end: String(end) });
  }
  const firstSegment = Math.floor(start / header.segmentSize);
  const lastSegment = Math.floor((end - 1) / header.segmentSize);
  return {
    firstSegment,
    lastSegment,
    ciphertextStart: segmentCiphertextOffset(header, firstSegment),
    ciphertextEnd:
      segmentCiphertextOffset(header, lastSegment) + segmentPlaintextLength(header, lastSegment) + TAG_LENGTH,
    offsetInFirstSegment: start - firstSegment * header.segmentSize,
  };
}
