import { Transform, type TransformCallback } from 'node:stream';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import type { ContainerHeader } from './container-format';
import { ContainerEncoder, type ContainerEncryptOptions, type ContainerKeyParams } from './container';
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
  const encoder = new ContainerEncoder(plaintextLength, options);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        const out = encoder.feed(chunk);
        hooks.onPlaintext?.(chunk);
        for (const bytes of out) this.push(bytes);
        callback();
      } catch (e) {
        callback(asError(e));
      }
    },
    flush(callback: TransformCallback) {
      try {
        for (const bytes of encoder.end()) this.push(bytes);
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
