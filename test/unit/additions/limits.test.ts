import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTACHMENT_MAX_BYTES, SUBMISSION_MAX_BYTES, STAGE_CHUNK_MAX_BYTES } from '../../../common/additions';
import { contract } from '../../../common/ipc/contract';
import { AdditionsService } from '../../../main/additions/service';
import { Outbox } from '../../../main/additions/outbox';
import { openAttachmentStream } from '../../../main/additions/pending';
import { AttachmentStaging } from '../../../main/additions/staging';
import { openDatabase } from '../../../main/cache/database';
import { PATIENT, testClinician } from './helpers';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};

function fixture(limits?: { attachmentMaxBytes?: number; submissionMaxBytes?: number }) {
  const dir = tmp('hcp-limits-');
  const { db } = openDatabase(join(dir, 'db.sqlite'));
  const outbox = new Outbox(db, { spoolDir: join(dir, 'outbox') });
  const service = new AdditionsService({
    outbox,
    sender: null,
    workstation: { id: 'ws' },
    stagingDir: join(dir, 'staging'),
    ...(limits ? { limits } : {}),
  });
  const c = testClinician('p256', 2);
  const ctx = {
    credential: c.credential,
    author: c.author,
    citizenId: 'C'.repeat(26),
    masterKey: Buffer.alloc(32, 1),
    patientRef: 'p',
    patient: PATIENT,
    target: { endpoint: 'http://s3', region: 'r', bucket: 'pending' },
  };
  return { dir, db, outbox, service, ctx };
}

const photo = (stagingId: string, n = 0) => ({
  kind: 'attachment' as const,
  title: `Photo ${n}`,
  contentType: 'image/jpeg' as const,
  stagingId,
});

describe('attachment limits (configurable; defaults ATTACHMENT_MAX_BYTES / SUBMISSION_MAX_BYTES)', () => {
  it('defaults: 100 MiB per attachment and per submission', () => {
    const f = fixture();
    expect(f.service.limits).toEqual({
      attachmentMaxBytes: ATTACHMENT_MAX_BYTES,
      submissionMaxBytes: SUBMISSION_MAX_BYTES,
    });
    expect(SUBMISSION_MAX_BYTES).toBe(100 * 1024 * 1024);
    f.db.close();
  });

  it('staging refuses a file above the attachment limit at begin: ADDITION_ATTACHMENT_TOO_LARGE {size, limit}, no file left', async () => {
    const f = fixture({ attachmentMaxBytes: 1024 * 1024 });
    await expect(
      f.service.stage({ op: 'begin', recordId: 'r', contentType: 'image/png', size: 1024 * 1024 + 1 }, f.ctx),
    ).rejects.toMatchObject({
      code: 'ADDITION_ATTACHMENT_TOO_LARGE',
      details: { size: 1024 * 1024 + 1, limit: 1024 * 1024 },
    });
    expect(readdirSync(join(f.dir, 'staging'))).toEqual([]);
    // exactly the limit is accepted
    const ok = await f.service.stage(
      { op: 'begin', recordId: 'r', contentType: 'image/png', size: 1024 * 1024 },
      f.ctx,
    );
    expect(ok.stagingId).toMatch(/^[0-9a-f]{32}$/);
    f.db.close();
  });

  it('a configured limit lets a larger file through (the benchmarks configure 500 MB)', async () => {
    const f = fixture({ attachmentMaxBytes: 600 * 1024 * 1024, submissionMaxBytes: 600 * 1024 * 1024 });
    const res = await f.service.stage(
      { op: 'begin', recordId: 'r', contentType: 'application/pdf', size: 500 * 1024 * 1024 },
      f.ctx,
    );
    expect(res.received).toBe(0);
    await f.service.discardStaged();
    f.db.close();
  });

  it('the service refuses a submission over the total: ADDITION_INVALID {items, too-large}, nothing queued, the staged files kept', async () => {
    const f = fixture({ attachmentMaxBytes: 2 * 1024 * 1024, submissionMaxBytes: 3 * 1024 * 1024 });
    const a = await f.service.stageBuffer(f.ctx, 'image/jpeg', Buffer.alloc(2 * 1024 * 1024, 1));
    const b = await f.service.stageBuffer(f.ctx, 'image/jpeg', Buffer.alloc(1024 * 1024 + 1, 2));
    await expect(f.service.submit(f.ctx, [photo(a, 1), photo(b, 2)])).rejects.toMatchObject({
      code: 'ADDITION_INVALID',
      details: expect.objectContaining({ field: 'items', problem: 'too-large', limit: 3 * 1024 * 1024 }),
    });
    expect(f.outbox.counts().queued).toBe(0);
    expect(f.service.staging!.size).toBe(2);
    // exactly the limit passes
    const c = await f.service.stageBuffer(f.ctx, 'image/jpeg', Buffer.alloc(1024 * 1024, 3));
    const { item } = await f.service.submit(f.ctx, [photo(a, 1), photo(c, 3)]);
    expect(item.status).toBe('queued');
    f.db.close();
  });

  it('a staging id that is unknown or not complete: ADDITION_STAGING_INVALID, nothing queued', async () => {
    const f = fixture();
    await expect(f.service.submit(f.ctx, [photo('0'.repeat(32))])).rejects.toMatchObject({
      code: 'ADDITION_STAGING_INVALID',
      details: { reason: 'unknown' },
    });
    const { stagingId } = await f.service.stage(
      { op: 'begin', recordId: 'r', contentType: 'image/jpeg', size: 10 },
      f.ctx,
    );
    await expect(f.service.submit(f.ctx, [photo(stagingId)])).rejects.toMatchObject({
      code: 'ADDITION_STAGING_INVALID',
      details: expect.objectContaining({ reason: 'incomplete' }),
    });
    expect(f.outbox.counts().queued).toBe(0);
    f.db.close();
  });
});

