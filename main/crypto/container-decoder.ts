import { createDecipheriv, createHash, type DecipherGCM, type Hash } from 'node:crypto';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import {
  HEADER_PREAMBLE_LENGTH,
  TAG_LENGTH,
  decodeHeader,
  headerContainerLength,
  headerNonce,
  readHeaderLength,
  segmentCiphertextOffset,
  segmentCount,
  segmentNonce,
  segmentPlaintextLength,
  type ContainerHeader,
} from './container-format';
import type { ContainerKeyParams } from './container';
import { deriveContainerKey } from './keys';

/**
 * THE container decoder (docs/formats.md §3): every reader of a container — the app's download,
 * the decrypt stream, random access, the whole-buffer helper — feeds its bytes through one of
 * these. A push-style state machine: `feed(chunk)` takes container bytes in whatever pieces the
 * network delivers and returns the segments that verified; `end()` says the input is over.
 *
 *  - The header is buffered (≤ 330 bytes) and authenticated before any segment is touched.
 *  - Segments are decrypted straight out of the incoming chunks (subarrays, no copies, no
 *    reassembly); a segment's plaintext is returned only after its tag verified, so no
 *    unauthenticated byte ever leaves. A later segment may still fail: the container is whole
 *    only when `end()` returns.
 *  - `seek(first, last)` positions the decoder at segment `first` of an authenticated header (a
 *    ranged GET, a resumed download); `restart()` drops a half-received segment after a broken
 *    connection and tells where to fetch from.
 *  - A decoder that threw stays failed (every later call throws the same error) until `seek`.
 */
export interface VerifiedSegment {
  index: number;
  /**
   * The segment's plaintext in order: one piece per input chunk it spanned, as the cipher
   * returned them (no copy). Their total is `length`.
   */
  pieces: Buffer[];
  length: number;
}

/**
 * What the plaintext must be (a record manifest entry's fingerprint). Size and content type are
 * checked against the authenticated header before any segment is decrypted; the SHA-256 of the
 * whole plaintext at `end()`. A mismatch: OBJECT_INTEGRITY_FAILED {id?, reason: size |
 * content-type | sha256}.
 */
export interface ExpectedPlaintext {
  /** Hex SHA-256 of the plaintext. */
  sha256?: string;
  size?: number;
  contentType?: string;
  /** The manifest entry's id, named in the error. */
  id?: string;
}

export interface ContainerDecoderOptions {
  /** Checks the plaintext against its fingerprint (and hashes it: `sha256` after `end()`). */
  expect?: ExpectedPlaintext | null;
  /** Hash the plaintext even without an expected SHA-256 (`sha256` after `end()`). */
  hash?: boolean;
  /** Sees the authenticated header before any segment is decrypted; throw a WorkstationError to refuse it. */
  onHeader?(header: ContainerHeader): void;
  /**
   * Random access: consume only the header, drop what follows it, and wait for `seek()` before
   * any segment. Without it, segments follow the header (the whole container from byte 0).
   */
  headerOnly?: boolean;
}

type State = 'header' | 'segments' | 'idle' | 'done';

const integrityFailed = (expected: ExpectedPlaintext, reason: string) =>
  new WorkstationError('OBJECT_INTEGRITY_FAILED', expected.id ? { id: expected.id, reason } : { reason });

const asError = (e: unknown): WorkstationError =>
  isWorkstationError(e) ? e : new WorkstationError('INTERNAL_ERROR', undefined, { cause: e });

export class ContainerDecoder {
  private readonly params: ContainerKeyParams;
  private readonly options: ContainerDecoderOptions;
  private state: State = 'header';
  private failure: WorkstationError | null = null;
  private headerValue: ContainerHeader | null = null;
  private key: Buffer | null = null;
  private count = 0;
  private headerParts: Buffer[] = [];
  private headerBuffered = 0;
  /** The next segment to verify, and the last one this window expects. */
  private index = 0;
  private last = 0;
  private decipher: DecipherGCM | null = null;
  private ciphertextRemaining = 0;
  private pieces: Buffer[] = [];
  private pieceBytes = 0;
  private readonly tag = Buffer.alloc(TAG_LENGTH);
  private tagFill = 0;
  /** SHA-256 of the verified plaintext, one update per verified piece. */
  private readonly hash: Hash | null;
  private digest: string | null = null;

  constructor(params: ContainerKeyParams, options: ContainerDecoderOptions = {}) {
    this.params = params;
    this.options = options;
    this.hash = options.hash || options.expect?.sha256 !== undefined ? createHash('sha256') : null;
  }

  /** Hex SHA-256 of the whole plaintext, once `end()` returned (with `hash` or an expected SHA-256). */
  get sha256(): string | null {
    return this.digest;
  }

  /** The authenticated header; null until its tag verified. */
  get header(): ContainerHeader | null {
    return this.headerValue;
  }

  /** The container's size as its header states it; null until the header verified. */
  get containerLength(): number | null {
    return this.headerValue ? headerContainerLength(this.headerValue) : null;
  }

