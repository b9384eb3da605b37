import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  containerLength,
  createDecryptStream,
  createEncryptStream,
  decryptContainer,
  encryptContainer,
  openContainerReader,
  plaintextRangeToCiphertextRange,
  segmentCount,
} from '../../../main/crypto';
import { TAG_LENGTH, segmentCiphertextOffset } from '../../../main/crypto/container-format';
import { download } from '../cloud/download-harness';
import { codeOf, expectCode, runThrough } from './helpers';

const masterKey = Buffer.alloc(32, 7);
const params = { masterKey, purpose: 'object' as const, associatedData: 'CITIZEN/objects/abc' };
const enc = (plaintext: Buffer, segmentSize = 64) =>
  encryptContainer(plaintext, { ...params, contentType: 'application/octet-stream', segmentSize });

describe('container round trips', () => {
  for (const size of [0, 1, 63, 64, 65, 128, 1000]) {
    it(`buffer helpers, ${size} bytes`, () => {
      const plaintext = randomBytes(size);
      const container = enc(plaintext);
      expect(container.length).toBe(containerLength(size, 64, 'application/octet-stream'));
      const out = decryptContainer(container, params);
      expect(out.plaintext.equals(plaintext)).toBe(true);
      expect(out.header.contentType).toBe('application/octet-stream');
      expect(out.header.plaintextLength).toBe(size);
    });
  }

  it('streams agree with the buffer helpers, whatever the chunking', async () => {
    for (const size of [0, 64, 200, 5000]) {
      const plaintext = randomBytes(size);
      for (const chunk of [1, 17, 64, 80, 4096]) {
        const container = await runThrough(
          createEncryptStream(size, { ...params, contentType: 'image/png', segmentSize: 64 }),
          plaintext,
          chunk,
        );
        expect(decryptContainer(container, params).plaintext.equals(plaintext)).toBe(true);
        const stream = createDecryptStream(params);
        let headerSeen = false;
        stream.on('header', () => (headerSeen = true));
        expect((await runThrough(stream, container, chunk)).equals(plaintext)).toBe(true);
        expect(headerSeen).toBe(true);
      }
    }
  });

  it('the encrypt stream refuses a plaintext of another length than announced', async () => {
    await expectCode(
      () => runThrough(createEncryptStream(10, { ...params, contentType: 'text/plain' }), randomBytes(11)),
      'INVALID_INPUT',
    );
    await expectCode(
      () => runThrough(createEncryptStream(10, { ...params, contentType: 'text/plain' }), randomBytes(9)),
      'INVALID_INPUT',
    );
  });
});