describe('additions.stageAttachment (zod, the IPC schema)', () => {
  const schema = contract['additions.stageAttachment'].request;
  const id = 'ab'.repeat(16);
  it('accepts begin / chunk / end / discard', () => {
    expect(schema.safeParse({ op: 'begin', recordId: 'r', contentType: 'image/png', size: 5 }).success).toBe(true);
    expect(schema.safeParse({ op: 'chunk', stagingId: id, index: 0, dataBase64: 'AAAA' }).success).toBe(true);
    expect(schema.safeParse({ op: 'end', stagingId: id }).success).toBe(true);
    expect(schema.safeParse({ op: 'discard', stagingId: id }).success).toBe(true);
  });
  it.each([
    ['an unknown type', { op: 'begin', contentType: 'text/html', size: 5 }],
    ['an empty file', { op: 'begin', contentType: 'image/png', size: 0 }],
    ['a fractional size', { op: 'begin', contentType: 'image/png', size: 1.5 }],
    ['a malformed id', { op: 'end', stagingId: '../x' }],
    ['a chunk not base64', { op: 'chunk', stagingId: id, index: 0, dataBase64: 'not base64!' }],
    ['a negative index', { op: 'chunk', stagingId: id, index: -1, dataBase64: 'AAAA' }],
    [
      'a chunk over the limit',
      { op: 'chunk', stagingId: id, index: 0, dataBase64: Buffer.alloc(STAGE_CHUNK_MAX_BYTES + 3).toString('base64') },
    ],
    ['an unknown op', { op: 'append', stagingId: id }],
    ['an extra field', { op: 'end', stagingId: id, path: '/etc/passwd' }],
  ])('refuses %s', (_name, req) => {
    expect(schema.safeParse(req).success).toBe(false);
  });
});

