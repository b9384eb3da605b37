import { createCipheriv, type CipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import { segmentCount, segmentNonce, segmentPlaintextLength, type ContainerHeader } from './container-format';
import { newHeader, sealedHeader, type ContainerEncryptOptions, type ContainerKeyParams } from './container';
import { ContainerDecoder, type ExpectedPlaintext } from './container-decoder';

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
  private readonly decoder: ContainerDecoder;
  private readonly hooks: DecryptStreamHooks;

  constructor(params: ContainerKeyParams, hooks: DecryptStreamHooks = {}, expect?: ExpectedPlaintext) {
    super();
    this.hooks = hooks;
    this.decoder = new ContainerDecoder(params, {
      expect,
      onHeader: (header) => {
        hooks.onHeader?.(header);
        this.header = header;
        this.emit('header', header);
      },
    });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      for (const segment of this.decoder.feed(chunk)) {
        for (const piece of segment.pieces) {
          this.hooks.onPlaintext?.(piece);
          this.push(piece);
        }
      }
      callback();
    } catch (e) {
      callback(asError(e));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.end();
      this.hooks.onComplete?.();
      callback();
    } catch (e) {
      callback(asError(e));
    }
  }
}

/** `expect`: the plaintext's fingerprint, checked by the decoder (the header up front, the SHA-256 at the end). */
export function createDecryptStream(
  params: ContainerKeyParams,
  hooks?: DecryptStreamHooks,
  expect?: ExpectedPlaintext,
): ContainerDecryptStream {
  return new ContainerDecryptStream(params, hooks, expect);
}
