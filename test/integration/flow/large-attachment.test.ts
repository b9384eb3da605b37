/**
 * An attachment larger than the screen's whole-bytes preview (64 MB) but within
 * cache.maxAttachmentBytes is fetched from the real RGW, streamed through decryption into the
 * encrypted cache; one over the configured maximum is refused before any download.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_PREVIEW_BYTES } from '../../../main/open-record/index';
import { createFlowFixture, scanAndOpen, signInDemoClinician, type FlowFixture } from '../../support/flow';

let fx: FlowFixture;
const MB = 1024 * 1024;
beforeAll(async () => {
  fx = await createFlowFixture({
    sandbox: inject('sandbox'),
    samples: ['IPS_IG-bundle-01.json'],
    documents: false,
    attachmentsMb: [80],
  });
}, 300_000);
afterAll(async () => fx?.close());

describe('large attachments', () => {
  it('80 MB: streamed into the encrypted cache (bounded memory), the whole-bytes preview refused with the reason', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    const big = record.attachments.find((a) => a.size === 80 * MB)!;
    expect(big).toBeDefined();
    const rssBefore = process.memoryUsage().rss;
    await expect(ws.emergency.attachment(record.recordId, big.id)).rejects.toMatchObject({
      code: 'ATTACHMENT_TOO_LARGE',
      details: { size: 80 * MB, limit: MAX_PREVIEW_BYTES },
    });
    expect(ws.cache.get(record.recordId)?.attachments).toContainEqual({
      attachmentId: big.id,
      contentType: 'application/octet-stream',
      bytes: 80 * MB,
    });
    let read = 0;
    for await (const chunk of ws.cache.attachmentChunks(record.recordId, big.id)) read += chunk.length;
    expect(read).toBe(80 * MB);
    console.log(
      `80 MB attachment streamed into the cache; RSS grew ${Math.round((process.memoryUsage().rss - rssBefore) / MB)} MB`,
    );
    expect(ws.cache.stats().partial).toEqual({ files: 0, bytes: 0 });
  }, 120_000);

  it('over cache.maxAttachmentBytes: refused before download, nothing left in the cache', async () => {
    const ws = fx.workstation({ config: (c) => (c.cache.maxAttachmentBytes = 50 * MB) });
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    const big = record.attachments.find((a) => a.size === 80 * MB)!;
    await expect(ws.emergency.attachment(record.recordId, big.id)).rejects.toMatchObject({
      code: 'ATTACHMENT_TOO_LARGE',
      details: { size: 80 * MB, limit: 50 * MB },
    });
    expect(ws.cache.get(record.recordId)?.attachments ?? []).toEqual([]);
    expect(readdirSync(join(ws.dataDir, 'cache'))).toEqual([]);
  });
});