describe('container tampering (buffer, stream and the app download: one decoder)', () => {
  const plaintext = randomBytes(300); // 5 segments of 64 (last 44)
  const container = enc(plaintext);

  /** The whole-buffer helper, the decrypt stream and the app's download: one decoder, so one verdict. */
  async function everyPath(bad: Buffer): Promise<string[]> {
    const downloaded = await download({ bytes: bad, chunks: [50, 7, 1000] }, params, null);
    if (!downloaded.error) throw new Error('the download accepted a bad container');
    return [
      await codeOf(() => decryptContainer(bad, params)),
      await codeOf(() => runThrough(createDecryptStream(params), bad, 50)),
      downloaded.error.code,
    ];
  }
  /** The code when every path agrees, else all of them (and the assertion shows the disagreement). */
  async function onEveryPath(bad: Buffer): Promise<string | string[]> {
    const codes = await everyPath(bad);
    return codes.every((c) => c === codes[0]) ? codes[0]! : codes;
  }

  it('every single bit flip is detected, on every path', async () => {
    for (let byte = 0; byte < container.length; byte += 3) {
      const bad = Buffer.from(container);
      bad[byte]! ^= 1 << (byte % 8);
      for (const code of await everyPath(bad)) {
        expect([
          'CONTAINER_AUTH_FAILED',
          'CONTAINER_BAD_HEADER',
          'CONTAINER_UNSUPPORTED_VERSION',
          'CONTAINER_TRUNCATED',
          'CONTAINER_TRAILING_DATA',
        ]).toContain(code);
      }
    }
  });

  it('a flipped ciphertext bit is an authentication failure', async () => {
    const bad = Buffer.from(container);
    bad[segmentCiphertextOffset({ headerLength: 59 + 24, segmentSize: 64 }, 2) + 5]! ^= 0x80;
    expect(await onEveryPath(bad)).toBe('CONTAINER_AUTH_FAILED');
  });

  it('truncation anywhere, including exactly at a segment boundary', async () => {
    const boundaries = [0, 1, 2, 3, 4].map((i) => segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, i));
    for (const cut of [0, 3, 10, 83, 99, ...boundaries, container.length - 1]) {
      expect(await onEveryPath(container.subarray(0, cut))).toBe('CONTAINER_TRUNCATED');
    }
  });

  it('dropping the last segment (a clean cut at a boundary) is caught', async () => {
    const cut = segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 4);
    expect(await onEveryPath(container.subarray(0, cut))).toBe('CONTAINER_TRUNCATED');
  });

  it('reordered segments fail', async () => {
    const s1 = segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 1);
    const s2 = segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 2);
    const s3 = segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 3);
    const swapped = Buffer.concat([
      container.subarray(0, s1),
      container.subarray(s2, s3),
      container.subarray(s1, s2),
      container.subarray(s3),
    ]);
    expect(await onEveryPath(swapped)).toBe('CONTAINER_AUTH_FAILED');
  });

  it('appended data fails, even a whole extra segment', async () => {
    expect(await onEveryPath(Buffer.concat([container, Buffer.from([0])]))).toBe('CONTAINER_TRAILING_DATA');
    const s1 = segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 1);
    const extra = container.subarray(s1, s1 + 64 + TAG_LENGTH);
    expect(await onEveryPath(Buffer.concat([container, extra]))).toBe('CONTAINER_TRAILING_DATA');
  });

  it('a wrong key, purpose or object name fails at the header', async () => {
    for (const other of [
      { ...params, masterKey: Buffer.alloc(32, 8) },
      { ...params, purpose: 'manifest' as const },
      { ...params, associatedData: 'CITIZEN/objects/abd' },
    ]) {
      expect(await codeOf(() => decryptContainer(container, other))).toBe('CONTAINER_AUTH_FAILED');
      expect(await codeOf(() => runThrough(createDecryptStream(other), container))).toBe('CONTAINER_AUTH_FAILED');
      expect((await download({ bytes: container }, other, null)).error?.code).toBe('CONTAINER_AUTH_FAILED');
    }
  });

  it('a segment from another container of the same key is refused', async () => {
    const other = enc(randomBytes(300));
    const s1 = segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 1);
    const s2 = segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 2);
    const spliced = Buffer.concat([container.subarray(0, s1), other.subarray(s1, s2), container.subarray(s2)]);
    expect(await onEveryPath(spliced)).toBe('CONTAINER_AUTH_FAILED');
  });

  it('a newer format version and garbage are told apart', async () => {
    const newer = Buffer.from(container);
    newer[4] = 2;
    expect(await onEveryPath(newer)).toBe('CONTAINER_UNSUPPORTED_VERSION');
    expect(await onEveryPath(Buffer.from('not a container at all, just some bytes here', 'utf8'))).toBe(
      'CONTAINER_BAD_HEADER',
    );
  });

  it('the stream pushes only verified segments before it fails', async () => {
    const bad = Buffer.from(container);
    bad[segmentCiphertextOffset({ headerLength: 83, segmentSize: 64 }, 3) + 1]! ^= 1;
    for (const chunk of [50, bad.length]) {
      const stream = createDecryptStream(params);
      const seen: Buffer[] = [];
      stream.on('data', (b: Buffer) => seen.push(b));
      const failure = new Promise<unknown>((resolve) => stream.on('error', resolve));
      for (let i = 0; i < bad.length; i += chunk) stream.write(bad.subarray(i, i + chunk));
      stream.end();
      const error = (await failure) as { code: string };
      expect(error.code).toBe('CONTAINER_AUTH_FAILED');
      // Only whole, verified segments before the fourth came out, never a byte of it.
      const out = Buffer.concat(seen);
      expect(out.length % 64).toBe(0);
      expect(out.length).toBeLessThanOrEqual(3 * 64);
      expect(out.equals(plaintext.subarray(0, out.length))).toBe(true);
      // Fed in pieces, the three segments that verified before the bad one reached the consumer.
      if (chunk === 50) expect(out.length).toBe(3 * 64);
    }
  });
});