describe('AttachmentStaging', () => {
  const key = { masterKey: Buffer.alloc(32, 9), citizenId: 'C'.repeat(26) };
  const refOf = (done: { attachmentId: string; contentType: string; size: number; sha1: string; sha256: string }) => ({
    attachmentId: done.attachmentId,
    contentType: done.contentType,
    size: done.size,
    sha1: done.sha1,
    sha256: Buffer.from(done.sha256, 'hex').toString('base64'),
    title: null,
  });
  const opened = async (file: string, ref: ReturnType<typeof refOf>) => {
    const out: Buffer[] = [];
    await pipeline(
      createReadStream(file),
      openAttachmentStream(key, ref),
      new Writable({
        write(c: Buffer, _e, cb) {
          out.push(c);
          cb();
        },
      }),
    );
    return Buffer.concat(out);
  };

  it('chunks in order -> sealed on arrival into the pending container of its object id; digests on the way; never plaintext on disk', async () => {
    const s = new AttachmentStaging(tmp('hcp-stage-'));
    const bytes = Buffer.from('a recognisable plaintext that must not be on disk '.repeat(50_000)); // > 2 segments
    const { stagingId } = await s.begin(key, 'application/pdf', bytes.length);
    let i = 0;
    for (let off = 0; off < bytes.length; off += 700_000)
      await s.append(stagingId, i++, bytes.subarray(off, off + 700_000));
    const done = await s.end(stagingId);
    expect(done.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(done.sha1).toBe(createHash('sha1').update(bytes).digest('base64'));
    const raw = readFileSync(done.file);
    expect(raw.includes(Buffer.from('recognisable plaintext'))).toBe(false);
    expect(done.containerSize).toBe(raw.length);
    expect(done.containerSha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect((await opened(done.file, refOf(done))).equals(bytes)).toBe(true);
  });

  it('a chunk out of order, past the declared size, or an end before all bytes: ADDITION_STAGING_INVALID and the staging dropped', async () => {
    const s = new AttachmentStaging(tmp('hcp-stage-'));
    const a = (await s.begin(key, 'image/png', 10)).stagingId;
    await expect(s.append(a, 1, Buffer.alloc(5))).rejects.toMatchObject({
      code: 'ADDITION_STAGING_INVALID',
      details: expect.objectContaining({ reason: 'order' }),
    });
    await expect(s.append(a, 0, Buffer.alloc(5))).rejects.toMatchObject({ details: { reason: 'unknown' } });
    const b = (await s.begin(key, 'image/png', 10)).stagingId;
    await expect(s.append(b, 0, Buffer.alloc(11))).rejects.toMatchObject({ details: { reason: 'size' } });
    const c = (await s.begin(key, 'image/png', 10)).stagingId;
    await s.append(c, 0, Buffer.alloc(9));
    await expect(s.end(c)).rejects.toMatchObject({ details: expect.objectContaining({ reason: 'incomplete' }) });
    expect(s.size).toBe(0);
    expect(readdirSync(s.dir)).toEqual([]);
    await expect(
      s.handle({ op: 'begin', recordId: 'r', contentType: 'image/png', size: 3 }, null),
    ).rejects.toMatchObject({
      details: { reason: 'no-record' },
    });
  });

  it('a staged container changed on disk does not open (the patient side refuses it the same way)', async () => {
    const s = new AttachmentStaging(tmp('hcp-stage-'));
    const { stagingId } = await s.begin(key, 'image/png', 20);
    await s.append(stagingId, 0, Buffer.alloc(10, 1));
    await s.append(stagingId, 1, Buffer.alloc(10, 2));
    const done = await s.end(stagingId);
    const raw = readFileSync(done.file);
    raw[raw.length - 20] = raw[raw.length - 20]! ^ 1;
    writeFileSync(done.file, raw);
    await expect(opened(done.file, refOf(done))).rejects.toMatchObject({ code: expect.stringMatching(/^CONTAINER_/) });
  });

  it('files left by an earlier process are swept at start; discardAll (sign-out) drops what is staged now', async () => {
    const dir = tmp('hcp-stage-');
    const first = new AttachmentStaging(dir);
    await first.begin(key, 'image/png', 10);
    await first.begin(key, 'image/png', 10);
    expect(readdirSync(dir)).toHaveLength(2);
    const second = new AttachmentStaging(dir);
    expect(second.sweep()).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
    const a = (await second.begin(key, 'image/png', 3)).stagingId;
    await second.append(a, 0, Buffer.from('abc'));
    await second.end(a);
    await second.discardAll();
    expect(readdirSync(dir)).toEqual([]);
    expect(() => second.staged(a)).toThrow(expect.objectContaining({ code: 'ADDITION_STAGING_INVALID' }));
  });
});
