import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decryptContainer } from '../../../main/crypto';
import { blobAad } from '../../../main/cache/seal';
import {
  FILE_SEGMENT_BYTES,
  readSealedFile,
  readSealedFileRange,
  writeSealedFile,
} from '../../../main/cache/sealed-file';

/** The cache's sealed files are EHR containers written and read by the one container codec. */
const dir = mkdtempSync(join(tmpdir(), 'hcp-sealed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = randomBytes(32);
const aad = blobAad('cached_attachments', 'rec', 'att');
let n = 0;

async function sealed(plain: Buffer, chunk = 10_000): Promise<string> {
  const file = join(dir, `f${n++}`);
  await writeSealedFile(
    file,
    key,
    aad,
    (async function* () {
      for (let i = 0; i < plain.length; i += chunk) yield plain.subarray(i, i + chunk);
    })(),
    plain.length,
  );
  return file;
}

async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

const S = FILE_SEGMENT_BYTES;

describe('sealed files (container codec)', () => {
  it('is an EHR container the codec opens with the cache key and the attachment place; 0600, exclusive', async () => {
    const plain = randomBytes(2 * S + 77);
    const file = await sealed(plain);
    const opened = decryptContainer(readFileSync(file), {
      masterKey: key,
      purpose: 'object',
      associatedData: aad.toString('utf8'),
    });
    expect(opened.plaintext.equals(plain)).toBe(true);
    expect(opened.header.segmentSize).toBe(S);
    expect(readFileSync(file).subarray(0, 4).toString('ascii')).toBe('HCPC');
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect((await collect(readSealedFile(file, key, aad))).equals(plain)).toBe(true);
    await expect(
      writeSealedFile(
        file,
        key,
        aad,
        (async function* () {
          yield Buffer.from('x');
        })(),
        1,
      ),
    ).rejects.toMatchObject({ code: 'EEXIST' });
    expect((await collect(readSealedFile(file, key, aad))).equals(plain)).toBe(true);
  });

  it('a source longer or shorter than announced: INVALID_INPUT', async () => {
    const source = (async function* () {
      yield Buffer.alloc(10);
    })();
    await expect(writeSealedFile(join(dir, 'long'), key, aad, source, 5)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    const short = (async function* () {
      yield Buffer.alloc(10);
    })();
    await expect(writeSealedFile(join(dir, 'short'), key, aad, short, 11)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('range reads at segment boundaries and mid-segment equal the plaintext slice', async () => {
    const plain = randomBytes(4 * S + 1234);
    const file = await sealed(plain, 7777);
    const cases: [number, number][] = [
      [0, S - 1], // exactly segment 0
      [S, 2 * S - 1], // exactly segment 1
      [S - 1, S], // across a boundary, two bytes
      [S / 2, S / 2 + 10], // mid-segment
      [S / 2, 3 * S + Math.floor(S / 3)], // mid to mid, several segments
      [4 * S, plain.length - 1], // the short last segment
      [plain.length - 1, plain.length - 1], // the last byte
      [0, plain.length - 1], // everything
    ];
    for (const [start, end] of cases) {
      const got = await collect(readSealedFileRange(file, key, aad, plain.length, start, end));
      expect(got.equals(plain.subarray(start, end + 1)), `${start}-${end}`).toBe(true);
    }
    await expect(collect(readSealedFileRange(file, key, aad, plain.length, 0, plain.length))).rejects.toThrow(
      RangeError,
    );
  });

  it('a flipped byte, a truncation or a moved file: CACHE_CORRUPT with its reason', async () => {
    const plain = randomBytes(3 * S + 5);
    const flipped = await sealed(plain);
    const bytes = readFileSync(flipped);
    const inSegment1 = bytes.length - (5 + 16) - (S + 16) - 100;
    bytes[inSegment1]! ^= 1;
    writeFileSync(flipped, bytes);
    await expect(collect(readSealedFile(flipped, key, aad))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'authentication' },
    });
    // The range read of segment 1 fails; segment 0 alone is intact.
    await expect(collect(readSealedFileRange(flipped, key, aad, plain.length, S, S + 1))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'authentication' },
    });
    expect(
      (await collect(readSealedFileRange(flipped, key, aad, plain.length, 0, 9))).equals(plain.subarray(0, 10)),
    ).toBe(true);

    const cut = await sealed(plain);
    truncateSync(cut, statSync(cut).size - 1);
    await expect(collect(readSealedFile(cut, key, aad))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'truncated' },
    });
    await expect(collect(readSealedFileRange(cut, key, aad, plain.length, 0, 9))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'truncated' },
    });

    const moved = await sealed(plain);
    for (const other of [blobAad('cached_attachments', 'rec', 'other'), blobAad('cached_attachments', 'rec2', 'att')]) {
      await expect(collect(readSealedFile(moved, key, other))).rejects.toMatchObject({
        code: 'CACHE_CORRUPT',
        details: { reason: 'authentication' },
      });
      await expect(collect(readSealedFileRange(moved, key, other, plain.length, 0, 9))).rejects.toMatchObject({
        code: 'CACHE_CORRUPT',
        details: { reason: 'authentication' },
      });
    }
    await expect(collect(readSealedFile(moved, randomBytes(32), aad))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'authentication' },
    });
  });

  it('an old-format (HCPA) or unknown file, an empty or a missing one: CACHE_CORRUPT, never a crash', async () => {
    const old = join(dir, 'old');
    writeFileSync(old, Buffer.concat([Buffer.from('HCPA'), Buffer.from([1]), randomBytes(7), randomBytes(200)]));
    await expect(collect(readSealedFile(old, key, aad))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'format' },
    });
    await expect(collect(readSealedFileRange(old, key, aad, 184, 0, 9))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'format' },
    });
    const empty = join(dir, 'empty');
    writeFileSync(empty, Buffer.alloc(0));
    await expect(collect(readSealedFile(empty, key, aad))).rejects.toMatchObject({ code: 'CACHE_CORRUPT' });
    await expect(collect(readSealedFile(join(dir, 'nope'), key, aad))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'file-missing' },
    });
  });
});
