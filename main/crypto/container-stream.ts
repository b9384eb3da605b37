import { createCipheriv, createDecipheriv, type DecipherGCM, type CipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import {
  HEADER_PREAMBLE_LENGTH,
  TAG_LENGTH,
  readHeaderLength,
  segmentCount,
  segmentNonce,
  segmentPlaintextLength,
  type ContainerHeader,
} from './container-format';
import {
  newHeader,
  openHeader,
  sealedHeader,
  type ContainerEncryptOptions,
  type ContainerKeyParams,
  type OpenedHeader,
} from './container';

/**
 * Streaming encryption and decryption with bounded memory: at most one segment of plaintext
 * (plus the current input chunk) is held, whatever the object size.
 */

const asError = (e: unknown): Error =>
  isWorkstationError(e) ? e : new WorkstationError('INTERNAL_ERROR', undefined, { cause: e });

/**
 * Encrypts a plaintext of exactly `plaintextLength` bytes (the length is in the authenticated
 * header). Writing more, or ending with fewer, fails the stream with INVALID_INPUT.
 */
export interface EncryptStreamHooks {
  /** Sees every plaintext chunk (e.g. to hash it on the way). */
  onPlaintext?(chunk: Buffer): void;
  /** Called once the last segment is out, before the stream ends. */
  onComplete?(): void;
}

export function createEncryptStream(
  plaintextLength: number,
  options: ContainerEncryptOptions,
  hooks: EncryptStreamHooks = {},
): Transform {
  const opened = newHeader(plaintextLength, options);
  const { header } = opened;
  const count = segmentCount(header.plaintextLength, header.segmentSize);
  let started = false;
  let index = 0;
  let received = 0;
  let cipher: CipherGCM | null = null;
  let remainingInSegment = 0;

  const start = (push: (b: Buffer) => void) => {
    if (!started) {
      started = true;
      push(sealedHeader(opened));
    }
  };
  const openSegment = () => {
    const last = index === count - 1;
    const created = createCipheriv('aes-256-gcm', opened.key, segmentNonce(header.noncePrefix, index, last));
    created.setAAD(header.bytes);
    cipher = created;
    remainingInSegment = segmentPlaintextLength(header, index);
  };
  const closeSegment = (push: (b: Buffer) => void) => {
    const c = cipher as CipherGCM;
    const tail = c.final();
    if (tail.length) push(tail);
    push(c.getAuthTag());
    cipher = null;
    index++;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        const push = (b: Buffer) => this.push(b);
        start(push);
        received += chunk.length;
        if (received > plaintextLength) throw new WorkstationError('INVALID_INPUT', { field: 'plaintextLength' });
        hooks.onPlaintext?.(chunk);
        let offset = 0;
        while (offset < chunk.length) {
          if (!cipher) openSegment();
          const n = Math.min(remainingInSegment, chunk.length - offset);
          const out = (cipher as CipherGCM).update(chunk.subarray(offset, offset + n));
          if (out.length) push(out);
          remainingInSegment -= n;
          offset += n;
          if (remainingInSegment === 0) closeSegment(push);
        }
        callback();
      } catch (e) {
        callback(asError(e));
      }
    },
    flush(callback: TransformCallback) {
      try {
        const push = (b: Buffer) => this.push(b);
        start(push);
        if (received !== plaintextLength) throw new WorkstationError('INVALID_INPUT', { field: 'plaintextLength' });
        if (index < count) {
          // Only an empty plaintext gets here: its single, empty, last segment.
          openSegment();
          closeSegment(push);
        }
        hooks.onComplete?.();
        callback();
      } catch (e) {
        callback(asError(e));
      }
    },
  });
}

/**
 * A decrypting stream. Its contract, which every consumer must honour:
 *  - bytes are pushed only after the segment holding them has verified (no unauthenticated
 *    plaintext ever leaves this stream);
 *  - but a LATER segment may still fail (tampered, truncated, trailing data), and then the
 *    stream errors with a CONTAINER_* code after having pushed earlier, verified segments. The
 *    object as a whole is valid only when the stream ends without error: a consumer writes to a
 *    temporary place and discards it on error (stream.pipeline does the plumbing).
 * 'header' is emitted with the authenticated header before the first plaintext byte.
 */
export interface DecryptStreamHooks {
  /** Sees the authenticated header before any plaintext; throw a WorkstationError to refuse it. */
  onHeader?(header: ContainerHeader): void;
  /** Sees every verified plaintext chunk before it is pushed. */
  onPlaintext?(chunk: Buffer): void;
  /** Runs after the last segment verified, before the stream ends; throw to fail it. */
  onComplete?(): void;
}

