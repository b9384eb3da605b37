import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encryptContainer } from '../../../main/crypto';
import { newHeader, sealedHeader } from '../../../main/crypto/container';
import { TAG_LENGTH, segmentCiphertextOffset, segmentNonce } from '../../../main/crypto/container-format';
import { download, sha256, type DownloadRun } from './download-harness';

/**
 * The tamper suite against the app's download path: downloadAndDecrypt (what main/open-record
 * and the emergency service call), fed tampered bytes in socket-sized and tiny chunks. Every
 * refusal is typed, the sink is aborted (never committed), and it has only ever been given
 * plaintext of segments that verified: a prefix of the true plaintext, ending at a segment
 * boundary before the tampered one.
 */
const SEGMENT = 64;
const CONTENT_TYPE = 'application/octet-stream'; // header 59 + 24 = 83 bytes
const HEADER = 83;
const masterKey = randomBytes(32);
const keyParams = { masterKey, purpose: 'object' as const, associatedData: 'CITIZEN/objects/dl' };
const plaintext = randomBytes(300); // 5 segments: 4 x 64 + 44
const container = encryptContainer(plaintext, { ...keyParams, contentType: CONTENT_TYPE, segmentSize: SEGMENT });
const expected = { sha256: sha256(plaintext), size: plaintext.length, contentType: CONTENT_TYPE };
const at = (i: number) => segmentCiphertextOffset({ headerLength: HEADER, segmentSize: SEGMENT }, i);
const segmentBytes = (i: number) => container.subarray(at(i), i === 4 ? container.length : at(i + 1));
const CHUNKINGS = [[7], [977], [1, 15, 100, 3]];

const flip = (bytes: Buffer, index: number, bit = 0) => {
  const copy = Buffer.from(bytes);
  copy[index]! ^= 1 << bit;
  return copy;
};

/** Asserts a refusal: the code (and details), the sink aborted, only verified whole segments written. */
function expectRefused(run: DownloadRun, code: string, options: { details?: object; maxSegments: number }) {
  expect(run.result).toBeNull();
  expect(run.error?.code).toBe(code);
  if (options.details) expect(run.error?.details).toMatchObject(options.details);
  expect(run.sink.outcome).toBe('aborted');
  const written = Buffer.concat(run.sink.written);
  expect(written.equals(plaintext.subarray(0, written.length))).toBe(true);
  expect(written.length === plaintext.length || written.length % SEGMENT === 0).toBe(true);
  expect(written.length).toBeLessThanOrEqual(Math.min(plaintext.length, options.maxSegments * SEGMENT));
  return written.length;
}

async function eachChunking(bytes: Buffer, check: (run: DownloadRun, chunks: number[]) => void) {
  for (const chunks of CHUNKINGS) check(await download({ bytes, chunks }, keyParams, expected), chunks);
}