describe('container random access', () => {
  const plaintext = randomBytes(10_000);
  const container = enc(plaintext, 256);
  const fetches: Array<[number, number]> = [];
  const fetchRange = async (start: number, end: number) => {
    fetches.push([start, end]);
    return Buffer.from(container.subarray(start, end));
  };

  it('maps plaintext ranges to whole segments', () => {
    const header = { headerLength: 83, segmentSize: 256, plaintextLength: 10_000 };
    const r = plaintextRangeToCiphertextRange(header, 300, 600);
    expect(r).toMatchObject({ firstSegment: 1, lastSegment: 2, offsetInFirstSegment: 44 });
    expect(r.ciphertextStart).toBe(83 + 16 + 272);
    expect(r.ciphertextEnd).toBe(83 + 16 + 3 * 272);
    const tail = plaintextRangeToCiphertextRange(header, 9_999, 10_000);
    expect(tail.lastSegment).toBe(segmentCount(10_000, 256) - 1);
    expect(tail.ciphertextEnd).toBe(container.length);
  });

  it('reads any range by whole segments, fetching only what it needs', async () => {
    const reader = await openContainerReader(fetchRange, params, {
      containerLength: container.length,
      maxFetchBytes: 1000,
    });
    for (const [start, end] of [
      [0, 1],
      [0, 10_000],
      [255, 257],
      [256, 512],
      [9_000, 10_000],
      [1234, 5678],
    ] as const) {
      fetches.length = 0;
      const out = await reader.read(start, end);
      expect(out.equals(plaintext.subarray(start, end))).toBe(true);
      const range = plaintextRangeToCiphertextRange(reader.header, start, end);
      expect(fetches[0]![0]).toBe(range.ciphertextStart);
      expect(fetches.at(-1)![1]).toBe(range.ciphertextEnd);
      for (const [s, e] of fetches) expect(e - s).toBeLessThanOrEqual(1000);
    }
  });

  it('refuses invalid ranges and detects tampering and truncation', async () => {
    const reader = await openContainerReader(fetchRange, params);
    for (const [s, e] of [
      [-1, 5],
      [5, 5],
      [6, 5],
      [0, 10_001],
      [0.5, 3],
    ] as const)
      await expectCode(() => reader.read(s, e), 'CONTAINER_RANGE_INVALID');
    const bad = Buffer.from(container);
    bad[segmentCiphertextOffset(reader.header, 7) + 3]! ^= 4;
    const badReader = await openContainerReader(async (s, e) => bad.subarray(s, e), params);
    expect((await badReader.read(0, 256)).equals(plaintext.subarray(0, 256))).toBe(true);
    await expectCode(() => badReader.read(7 * 256, 7 * 256 + 1), 'CONTAINER_AUTH_FAILED');
    const cut = container.subarray(0, container.length - 1);
    const cutReader = await openContainerReader(async (s, e) => cut.subarray(s, e), params);
    await expectCode(() => cutReader.read(9_999, 10_000), 'CONTAINER_TRUNCATED');
    await expectCode(
      () => openContainerReader(fetchRange, params, { containerLength: container.length + 1 }),
      'CONTAINER_TRAILING_DATA',
    );
    await expectCode(
      () => openContainerReader(fetchRange, { ...params, masterKey: Buffer.alloc(32) }),
      'CONTAINER_AUTH_FAILED',
    );
  });
});
