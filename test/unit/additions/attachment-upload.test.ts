import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkstationError, type ErrorCode } from '../../../common/errors';
import { attachmentObjectKey, attachmentRefsOf, type AttachmentRef } from '../../../main/additions/attachments';
import { Outbox } from '../../../main/additions/outbox';
import { openAttachmentStream, openPendingAddition, sealAttachmentStream } from '../../../main/additions/pending';
import { OutboxSender } from '../../../main/additions/sender';
import { AdditionsService } from '../../../main/additions/service';
import { verifyAddition } from '../../../main/additions/signed';
import { openDatabase, type Db } from '../../../main/cache/database';
import type { ObjectStore } from '../../../main/cloud/object-store';
import { generateMasterKey } from '../../../main/crypto/keys';
import { PATIENT, testClinician } from './helpers';

/** Attachments as their own objects (docs/formats.md §7.1): staged -> spooled -> uploaded -> checked by the patient. */
class MemoryStore implements ObjectStore {
  readonly endpoint = 'http://s3.test';
  readonly objects = new Map<string, Buffer>();
  readonly putKeys: string[] = [];
  failPutOf: ((key: string) => ErrorCode | null) | null = null;
  async exists(bucket: string, key: string): Promise<boolean> {
    return this.objects.has(`${bucket}/${key}`);
  }
  async put(bucket: string, key: string, body: Buffer | Readable): Promise<{ etag: string }> {
    this.putKeys.push(key);
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(body)) chunks.push(body);
    else for await (const c of body) chunks.push(c as Buffer);
    const code = this.failPutOf?.(key);
    if (code) throw new WorkstationError(code);
    this.objects.set(`${bucket}/${key}`, Buffer.concat(chunks));
    return { etag: 'x' };
  }
  async getObject(): Promise<Readable> {
    throw new Error('unused');
  }
  async getRange(): Promise<Readable> {
    throw new Error('unused');
  }
  async stat(): Promise<never> {
    throw new Error('unused');
  }
  invalidateCredentials(): void {}
  close(): void {}
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fixture() {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-att-'));
  dirs.push(dir);
  const file = join(dir, 'workstation.sqlite');
  const spoolDir = join(dir, 'outbox');
  let db: Db = openDatabase(file).db;
  const outbox = new Outbox(db, { spoolDir });
  const store = new MemoryStore();
  const sender = new OutboxSender({ outbox, storeFor: () => store, random: () => 0.5 });
  const service = new AdditionsService({
    outbox,
    sender: null,
    workstation: { id: 'ws-1' },
    stagingDir: join(dir, 'staging'),
  });
  const c = testClinician('p256', 3);
  const ctx = {
    credential: c.credential,
    author: c.author,
    citizenId: 'CITIZENAAAAAAAAAAAAAAAAAAA',
    masterKey: generateMasterKey(),
    patientRef: 'pref-1',
    patient: PATIENT,
    target: { endpoint: store.endpoint, region: 'us-east-1', bucket: 'pending' },
  };
  return {
    dir,
    file,
    spoolDir,
    get db() {
      return db;
    },
    /** The database file lost (a fresh one), the spool kept. */
    freshDatabase() {
      db.close();
      for (const f of readdirSync(dir)) if (f.startsWith('workstation.sqlite')) unlinkSync(join(dir, f));
      db = openDatabase(file).db;
      return new Outbox(db, { spoolDir });
    },
    outbox,
    store,
    sender,
    service,
    ctx,
    chain: c.chain,
  };
}

