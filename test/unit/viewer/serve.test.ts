import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FILE_SEGMENT_BYTES, readSealedFileRange, writeSealedFile } from '../../../main/cache/sealed-file';
import { serveAttachment, type AttachmentSource } from '../../../main/viewer/index';
import type { ViewerAccessInput } from '../../../main/viewer/access';

/**
 * The route over a real sealed file (the encrypted cache's format): ranges decrypted from where
 * they begin, access re-decided before every chunk. The access input is the test's state.
 */
const dir = mkdtempSync(join(tmpdir(), 'hcp-viewer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = randomBytes(32);
const aad = Buffer.from('cached_attachments|r|a');

async function sealed(name: string, plain: Buffer): Promise<string> {
  const file = join(dir, name);
  await writeSealedFile(
    file,
    key,
    aad,
    (async function* () {
      yield plain;
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

describe('readSealedFileRange', () => {
  it('any range of files of several segment counts equals the plaintext slice', async () => {
    for (const size of [
      0,
      1,
      FILE_SEGMENT_BYTES - 1,
      FILE_SEGMENT_BYTES,
      FILE_SEGMENT_BYTES + 1,
      3 * FILE_SEGMENT_BYTES + 5,
    ]) {
      const plain = randomBytes(size);
      const file = await sealed(`f-${size}`, plain);
      const edges = [0, 1, FILE_SEGMENT_BYTES - 1, FILE_SEGMENT_BYTES, FILE_SEGMENT_BYTES + 1, size - 1].filter(
        (x) => x >= 0 && x < size,
      );
      for (const start of edges)
        for (const end of edges.filter((e) => e >= start))
          expect(
            (await collect(readSealedFileRange(file, key, aad, size, start, end))).equals(
              plain.subarray(start, end + 1),
            ),
          ).toBe(true);
    }
  });
  it('a truncated file, another key or associated data: CACHE_CORRUPT', async () => {
    const plain = randomBytes(2 * FILE_SEGMENT_BYTES + 10);
    const file = await sealed('t', plain);
    await expect(collect(readSealedFileRange(file, randomBytes(32), aad, plain.length, 0, 10))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'authentication' },
    });
    await expect(
      collect(readSealedFileRange(file, key, Buffer.from('other'), plain.length, 0, 10)),
    ).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
    });
    truncateSync(file, 1000);
    await expect(collect(readSealedFileRange(file, key, aad, plain.length, 0, 10))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'truncated' },
    });
  });
  it('a claimed size the file does not have (a segment cut off): CACHE_CORRUPT before any byte', async () => {
    const plain = randomBytes(2 * FILE_SEGMENT_BYTES);
    const file = await sealed('s', plain);
    await expect(collect(readSealedFileRange(file, key, aad, FILE_SEGMENT_BYTES, 0, 10))).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
    });
  });
});

describe('serveAttachment', () => {
  const plain = randomBytes(5 * FILE_SEGMENT_BYTES + 123);
  let state: ViewerAccessInput = {
    session: 'unlocked',
    recordOpen: true,
    listed: { contentType: 'application/pdf', size: plain.length },
    cached: { bytes: plain.length },
  };
  let reads = 0;
  const filePromise = sealed('doc', plain);
  const source: AttachmentSource = {
    access: () => state,
    read: (_r, _a, start, end) => {
      reads++;
      return {
        async *[Symbol.asyncIterator]() {
          yield* readSealedFileRange(await filePromise, key, aad, plain.length, start, end);
        },
      };
    },
  };
  const ref = { recordId: 'r', attachmentId: 'a' };
  const get = (range: string | null = null, method = 'GET') =>
    serveAttachment({ method, ref, range, ifRange: null }, source);

  it('200 with the whole body, streamed; 206 for one range; 416 past the end; HEAD has no body', async () => {
    const whole = get();
    expect(whole.status).toBe(200);
    expect(Object.fromEntries(whole.headers)).toMatchObject({
      'content-type': 'application/pdf',
      'content-length': String(plain.length),
      'accept-ranges': 'bytes',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    expect(Buffer.from(await whole.arrayBuffer()).equals(plain)).toBe(true);
    const part = get(`bytes=${FILE_SEGMENT_BYTES - 3}-${2 * FILE_SEGMENT_BYTES + 2}`);
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(
      `bytes ${FILE_SEGMENT_BYTES - 3}-${2 * FILE_SEGMENT_BYTES + 2}/${plain.length}`,
    );
    expect(part.headers.get('content-length')).toBe(String(FILE_SEGMENT_BYTES + 6));
    expect(
      Buffer.from(await part.arrayBuffer()).equals(plain.subarray(FILE_SEGMENT_BYTES - 3, 2 * FILE_SEGMENT_BYTES + 3)),
    ).toBe(true);
    const past = get(`bytes=${plain.length}-`);
    expect([past.status, past.headers.get('content-range')]).toEqual([416, `bytes */${plain.length}`]);
    const head = get(null, 'HEAD');
    expect([head.status, head.body]).toEqual([200, null]);
    expect(get(null, 'POST').status).toBe(405);
    // A type the screen does not render is served as bytes, never as a document that could run script.
    const saved = state;
    state = { ...state, listed: { contentType: 'text/html', size: plain.length } };
    expect(get(null, 'HEAD').headers.get('content-type')).toBe('application/octet-stream');
    state = { ...state, listed: { contentType: 'image/svg+xml', size: plain.length } };
    expect(get(null, 'HEAD').headers.get('content-type')).toBe('application/octet-stream');
    state = saved;
    expect(serveAttachment({ method: 'GET', ref: null, range: null, ifRange: null }, source).status).toBe(404);
  });

  it('the body is pulled chunk by chunk (nothing read before the consumer asks); a lock cuts it between chunks', async () => {
    reads = 0;
    const res = get();
    expect(reads).toBe(0);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.value!.length).toBe(FILE_SEGMENT_BYTES);
    expect(reads).toBe(1);
    state = { ...state, session: 'locked' };
    await expect(reader.read()).rejects.toThrow('SESSION_LOCKED');
    const refused = get();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: { code: 'SESSION_LOCKED' } });
    state = { ...state, session: 'unlocked', recordOpen: false };
    expect(get().status).toBe(403);
  });
});