describe('downloadAndDecrypt refuses tampered bytes (the app path)', () => {
  it('the untouched container downloads whole, in any chunking', async () => {
    await eachChunking(container, (run) => {
      expect(run.error).toBeNull();
      expect(run.result?.value.equals(plaintext)).toBe(true);
      expect(run.sink.outcome).toBe('committed');
    });
  });

  it('a flipped bit anywhere in the header or its tag: refused before the sink begins', async () => {
    for (let byte = 0; byte < HEADER + TAG_LENGTH; byte++) {
      const run = await download({ bytes: flip(container, byte, byte % 8), chunks: [7] }, keyParams, expected);
      expect(['CONTAINER_BAD_HEADER', 'CONTAINER_UNSUPPORTED_VERSION', 'CONTAINER_AUTH_FAILED']).toContain(
        run.error?.code,
      );
      // Salt, nonce prefix and the header tag: only the tag check can tell.
      if ((byte >= 19 && byte < 58) || byte >= HEADER) expect(run.error?.code).toBe('CONTAINER_AUTH_FAILED');
      expect(run.sink.begun).toBe(0);
      expect(run.sink.written).toEqual([]);
      expect(run.sink.outcome).toBe('aborted');
    }
  });

  it('a flipped bit in any segment body or tag: CONTAINER_AUTH_FAILED {segment}, earlier segments only', async () => {
    for (let i = 0; i < 5; i++) {
      const length = segmentBytes(i).length;
      for (const offset of [
        0,
        Math.floor((length - TAG_LENGTH) / 2),
        length - TAG_LENGTH - 1,
        length - TAG_LENGTH,
        length - 1,
      ]) {
        await eachChunking(flip(container, at(i) + offset, offset % 8), (run, chunks) => {
          const written = expectRefused(run, 'CONTAINER_AUTH_FAILED', { details: { segment: i }, maxSegments: i });
          // Fed in small pieces, every segment before the tampered one reached the sink.
          if (chunks[0] === 7) expect(written).toBe(i * SEGMENT);
        });
      }
    }
  });

  it('the last-segment flag is authenticated: a final segment sealed as non-final, or a middle one as final, fails', async () => {
    const forged = (finalAt: (i: number) => boolean) => {
      const opened = newHeader(plaintext.length, { ...keyParams, contentType: CONTENT_TYPE, segmentSize: SEGMENT });
      const parts = [sealedHeader(opened)];
      for (let i = 0; i < 5; i++) {
        const c = createCipheriv('aes-256-gcm', opened.key, segmentNonce(opened.header.noncePrefix, i, finalAt(i)));
        c.setAAD(opened.header.bytes);
        parts.push(c.update(plaintext.subarray(i * SEGMENT, (i + 1) * SEGMENT)), c.final(), c.getAuthTag());
      }
      return Buffer.concat(parts);
    };
    // The honest flags, forged with the same primitives, download fine: the forgery is only in the flag.
    expect(
      (await download({ bytes: forged((i) => i === 4) }, keyParams, expected)).result?.value.equals(plaintext),
    ).toBe(true);
    await eachChunking(
      forged(() => false),
      (run) => expectRefused(run, 'CONTAINER_AUTH_FAILED', { details: { segment: 4 }, maxSegments: 4 }),
    );
    await eachChunking(
      forged((i) => i >= 2),
      (run) => expectRefused(run, 'CONTAINER_AUTH_FAILED', { details: { segment: 2 }, maxSegments: 2 }),
    );
  });

  it('truncation at every segment boundary, mid-segment, mid-tag and mid-header: CONTAINER_TRUNCATED', async () => {
    const cuts = [0, 1, 6, 7, 50, HEADER, HEADER + 5];
    for (let i = 0; i < 5; i++) {
      const length = segmentBytes(i).length;
      cuts.push(at(i), at(i) + 1, at(i) + Math.floor(length / 2), at(i) + length - TAG_LENGTH, at(i) + length - 1);
    }
    for (const cut of cuts) {
      const verified = [0, 1, 2, 3, 4].filter((i) => at(i) + segmentBytes(i).length <= cut).length;
      await eachChunking(container.subarray(0, cut), (run, chunks) => {
        const written = expectRefused(run, 'CONTAINER_TRUNCATED', { maxSegments: verified });
        if (chunks[0] === 7) expect(written).toBe(Math.min(plaintext.length, verified * SEGMENT));
      });
    }
  });

  it('appended bytes, even a whole copied segment: CONTAINER_TRAILING_DATA, never committed', async () => {
    for (const extra of [Buffer.from([0]), segmentBytes(1), randomBytes(1000)]) {
      await eachChunking(Buffer.concat([container, extra]), (run) =>
        expectRefused(run, 'CONTAINER_TRAILING_DATA', { maxSegments: 5 }),
      );
    }
  });

  it('reordered, duplicated or dropped segments: CONTAINER_AUTH_FAILED at the first one out of place', async () => {
    const head = container.subarray(0, at(0));
    const s = [0, 1, 2, 3, 4].map(segmentBytes);
    const cases: Array<[Buffer[], number]> = [
      [[s[0]!, s[2]!, s[1]!, s[3]!, s[4]!], 1], // swapped
      [[s[0]!, s[1]!, s[1]!, s[2]!, s[3]!, s[4]!], 2], // duplicated
      [[s[0]!, s[1]!, s[3]!, s[4]!], 2], // dropped from the middle
      [[s[1]!, s[0]!, s[2]!, s[3]!, s[4]!], 0],
    ];
    for (const [segments, failsAt] of cases) {
      await eachChunking(Buffer.concat([head, ...segments]), (run) =>
        expectRefused(run, 'CONTAINER_AUTH_FAILED', { details: { segment: failsAt }, maxSegments: failsAt }),
      );
    }
  });

  it('the wrong key, purpose or object name: CONTAINER_AUTH_FAILED {part: header}, the sink never begins', async () => {
    for (const other of [
      { ...keyParams, masterKey: randomBytes(32) },
      { ...keyParams, purpose: 'manifest' as const },
      { ...keyParams, associatedData: 'CITIZEN/objects/other' },
    ]) {
      const run = await download({ bytes: container }, other, expected);
      expectRefused(run, 'CONTAINER_AUTH_FAILED', { details: { part: 'header' }, maxSegments: 0 });
      expect(run.sink.begun).toBe(0);
    }
  });

  it("a plaintext whose SHA-256 is not the manifest entry's: OBJECT_INTEGRITY_FAILED, aborted, never committed", async () => {
    const run = await download({ bytes: container }, keyParams, { ...expected, sha256: sha256(Buffer.from('other')) });
    expectRefused(run, 'OBJECT_INTEGRITY_FAILED', { details: { reason: 'sha256' }, maxSegments: 5 });
    // A size or content type that differs from the entry is refused at the header, before any segment.
    for (const [entry, reason] of [
      [{ ...expected, size: 299 }, 'size'],
      [{ ...expected, contentType: 'image/png' }, 'content-type'],
    ] as const) {
      const early = await download({ bytes: container }, keyParams, entry);
      expectRefused(early, 'OBJECT_INTEGRITY_FAILED', { details: { reason }, maxSegments: 0 });
      expect(early.sink.begun).toBe(0);
    }
  });

  it('property: any chunking and any cut of the connection give the same verified plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.integer({ min: 0, max: container.length }), { nil: undefined }),
        async (chunks, cutAfter) => {
          const run = await download({ bytes: container, chunks, cutAfter }, keyParams, expected);
          expect(run.error).toBeNull();
          expect(run.result?.value.equals(plaintext)).toBe(true);
          expect(run.result?.sha256).toBe(expected.sha256);
          // A resume asks for the first unverified segment (or the start while the header is unknown).
          expect(run.store.gets.length).toBe(cutAfter === undefined ? 1 : 2);
          const resumedAt = run.store.gets[1]?.[0];
          if (resumedAt !== undefined && resumedAt > 0)
            expect([...[0, 1, 2, 3, 4].map(at), container.length]).toContain(resumedAt);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a connection broken after the last byte: the resume finds nothing more (416) and the download completes', async () => {
    const run = await download({ bytes: container, chunks: [977], cutAfter: container.length }, keyParams, expected);
    expect(run.error).toBeNull();
    expect(run.result?.value.equals(plaintext)).toBe(true);
    expect(run.store.gets).toEqual([
      [0, undefined],
      [container.length, undefined],
    ]);
    // ...but bytes that do come after the last segment on the resumed range are still trailing data.
    const longer = Buffer.concat([container, Buffer.from('x')]);
    const trailing = await download({ bytes: longer, chunks: [977], cutAfter: container.length }, keyParams, expected);
    expectRefused(trailing, 'CONTAINER_TRAILING_DATA', { maxSegments: 5 });
  });

  it('property: random mutations and chunkings give a typed error or the exact original, and release only verified plaintext', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), cut: fc.boolean() }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 5 }),
        async (mutations, chunks) => {
          let bytes = Buffer.from(container);
          for (const m of mutations) {
            const index = m.at % bytes.length;
            if (m.cut) bytes = bytes.subarray(0, index);
            else bytes[index]! ^= 1 << m.bit;
          }
          const run = await download({ bytes, chunks }, keyParams, expected);
          const written = Buffer.concat(run.sink.written);
          expect(written.equals(plaintext.subarray(0, written.length))).toBe(true);
          if (run.error) {
            expect(run.error.code).toMatch(/^CONTAINER_(BAD_HEADER|UNSUPPORTED_VERSION|AUTH_FAILED|TRUNCATED)$/);
            expect(run.sink.outcome).toBe('aborted');
          } else {
            expect(bytes.equals(container)).toBe(true);
            expect(run.result?.value.equals(plaintext)).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