export class ContainerDecryptStream extends Transform {
  header: ContainerHeader | null = null;
  private readonly params: ContainerKeyParams;
  private readonly hooks: DecryptStreamHooks;
  private opened: OpenedHeader | null = null;
  private headerChunks: Buffer[] = [];
  private headerBuffered = 0;
  private count = 0;
  private index = 0;
  private decipher: DecipherGCM | null = null;
  private ciphertextRemaining = 0;
  private tagParts: Buffer[] = [];
  private tagBuffered = 0;
  private plainParts: Buffer[] = [];
  private done = false;

  constructor(params: ContainerKeyParams, hooks: DecryptStreamHooks = {}) {
    super();
    this.params = params;
    this.hooks = hooks;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      let offset = 0;
      if (!this.opened) {
        offset = this.consumeHeader(chunk);
        if (!this.opened) return callback();
      }
      this.consumeSegments(chunk, offset);
      callback();
    } catch (e) {
      callback(asError(e));
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.done) {
      callback(
        new WorkstationError('CONTAINER_TRUNCATED', { part: this.opened ? 'segments' : 'header', segment: this.index }),
      );
      return;
    }
    try {
      this.hooks.onComplete?.();
      callback();
    } catch (e) {
      callback(asError(e));
    }
  }

  /** Buffers the (small) header; returns how much of `chunk` it used. */
  private consumeHeader(chunk: Buffer): number {
    this.headerChunks.push(chunk);
    this.headerBuffered += chunk.length;
    if (this.headerBuffered < HEADER_PREAMBLE_LENGTH) return chunk.length;
    const joined = Buffer.concat(this.headerChunks);
    const needed = readHeaderLength(joined) + TAG_LENGTH;
    if (joined.length < needed) {
      this.headerChunks = [joined];
      return chunk.length;
    }
    this.opened = openHeader(joined.subarray(0, needed), this.params);
    this.header = this.opened.header;
    this.count = segmentCount(this.header.plaintextLength, this.header.segmentSize);
    this.headerChunks = [];
    this.hooks.onHeader?.(this.header);
    this.emit('header', this.header);
    // Bytes of `chunk` past the header tag belong to the segments.
    return chunk.length - (joined.length - needed);
  }

  private consumeSegments(chunk: Buffer, start: number): void {
    const opened = this.opened as OpenedHeader;
    let offset = start;
    while (offset < chunk.length) {
      if (this.done) throw new WorkstationError('CONTAINER_TRAILING_DATA');
      if (!this.decipher) this.openSegment(opened);
      const decipher = this.decipher as DecipherGCM;
      if (this.ciphertextRemaining > 0) {
        const n = Math.min(this.ciphertextRemaining, chunk.length - offset);
        const out = decipher.update(chunk.subarray(offset, offset + n));
        if (out.length) this.plainParts.push(out);
        this.ciphertextRemaining -= n;
        offset += n;
        continue;
      }
      const n = Math.min(TAG_LENGTH - this.tagBuffered, chunk.length - offset);
      this.tagParts.push(chunk.subarray(offset, offset + n));
      this.tagBuffered += n;
      offset += n;
      if (this.tagBuffered === TAG_LENGTH) this.closeSegment(decipher);
    }
  }

  private openSegment({ header, key }: OpenedHeader): void {
    const last = this.index === this.count - 1;
    const decipher = createDecipheriv('aes-256-gcm', key, segmentNonce(header.noncePrefix, this.index, last));
    decipher.setAAD(header.bytes);
    this.decipher = decipher;
    this.ciphertextRemaining = segmentPlaintextLength(header, this.index);
    this.tagParts = [];
    this.tagBuffered = 0;
    this.plainParts = [];
  }

  private closeSegment(decipher: DecipherGCM): void {
    decipher.setAuthTag(this.tagParts.length === 1 ? (this.tagParts[0] as Buffer) : Buffer.concat(this.tagParts));
    try {
      const tail = decipher.final();
      if (tail.length) this.plainParts.push(tail);
    } catch {
      this.plainParts = [];
      throw new WorkstationError('CONTAINER_AUTH_FAILED', { segment: this.index });
    }
    for (const part of this.plainParts) {
      this.hooks.onPlaintext?.(part);
      this.push(part);
    }
    this.plainParts = [];
    this.decipher = null;
    this.index++;
    if (this.index === this.count) this.done = true;
  }
}

export function createDecryptStream(params: ContainerKeyParams, hooks?: DecryptStreamHooks): ContainerDecryptStream {
  return new ContainerDecryptStream(params, hooks);
}