  /** Index of the first segment not yet verified. */
  get nextSegment(): number {
    return this.index;
  }

  /** Every segment of the window verified (more input would be CONTAINER_TRAILING_DATA). */
  get done(): boolean {
    return this.state === 'done';
  }

  /** Takes the next container bytes; returns the segments that verified with them, in order. */
  feed(chunk: Buffer): VerifiedSegment[] {
    if (this.failure) throw this.failure;
    try {
      return this.consume(chunk);
    } catch (e) {
      this.fail(e);
    }
  }

  /** The input is over: CONTAINER_TRUNCATED unless the header and every segment of the window verified. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.state === 'idle') return;
    if (this.state === 'done') {
      if (this.hash && this.digest === null) {
        this.digest = this.hash.digest('hex');
        const expected = this.options.expect;
        if (expected?.sha256 !== undefined && this.digest !== expected.sha256.toLowerCase())
          this.fail(integrityFailed(expected, 'sha256'));
      }
      return;
    }
    this.fail(
      this.state === 'header'
        ? new WorkstationError('CONTAINER_TRUNCATED', { part: 'header' })
        : new WorkstationError('CONTAINER_TRUNCATED', { part: 'segments', segment: this.index }),
    );
  }

  /**
   * Positions the decoder at segment `first` (its first byte is the next one fed) and expects
   * segments up to `last` inclusive (default: the container's last). Needs the header. Returns the
   * container byte range [start, end) those segments occupy.
   */
  seek(first: number, last?: number): { start: number; end: number } {
    const header = this.headerValue;
    if (!header) throw new WorkstationError('INTERNAL_ERROR', { reason: 'container-decoder-no-header' });
    const to = last ?? this.count - 1;
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(to) || first < 0 || to < first || to >= this.count) {
      throw new WorkstationError('CONTAINER_RANGE_INVALID', { start: String(first), end: String(to) });
    }
    // A hashing decoder sees every segment once, in order: it may only resume where it stopped.
    if (this.hash && (first !== this.index || to !== this.count - 1))
      throw new WorkstationError('INTERNAL_ERROR', { reason: 'container-decoder-hash-window' });
    this.dropSegment();
    this.failure = null;
    this.index = first;
    this.last = to;
    this.state = 'segments';
    return {
      start: segmentCiphertextOffset(header, first),
      end: segmentCiphertextOffset(header, to) + segmentPlaintextLength(header, to) + TAG_LENGTH,
    };
  }

  /** A decoder over the same authenticated header, positioned nowhere yet (`seek` it): concurrent range reads. */
  fork(): ContainerDecoder {
    if (!this.headerValue) throw new WorkstationError('INTERNAL_ERROR', { reason: 'container-decoder-no-header' });
    // A window of segments has no whole-plaintext digest to check.
    const other = new ContainerDecoder(this.params, { ...this.options, expect: null, hash: false });
    other.headerValue = this.headerValue;
    other.key = this.key;
    other.count = this.count;
    other.state = 'idle';
    return other;
  }

  /**
   * After a broken connection: drops a partly received header or segment and returns the container
   * offset to fetch from (0 while the header is unknown, else the first unverified segment).
   */
  restart(): number {
    if (this.failure) throw this.failure;
    if (!this.headerValue) {
      this.headerParts = [];
      this.headerBuffered = 0;
      this.state = 'header';
      return 0;
    }
    if (this.state === 'done') return headerContainerLength(this.headerValue);
    return this.seek(this.index, this.last).start;
  }

  private fail(e: unknown): never {
    this.dropSegment();
    this.failure = asError(e);
    throw this.failure;
  }

  /** Forgets the unverified plaintext of a partly received segment (and wipes it). */
  private dropSegment(): void {
    for (const piece of this.pieces) piece.fill(0);
    this.pieces = [];
    this.pieceBytes = 0;
    this.decipher = null;
    this.tagFill = 0;
  }

  private consume(chunk: Buffer): VerifiedSegment[] {
    const out: VerifiedSegment[] = [];
    let offset = 0;
    if (this.state === 'header') {
      offset = this.consumeHeader(chunk);
      if (this.state === 'header') return out;
    }
    if (this.state === 'idle') {
      if (offset === 0 && chunk.length > 0)
        throw new WorkstationError('INTERNAL_ERROR', { reason: 'container-decoder-not-positioned' });
      return out;
    }
    while (offset < chunk.length) {
      if (this.state === 'done') throw new WorkstationError('CONTAINER_TRAILING_DATA');
      if (!this.decipher) this.openSegment();
      const decipher = this.decipher as DecipherGCM;
      if (this.ciphertextRemaining > 0) {
        const n = Math.min(this.ciphertextRemaining, chunk.length - offset);
        const piece = decipher.update(chunk.subarray(offset, offset + n));
        if (piece.length) {
          this.pieces.push(piece);
          this.pieceBytes += piece.length;
        }
        this.ciphertextRemaining -= n;
        offset += n;
        continue;
      }
      const n = Math.min(TAG_LENGTH - this.tagFill, chunk.length - offset);
      let tag: Buffer;
      if (n === TAG_LENGTH) tag = chunk.subarray(offset, offset + TAG_LENGTH);
      else {
        chunk.copy(this.tag, this.tagFill, offset, offset + n);
        tag = this.tag;
      }
      this.tagFill += n;
      offset += n;
      if (this.tagFill === TAG_LENGTH) out.push(this.closeSegment(decipher, tag));
    }
    return out;
  }

  /** Buffers the (small) header; returns how much of `chunk` it used. */
  private consumeHeader(chunk: Buffer): number {
    this.headerParts.push(chunk);
    this.headerBuffered += chunk.length;
    if (this.headerBuffered < HEADER_PREAMBLE_LENGTH) return chunk.length;
    const joined = this.headerParts.length === 1 ? chunk : Buffer.concat(this.headerParts, this.headerBuffered);
    this.headerParts = [joined];
    const needed = readHeaderLength(joined) + TAG_LENGTH;
    if (joined.length < needed) return chunk.length;
    this.authenticateHeader(joined.subarray(0, needed));
    this.headerParts = [];
    this.headerBuffered = 0;
    if (this.options.headerOnly) {
      this.state = 'idle';
      return chunk.length;
    }
    this.state = 'segments';
    this.index = 0;
    this.last = this.count - 1;
    // Bytes of `chunk` past the header tag belong to the segments.
    return chunk.length - (joined.length - needed);
  }

  /** Any changed header byte, a wrong key, purpose or associated data: CONTAINER_AUTH_FAILED {part: header}. */
  private authenticateHeader(prefix: Buffer): void {
    const headerLength = prefix.length - TAG_LENGTH;
    const header = decodeHeader(prefix.subarray(0, headerLength));
    const key = deriveContainerKey(this.params.masterKey, header.salt, this.params.purpose, this.params.associatedData);
    const decipher = createDecipheriv('aes-256-gcm', key, headerNonce(header.noncePrefix));
    decipher.setAAD(header.bytes);
    decipher.setAuthTag(prefix.subarray(headerLength));
    try {
      decipher.final();
    } catch {
      throw new WorkstationError('CONTAINER_AUTH_FAILED', { part: 'header' });
    }
    this.key = key;
    this.count = segmentCount(header.plaintextLength, header.segmentSize);
    this.headerValue = header;
    const expected = this.options.expect;
    if (expected?.size !== undefined && expected.size !== header.plaintextLength)
      throw integrityFailed(expected, 'size');
    if (expected?.contentType !== undefined && expected.contentType !== header.contentType)
      throw integrityFailed(expected, 'content-type');
    this.options.onHeader?.(header);
  }

  private openSegment(): void {
    const header = this.headerValue as ContainerHeader;
    const last = this.index === this.count - 1;
    const decipher = createDecipheriv(
      'aes-256-gcm',
      this.key as Buffer,
      segmentNonce(header.noncePrefix, this.index, last),
    );
    decipher.setAAD(header.bytes);
    this.decipher = decipher;
    this.ciphertextRemaining = segmentPlaintextLength(header, this.index);
    this.pieces = [];
    this.pieceBytes = 0;
    this.tagFill = 0;
  }

  private closeSegment(decipher: DecipherGCM, tag: Buffer): VerifiedSegment {
    decipher.setAuthTag(tag);
    try {
      // GCM is a stream mode: final() yields no bytes, only the verdict.
      decipher.final();
    } catch {
      throw new WorkstationError('CONTAINER_AUTH_FAILED', { segment: this.index });
    }
    const segment: VerifiedSegment = { index: this.index, pieces: this.pieces, length: this.pieceBytes };
    if (this.hash) for (const piece of segment.pieces) this.hash.update(piece);
    this.pieces = [];
    this.pieceBytes = 0;
    this.decipher = null;
    this.tagFill = 0;
    this.index++;
    if (this.index > this.last) this.state = 'done';
    return segment;
  }
}

/**
 * A whole container held in memory, through the one decoder. Either every segment verified and the
 * plaintext is returned, or a typed CONTAINER_* error is thrown and nothing is returned.
 */
export function decryptContainer(
  container: Buffer,
  params: ContainerKeyParams,
  expect?: ExpectedPlaintext,
): DecryptedContainer {
  const decoder = new ContainerDecoder(params, { expect });
  const segments = decoder.feed(container);
  decoder.end();
  const header = decoder.header as ContainerHeader;
  let plaintext: Buffer;
  const only = segments.length === 1 ? segments[0]!.pieces : null;
  if (only && only.length === 1) plaintext = only[0]!;
  else {
    plaintext = Buffer.allocUnsafe(header.plaintextLength);
    let at = 0;
    for (const s of segments) for (const piece of s.pieces) at += piece.copy(plaintext, at);
  }
  return { header, plaintext };
}

export interface DecryptedContainer {
  header: ContainerHeader;
  plaintext: Buffer;
}
