/**
 * Attachments up to cache.maxAttachmentBytes (default 2 GB) are fetched from the real RGW,
 * streamed through decryption into the encrypted cache, and streamed from there to the screen by
 * the viewer's attachment route (main/viewer: the same code behind the app's hcp-attachment scheme
 * and the harness), with ranges; one over the configured maximum is refused before any download,
 * with a message naming both sizes.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ErrorInfo } from '../../../common/errors';
import { errorMessage } from '../../../common/i18n/messages';
import { serveAttachment } from '../../../main/viewer/index';
import { syntheticLargePng } from '../../../scripts/simulator/assets';
import {
  createFlowFixture,
  scanAndOpen,
  signInDemoClinician,
  viewAttachment,
  type FlowFixture,
} from '../../support/flow';

let fx: FlowFixture;
const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  fx = await createFlowFixture({
    sandbox: inject('sandbox'),
    samples: ['IPS_IG-bundle-01.json'],
    documents: false,
    attachmentsMb: [80],
    largeImagesMb: [70],
  });
}, 600_000);
afterAll(async () => fx?.close());

describe('large attachments', () => {
  it('80 MB: streamed into the encrypted cache (bounded memory), then to the screen with ranges', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    const big = record.attachments.find((a) => a.size === 80 * MB)!;
    expect(big).toBeDefined();
    const rssBefore = process.memoryUsage().rss;
    expect(await ws.emergency.attachment(record.recordId, big.id)).toEqual({
      contentType: 'application/octet-stream',
      size: 80 * MB,
    });
    expect(ws.cache.get(record.recordId)?.attachments).toContainEqual({
      attachmentId: big.id,
      contentType: 'application/octet-stream',
      bytes: 80 * MB,
    });
    const whole = createHash('sha256');
    const tail: Buffer[] = [];
    let read = 0;
    for await (const chunk of ws.cache.attachmentChunks(record.recordId, big.id)) {
      whole.update(chunk);
      read += chunk.length;
      if (read > 80 * MB - 2 * MB) tail.push(chunk);
    }
    expect(read).toBe(80 * MB);
    const end = Buffer.concat(tail).subarray(-1000);
    // The screen's route: the whole representation, and its last 1,000 bytes (a suffix range).
    const shown = await viewAttachment(ws, record.recordId, big.id);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('accept-ranges')).toBe('bytes');
    expect(shown.headers.get('content-length')).toBe(String(80 * MB));
    expect(shown.headers.get('cache-control')).toBe('no-store');
    expect(sha256(shown.bytes)).toBe(whole.digest('hex'));
    const suffix = await viewAttachment(ws, record.recordId, big.id, { range: 'bytes=-1000' });
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe(`bytes ${80 * MB - 1000}-${80 * MB - 1}/${80 * MB}`);
    expect(suffix.bytes.equals(end)).toBe(true);
    console.log(
      `80 MB attachment streamed into the cache and out to the route; RSS grew ${Math.round((process.memoryUsage().rss - rssBefore) / MB)} MB`,
    );
    expect(ws.cache.stats().partial).toEqual({ files: 0, bytes: 0 });
  }, 300_000);

  it('a 70 MB PNG: the bytes served equal the original (digest), ranges across segments, refused after lock, sign-out and close', async () => {
    const original = syntheticLargePng(70 * MB);
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    const image = record.attachments.find((a) => a.contentType === 'image/png')!;
    expect(image.size).toBe(original.length);
    expect(image.size).toBeGreaterThan(64 * MB);
    // Not in the cache yet: the route does not fetch, it answers from the cache only.
    expect((await viewAttachment(ws, record.recordId, image.id)).status).toBe(409);
    await ws.emergency.attachment(record.recordId, image.id);

    const shown = await viewAttachment(ws, record.recordId, image.id);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toBe('image/png');
    expect(sha256(shown.bytes)).toBe(sha256(original));
    // A range that starts inside one 64 KB segment and ends inside a later one.
    const from = 64 * 1024 * 3 - 17;
    const to = 64 * 1024 * 5 + 99;
    const part = await viewAttachment(ws, record.recordId, image.id, { range: `bytes=${from}-${to}` });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes ${from}-${to}/${original.length}`);
    expect(part.bytes.equals(original.subarray(from, to + 1))).toBe(true);
    const open = await viewAttachment(ws, record.recordId, image.id, { range: `bytes=${original.length - 5}-` });
    expect(open.bytes.equals(original.subarray(-5))).toBe(true);
    const past = await viewAttachment(ws, record.recordId, image.id, { range: `bytes=${original.length}-` });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${original.length}`);
    const head = await viewAttachment(ws, record.recordId, image.id, { method: 'HEAD' });
    expect([head.status, head.bytes.length, head.headers.get('content-length')]).toEqual([
      200,
      0,
      String(original.length),
    ]);
    expect((await viewAttachment(ws, record.recordId, 'not-listed')).status).toBe(404);

    // A stream in flight is cut by a lock; new requests are refused until unlock.
    const res = serveAttachment(
      { method: 'GET', ref: { recordId: record.recordId, attachmentId: image.id }, range: null, ifRange: null },
      ws.attachments,
    );
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    ws.session.lock();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })(),
    ).rejects.toThrow('SESSION_LOCKED');
    const locked = await viewAttachment(ws, record.recordId, image.id);
    expect(locked.status).toBe(403);
    expect(JSON.parse(locked.bytes.toString())).toEqual({ error: { code: 'SESSION_LOCKED' } });
    await ws.session.unlock(fx.pki.passphrase);
    expect((await viewAttachment(ws, record.recordId, image.id, { range: 'bytes=0-7' })).bytes.toString('latin1')).toBe(
      '\x89PNG\r\n\x1a\n',
    );
    ws.emergency.close(record.recordId);
    expect((await viewAttachment(ws, record.recordId, image.id)).status).toBe(403);
    ws.session.signOut();
    expect((await viewAttachment(ws, record.recordId, image.id)).status).toBe(401);
  }, 300_000);

  it('over cache.maxAttachmentBytes: refused before download with both sizes named, nothing left in the cache', async () => {
    const ws = fx.workstation({ config: (c) => (c.cache.maxAttachmentBytes = 50 * MB) });
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    const big = record.attachments.find((a) => a.size === 80 * MB)!;
    const refused = await ws.emergency.attachment(record.recordId, big.id).then(
      () => null,
      (e: unknown) => e as ErrorInfo,
    );
    expect(refused).toMatchObject({
      code: 'ATTACHMENT_TOO_LARGE',
      details: { size: 80 * MB, limit: 50 * MB, sizeMb: '80.0', limitMb: '50.0' },
    });
    expect(errorMessage(refused!)).toBe(
      'This document (80.0 MB) is larger than the 50.0 MB this workstation accepts, so it was not downloaded. IT can raise the limit (cache.maxAttachmentBytes).',
    );
    expect(errorMessage(refused!, 'el')).toContain('(80.0 MB)');
    expect(errorMessage(refused!, 'el')).toContain('50.0 MB');
    expect(ws.cache.get(record.recordId)?.attachments ?? []).toEqual([]);
    expect(readdirSync(join(ws.dataDir, 'cache'))).toEqual([]);
  });
});
