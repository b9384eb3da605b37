import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWorkstationError } from '../../../common/errors';
import { createDecryptStream, decryptContainer, encryptContainer } from '../../../main/crypto';
import { download } from '../cloud/download-harness';
import { runThrough } from './helpers';

const params = { masterKey: randomBytes(32), purpose: 'object' as const, associatedData: 'C/objects/x' };
const CONTAINER_CODES = [
  'CONTAINER_BAD_HEADER',
  'CONTAINER_UNSUPPORTED_VERSION',
  'CONTAINER_AUTH_FAILED',
  'CONTAINER_TRUNCATED',
  'CONTAINER_TRAILING_DATA',
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 100 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 100 }) }),
);

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of mutations) {
    const at = b.length ? m.at % b.length : 0;
    if (m.kind === 'flip' && b.length) b[at]! ^= 1 << m.bit;
    else if (m.kind === 'set' && b.length) b[at] = m.value;
    else if (m.kind === 'cut') b = b.subarray(0, at);
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.kind === 'duplicate')
      b = Buffer.concat([b.subarray(0, at + m.length), b.subarray(at, at + m.length), b.subarray(at + m.length)]);
  }
  return b;
}

describe('container properties', () => {
  it('random mutations never crash and never decrypt to anything but the original', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.integer({ min: 16, max: 128 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (plain, segmentSize, mutations) => {
          const plaintext = Buffer.from(plain);
          const container = encryptContainer(plaintext, {
            ...params,
            contentType: 'application/octet-stream',
            segmentSize,
          });
          const bad = mutate(container, mutations);
          try {
            const out = decryptContainer(bad, params);
            // Success is only possible if the mutations cancelled out.
            expect(bad.equals(container)).toBe(true);
            expect(out.plaintext.equals(plaintext)).toBe(true);
          } catch (e) {
            if (!isWorkstationError(e)) throw e;
            expect(CONTAINER_CODES).toContain(e.code);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the stream and the app download agree: typed error or the exact original, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 200 }),
        async (plain, mutations, chunk) => {
          const plaintext = Buffer.from(plain);
          const container = encryptContainer(plaintext, { ...params, contentType: 'text/plain', segmentSize: 32 });
          const bad = mutate(container, mutations);
          try {
            const out = await runThrough(createDecryptStream(params), bad, chunk);
            expect(bad.equals(container)).toBe(true);
            expect(out.equals(plaintext)).toBe(true);
          } catch (e) {
            if (!isWorkstationError(e)) throw e;
            expect(CONTAINER_CODES).toContain(e.code);
          }
          // The app's download path, the same chunking: the same verdict, and only verified plaintext released.
          const run = await download({ bytes: bad, chunks: [chunk] }, params, null);
          const released = Buffer.concat(run.sink.written);
          expect(released.equals(plaintext.subarray(0, released.length))).toBe(true);
          if (run.error) expect(CONTAINER_CODES).toContain(run.error.code);
          else expect(run.result?.value.equals(plaintext) && bad.equals(container)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('arbitrary bytes never crash any reader', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 500 }), async (bytes) => {
        const withMagic = Buffer.concat([Buffer.from('HCPC\x01'), Buffer.from(bytes)]);
        for (const input of [Buffer.from(bytes), withMagic]) {
          for (const run of [
            () => decryptContainer(input, params),
            () => runThrough(createDecryptStream(params), input, 13),
            async () => {
              const r = await download({ bytes: input, chunks: [13] }, params, null);
              if (r.error) throw r.error;
            },
          ]) {
            try {
              await run();
              throw new Error('random bytes decrypted');
            } catch (e) {
              if (!isWorkstationError(e)) throw e;
              expect(CONTAINER_CODES).toContain(e.code);
            }
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