async function plaintextOf(container: Buffer, key: { masterKey: Buffer; citizenId: string }, ref: AttachmentRef) {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([container]),
    openAttachmentStream(key, ref),
    new Writable({
      write(c: Buffer, _e, cb) {
        out.push(c);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

describe('an addition with attachments', () => {
  it('the signed bundle is small and refers to each attachment; the containers are spooled files, not database blobs', async () => {
    const f = fixture();
    const photo = randomBytes(3 * 1024 * 1024 + 17);
    const pdf = randomBytes(5000);
    const a = await f.service.stageBuffer(f.ctx, 'image/jpeg', photo);
    const b = await f.service.stageBuffer(f.ctx, 'application/pdf', pdf, 1000);
    const { additionId, item } = await f.service.submit(f.ctx, [
      { kind: 'note', text: 'see photo' },
      { kind: 'attachment', title: 'Wound', contentType: 'image/jpeg', stagingId: a },
      { kind: 'attachment', title: 'Referral', contentType: 'application/pdf', stagingId: b },
    ]);
    expect(item.kinds).toEqual({ note: 1, attachment: 2 });
    expect(f.service.staging!.size).toBe(0); // consumed
    const [due] = f.outbox.due();
    expect(due!.body.length).toBeLessThan(20_000);
    const bytes = openPendingAddition(due!.body, { ...f.ctx, additionId });
    const v = verifyAddition(bytes, {
      trustAnchors: [f.chain.root.cert],
      policy: { revocation: 'off' },
      expectedId: additionId,
    });
    expect(v.valid).toBe(true);
    expect(v.attachments.map((r) => [r.contentType, r.size, r.title])).toEqual([
      ['image/jpeg', photo.length, 'Wound'],
      ['application/pdf', pdf.length, 'Referral'],
    ]);
    expect(v.attachments[0]!.sha256).toBe(createHash('sha256').update(photo).digest('base64'));
    expect(due!.attachments.map((x) => x.attachmentId)).toEqual(v.attachments.map((r) => r.attachmentId));
    expect(readdirSync(join(f.spoolDir, `${additionId}.att`)).sort()).toEqual(
      v.attachments.map((r) => `${r.attachmentId}.hcpc`).sort(),
    );
    const blob = f.db.prepare('SELECT length(body) FROM outbox WHERE id = ?').pluck().get(item.id) as number;
    expect(blob).toBeLessThan(20_000);
    const { readFileSync } = await import('node:fs');
    const container = readFileSync(due!.attachments[0]!.file);
    expect((await plaintextOf(container, f.ctx, v.attachments[0]!)).equals(photo)).toBe(true);
  });

  it('the sender puts every attachment, then the addition last; a failure resumes with what is not up yet; sent only when all are up', async () => {
    const f = fixture();
    const a = await f.service.stageBuffer(f.ctx, 'image/png', randomBytes(100_000));
    const b = await f.service.stageBuffer(f.ctx, 'image/png', randomBytes(200_000));
    const { additionId, item } = await f.service.submit(f.ctx, [
      { kind: 'attachment', title: 'A', contentType: 'image/png', stagingId: a },
      { kind: 'attachment', title: 'B', contentType: 'image/png', stagingId: b },
    ]);
    const [due] = f.outbox.due();
    const keys = due!.attachments.map((x) => attachmentObjectKey(due!.objectKey, x.attachmentId));
    expect(keys[0]).toMatch(/^CITIZENAAAAAAAAAAAAAAAAAAA\/ws-1\/[0-9a-f]{32}\.hcpa$/);
    f.store.failPutOf = (key) => (key === keys[1] ? 'CLOUD_UNAVAILABLE' : null);
    const first = await f.sender.sendDue();
    expect(first).toEqual([{ id: item.id, status: 'failed', code: 'CLOUD_UNAVAILABLE' }]);
    expect(f.store.putKeys).toEqual([keys[0], keys[1]]); // the addition itself not yet
    expect(f.outbox.get(item.id)!.status).toBe('failed-retrying');
    f.store.failPutOf = null;
    f.outbox.retryNow(item.id);
    await f.sender.sendDue();
    expect(f.store.putKeys).toEqual([keys[0], keys[1], keys[1], due!.objectKey]); // the first not sent again
    expect(f.outbox.get(item.id)!.status).toBe('sent');
    expect(existsSync(join(f.spoolDir, `${additionId}.att`))).toBe(false);
    expect(existsSync(join(f.spoolDir, `${additionId}.hcpo`))).toBe(false);
  });

  it('a spooled attachment file that changed size is not uploaded: CACHE_CORRUPT, the addition not visible', async () => {
    const f = fixture();
    const a = await f.service.stageBuffer(f.ctx, 'image/png', randomBytes(10_000));
    await f.service.submit(f.ctx, [{ kind: 'attachment', title: 'A', contentType: 'image/png', stagingId: a }]);
    const [due] = f.outbox.due();
    const { truncateSync } = await import('node:fs');
    truncateSync(due!.attachments[0]!.file, 100);
    const [outcome] = await f.sender.sendDue();
    expect(outcome).toMatchObject({ status: 'failed', code: 'CACHE_CORRUPT' });
    expect(f.store.putKeys).toEqual([]);
  });

  it('N unsent additions with attachments survive losing the database; an addition whose attachment file is gone is counted unrecoverable', async () => {
    const f = fixture();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = await f.service.stageBuffer(f.ctx, 'image/png', randomBytes(50_000 + i));
      ids.push(
        (
          await f.service.submit(f.ctx, [
            { kind: 'attachment', title: `P${i}`, contentType: 'image/png', stagingId: s },
          ])
        ).additionId,
      );
    }
    const [, , third] = f.outbox.due();
    unlinkSync(third!.attachments[0]!.file);
    // an attachment folder of a submission that never committed
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(f.spoolDir, `${'e'.repeat(64)}.att`));
    writeFileSync(join(f.spoolDir, `${'e'.repeat(64)}.att`, `${'1'.repeat(32)}.hcpc`), 'x');
    const outbox = f.freshDatabase();
    expect(outbox.counts().queued).toBe(0);
    const r = outbox.recoverFromSpool();
    expect(r).toMatchObject({ recovered: 2, unrecoverable: 1, waiting: 2 });
    expect(existsSync(join(f.spoolDir, `${'e'.repeat(64)}.att`))).toBe(false);
    const sender = new OutboxSender({ outbox, storeFor: () => f.store });
    const outcomes = await sender.sendDue();
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent']);
    expect(f.store.putKeys.filter((k) => k.endsWith('.hcpa'))).toHaveLength(2);
    for (const id of ids.slice(0, 2))
      expect([...f.store.objects.keys()].some((k) => k.endsWith(`${id}.hcpc`))).toBe(true);
  });
});

describe("the patient's check of an attachment object", () => {
  const key = { masterKey: generateMasterKey(), citizenId: 'CITIZENBBBBBBBBBBBBBBBBBBB' };
  const bytes = randomBytes(70_000);
  const ref: AttachmentRef = {
    attachmentId: 'cd'.repeat(16),
    contentType: 'image/png',
    size: bytes.length,
    sha1: createHash('sha1').update(bytes).digest('base64'),
    sha256: createHash('sha256').update(bytes).digest('base64'),
    title: null,
  };
  const seal = async (plain: Buffer, attachmentId = ref.attachmentId, contentType = ref.contentType) => {
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([plain]),
      sealAttachmentStream(key, { attachmentId, size: plain.length, contentType }),
      new Writable({
        write(c: Buffer, _e, cb) {
          out.push(c);
          cb();
        },
      }),
    );
    return Buffer.concat(out);
  };

  it('the object as signed opens and checks', async () => {
    expect((await plaintextOf(await seal(bytes), key, ref)).equals(bytes)).toBe(true);
  });

  it('other bytes under the right name (sealed with the key, not what was signed): ADDITION_ATTACHMENT_MISMATCH', async () => {
    const other = Buffer.from(bytes);
    other[5] = other[5]! ^ 1;
    await expect(plaintextOf(await seal(other), key, ref)).rejects.toMatchObject({
      code: 'ADDITION_ATTACHMENT_MISMATCH',
      details: expect.objectContaining({ reason: 'sha256' }),
    });
    await expect(plaintextOf(await seal(bytes.subarray(1)), key, ref)).rejects.toMatchObject({
      code: 'ADDITION_ATTACHMENT_MISMATCH',
      details: expect.objectContaining({ reason: 'header' }),
    });
    await expect(plaintextOf(await seal(bytes, ref.attachmentId, 'application/pdf'), key, ref)).rejects.toMatchObject({
      code: 'ADDITION_ATTACHMENT_MISMATCH',
    });
  });

  it('another attachment object put in its place, or a changed byte of the container: CONTAINER_* (the name is bound into the key)', async () => {
    const swapped = await seal(bytes, 'ef'.repeat(16));
    await expect(plaintextOf(swapped, key, ref)).rejects.toMatchObject({ code: expect.stringMatching(/^CONTAINER_/) });
    const flipped = await seal(bytes);
    flipped[flipped.length - 100] = flipped[flipped.length - 100]! ^ 1;
    await expect(plaintextOf(flipped, key, ref)).rejects.toMatchObject({ code: expect.stringMatching(/^CONTAINER_/) });
  });

  it('malformed references in a bundle are refused: ADDITION_INVALID {attachment}', () => {
    const bundleWith = (attachment: Record<string, unknown>) =>
      ({
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ fullUrl: 'urn:uuid:1', resource: { resourceType: 'DocumentReference', content: [{ attachment }] } }],
      }) as never;
    const good = {
      contentType: 'image/png',
      url: `urn:hcp-workstation:pending-attachment:${ref.attachmentId}`,
      size: ref.size,
      hash: ref.sha1,
      extension: [{ url: 'urn:hcp-workstation:attachment-sha256', valueBase64Binary: ref.sha256 }],
    };
    expect(attachmentRefsOf(bundleWith(good))).toHaveLength(1);
    for (const bad of [
      { ...good, url: 'https://elsewhere.example/x.png' },
      { ...good, url: 'urn:hcp-workstation:pending-attachment:../../x' },
      { ...good, size: undefined },
      { ...good, hash: 'short' },
      { ...good, extension: [] },
      { ...good, data: 'AAAA' },
    ])
      expect(() => attachmentRefsOf(bundleWith(bad))).toThrow(
        expect.objectContaining({ code: 'ADDITION_INVALID', details: { field: 'attachment' } }),
      );
  });
});
