import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import { isWorkstationError, type ErrorCode } from '../../../common/errors';

/** Runs `fn` and returns the typed error code it threw; fails the test on success or untyped errors. */
export async function codeOf(fn: () => unknown): Promise<ErrorCode> {
  try {
    await fn();
  } catch (e) {
    if (!isWorkstationError(e)) throw e;
    return e.code;
  }
  throw new Error('expected a WorkstationError, got success');
}

export function expectCode(fn: () => unknown, code: ErrorCode): Promise<void> {
  return codeOf(fn).then((c) => expect(c).toBe(code));
}

/** Feeds `input` through `transform` in chunks of `chunkSize`; returns the output. */
export async function runThrough(transform: NodeJS.ReadWriteStream, input: Buffer, chunkSize = 977): Promise<Buffer> {
  const parts: Buffer[] = [];
  const chunks = function* () {
    for (let i = 0; i < input.length; i += chunkSize) yield input.subarray(i, i + chunkSize);
  };
  await pipeline(
    Readable.from(chunks()),
    transform,
    new Writable({
      write(chunk: Buffer, _e, cb) {
        parts.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}
