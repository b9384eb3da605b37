import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { decryptContainer, encryptContainer } from '../../../main/crypto';
import { ContainerDecoder, type VerifiedSegment } from '../../../main/crypto/container-decoder';
import { TAG_LENGTH, segmentCiphertextOffset } from '../../../main/crypto/container-format';
import { codeOf } from './helpers';

const params = { masterKey: randomBytes(32), purpose: 'object' as const, associatedData: 'C/objects/d' };
const seal = (plaintext: Buffer, segmentSize: number) =>
  encryptContainer(plaintext, { ...params, contentType: 'application/octet-stream', segmentSize });

/** Cuts `bytes` at the given positions (any order, duplicates allowed): the chunks a socket might deliver. */
function cutAt(bytes: Buffer, positions: number[]): Buffer[] {
  const cuts = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(bytes.subarray(at, c)); // empty chunks included: they must be harmless
    at = c;
  }
  return out;
}

const joined = (segments: VerifiedSegment[]) => Buffer.concat(segments.flatMap((s) => s.pieces));

describe('the container decoder', () => {
  it('chunk boundaries anywhere give the same segments and the same plaintext', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.integer({ min: 16, max: 300 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (plain, segmentSize, positions) => {
          const plaintext = Buffer.from(plain);
          const container = seal(plaintext, segmentSize);
          const decoder = new ContainerDecoder(params);
          const segments = cutAt(container, positions).flatMap((chunk) => decoder.feed(chunk));
          decoder.end();
          expect(decoder.done).toBe(true);
          expect(segments.map((s) => s.index)).toEqual(segments.map((_, i) => i));
          for (const s of segments) expect(s.length).toBe(s.pieces.reduce((n, p) => n + p.length, 0));
          expect(joined(segments).equals(plaintext)).toBe(true);
          expect(decryptContainer(container, params).plaintext.equals(plaintext)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a segment inside one chunk is decrypted in one piece, one spanning chunks in one piece per chunk (no copies)', () => {
    const plaintext = randomBytes(1000);
    const container = seal(plaintext, 256);
    const whole = new ContainerDecoder(params).feed(container);
    expect(whole.map((s) => s.pieces.length)).toEqual([1, 1, 1, 1]);
    const decoder = new ContainerDecoder(params);
    const start = segmentCiphertextOffset({ headerLength: 83, segmentSize: 256 }, 0);
    decoder.feed(container.subarray(0, start + 100));
    const [first] = decoder.feed(container.subarray(start + 100, start + 256 + TAG_LENGTH));
    expect(first!.pieces.map((p) => p.length)).toEqual([100, 156]);
  });

  it('restart() after a broken connection resumes at the first unverified segment', () => {
    const plaintext = randomBytes(1000);
    const container = seal(plaintext, 100);
    const header = { headerLength: 83, segmentSize: 100 };
    const decoder = new ContainerDecoder(params);
    // Nothing, then half a header: the resume starts over from byte 0.
    expect(decoder.restart()).toBe(0);
    decoder.feed(container.subarray(0, 40));
    expect(decoder.restart()).toBe(0);
    // Header, segments 0-2 and half of 3, then the connection breaks.
    const got = decoder.feed(container.subarray(0, segmentCiphertextOffset(header, 3) + 50));
    expect(got.map((s) => s.index)).toEqual([0, 1, 2]);
    const from = decoder.restart();
    expect(from).toBe(segmentCiphertextOffset(header, 3));
    const rest = decoder.feed(container.subarray(from));
    decoder.end();
    expect(joined([...got, ...rest]).equals(plaintext)).toBe(true);
  });

  it('seek() reads a window of segments: short is truncated, more is trailing data', async () => {
    const plaintext = randomBytes(1000);
    const container = seal(plaintext, 100);
    const opener = new ContainerDecoder(params, { headerOnly: true });
    expect(opener.feed(container)).toEqual([]);
    expect(opener.header?.plaintextLength).toBe(1000);
    expect(await codeOf(() => opener.feed(container))).toBe('INTERNAL_ERROR');

    const reading = opener.fork();
    const { start, end } = reading.seek(4, 6);
    const segments = reading.feed(container.subarray(start, end));
    reading.end();
    expect(joined(segments).equals(plaintext.subarray(400, 700))).toBe(true);

    const short = opener.fork();
    short.seek(4, 6);
    short.feed(container.subarray(start, end - 1));
    expect(await codeOf(() => short.end())).toBe('CONTAINER_TRUNCATED');

    const long = opener.fork();
    long.seek(4, 6);
    expect(await codeOf(() => long.feed(container.subarray(start, end + 1)))).toBe('CONTAINER_TRAILING_DATA');

    expect(await codeOf(() => opener.fork().seek(5, 10))).toBe('CONTAINER_RANGE_INVALID');
    expect(await codeOf(() => opener.fork().seek(-1))).toBe('CONTAINER_RANGE_INVALID');
    expect(await codeOf(() => new ContainerDecoder(params).seek(0))).toBe('INTERNAL_ERROR');
  });

  it('a decoder that failed stays failed, and wipes the unverified plaintext it held', async () => {
    const container = seal(randomBytes(500), 100);
    const bad = Buffer.from(container);
    const at = segmentCiphertextOffset({ headerLength: 83, segmentSize: 100 }, 2);
    bad[at + 99 + TAG_LENGTH]! ^= 1; // the tag of segment 2
    const decoder = new ContainerDecoder(params);
    decoder.feed(bad.subarray(0, at + 60));
    const held = (decoder as unknown as { pieces: Buffer[] }).pieces;
    expect(held.length).toBe(1);
    expect(held[0]!.some((b) => b !== 0)).toBe(true);
    const error = await codeOf(() => decoder.feed(bad.subarray(at + 60)));
    expect(error).toBe('CONTAINER_AUTH_FAILED');
    expect(held[0]!.every((b) => b === 0)).toBe(true);
    expect(await codeOf(() => decoder.feed(Buffer.alloc(1)))).toBe('CONTAINER_AUTH_FAILED');
    expect(await codeOf(() => decoder.end())).toBe('CONTAINER_AUTH_FAILED');
    expect(await codeOf(() => decoder.restart())).toBe('CONTAINER_AUTH_FAILED');
  });

  it('onHeader sees the authenticated header before any segment, and can refuse it', async () => {
    const container = seal(randomBytes(500), 100);
    const seen: number[] = [];
    const decoder = new ContainerDecoder(params, {
      onHeader: (h) => {
        seen.push(h.plaintextLength);
        throw new WorkstationError('OBJECT_INTEGRITY_FAILED', { reason: 'size' });
      },
    });
    expect(await codeOf(() => decoder.feed(container))).toBe('OBJECT_INTEGRITY_FAILED');
    expect(seen).toEqual([500]);
  });

  it('checks the plaintext against its fingerprint: header fields before any segment, the SHA-256 at the end', async () => {
    const plaintext = randomBytes(500);
    const container = seal(plaintext, 100);
    const sha256 = createHash('sha256').update(plaintext).digest('hex');
    const fingerprint = { sha256, size: 500, contentType: 'application/octet-stream', id: 'obj1' };
    const ok = new ContainerDecoder(params, { expect: fingerprint });
    expect(joined(ok.feed(container)).equals(plaintext)).toBe(true);
    ok.end();
    expect(ok.sha256).toBe(sha256);

    const refusal = async (expect: Partial<typeof fingerprint>, feedAll: boolean) => {
      const decoder = new ContainerDecoder(params, { expect });
      let released = 0;
      try {
        if (feedAll) released = joined(decoder.feed(container)).length;
        else decoder.feed(container.subarray(0, 100));
        decoder.end();
      } catch (e) {
        return { error: e as WorkstationError, released };
      }
      throw new Error('accepted');
    };
    for (const [bad, reason] of [
      [{ size: 499 }, 'size'],
      [{ contentType: 'image/png' }, 'content-type'],
    ] as const) {
      const { error } = await refusal({ ...fingerprint, ...bad }, false);
      expect(error).toMatchObject({ code: 'OBJECT_INTEGRITY_FAILED', details: { id: 'obj1', reason } });
    }
    const { error } = await refusal({ ...fingerprint, sha256: '0'.repeat(64) }, true);
    expect(error).toMatchObject({ code: 'OBJECT_INTEGRITY_FAILED', details: { id: 'obj1', reason: 'sha256' } });

    // A hashing decoder resumes only where it stopped: a window would hash part of the plaintext.
    const hashing = new ContainerDecoder(params, { hash: true });
    hashing.feed(container.subarray(0, 300));
    expect(await codeOf(() => hashing.seek(4))).toBe('INTERNAL_ERROR');
    const from = hashing.restart();
    hashing.feed(container.subarray(from));
    hashing.end();
    expect(hashing.sha256).toBe(sha256);
  });
});
