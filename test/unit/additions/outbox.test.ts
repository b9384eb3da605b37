import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WorkstationError, type ErrorCode } from '../../../common/errors';
import { Outbox } from '../../../main/additions/outbox';
import { backoffDelay, OutboxSender, type OutboxChange } from '../../../main/additions/sender';
import { outboxChanges, outboxDrained } from '../../support/outbox';
import { AdditionsService } from '../../../main/additions/service';
import { openPendingAddition } from '../../../main/additions/pending';
import { verifyAddition } from '../../../main/additions/signed';
import { AuditTrail } from '../../../main/audit/trail';
import { openDatabase, type Db } from '../../../main/cache/database';
import type { ObjectStore } from '../../../main/cloud/object-store';
import { generateMasterKey } from '../../../main/crypto/keys';
import { PATIENT, testClinician } from './helpers';

/**
 * Unit level: the outbox state machine and the sender's decisions over a scripted in-memory store.
 * The real thing (RGW, cut connections, 503s, kill -9) is test/integration/additions/.
 */
type Step = 'ok' | ErrorCode;

class ScriptedStore implements ObjectStore {
  readonly endpoint = 'http://s3.test';
  readonly objects = new Map<string, Buffer>();
  puts = 0;
  heads = 0;
  invalidations = 0;
  constructor(
    public putScript: Step[] = [],
    public headResult: 'normal' | 'denied' = 'normal',
  ) {}
  async exists(bucket: string, key: string): Promise<boolean> {
    this.heads++;
    if (this.headResult === 'denied') throw new WorkstationError('CLOUD_ACCESS_DENIED', { s3: 'AccessDenied' });
    return this.objects.has(`${bucket}/${key}`);
  }
  async put(bucket: string, key: string, body: Buffer | Readable): Promise<{ etag: string }> {
    this.puts++;
    const step = this.putScript.shift() ?? 'ok';
    if (step !== 'ok') throw new WorkstationError(step);
    this.objects.set(`${bucket}/${key}`, Buffer.from(body as Buffer));
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
  invalidateCredentials(): void {
    this.invalidations++;
  }
  close(): void {}
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fixture(store: ScriptedStore, start = Date.parse('2026-03-01T10:00:00.000Z')) {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-outbox-'));
  dirs.push(dir);
  const file = join(dir, 'workstation.sqlite');
  let db: Db = openDatabase(file).db;
  let clock = start;
  const now = () => new Date(clock);
  const outbox = new Outbox(db, { now });
  const audit = new AuditTrail({ db, workstationId: 'ws-1', now });
  const changes: OutboxChange[] = [];
  const sender = new OutboxSender({
    outbox,
    storeFor: () => store,
    audit,
    onChange: (c) => changes.push(c),
    now: () => clock,
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 8000 },
  });
  const c = testClinician('p256', 1);
  const masterKey = generateMasterKey();
  const ctx = {
    credential: c.credential,
    author: c.author,
    citizenId: 'CITIZENAAAAAAAAAAAAAAAAAAA',
    masterKey,
    patientRef: 'pref-1',
    patient: PATIENT,
    target: { endpoint: store.endpoint, region: 'us-east-1', bucket: 'pending' },
  };
  const service = new AdditionsService({ outbox, sender: null, workstation: { id: 'ws-1' }, now });
  return {
    file,
    get db() {
      return db;
    },
    reopen() {
      db.close();
      db = openDatabase(file).db;
      return new Outbox(db, { now });
    },
    outbox,
    audit,
    sender,
    service,
    ctx,
    chain: c.chain,
    changes,
    advance: (ms: number) => (clock += ms),
  };
}

describe('outbox', () => {
  it('submit commits the signed, encrypted addition (durable: it is there after the file is reopened); synchronous is restored', async () => {
    const signedAt = Date.now() - 60_000; // inside the test certificates' validity
    const f = fixture(new ScriptedStore(), signedAt);
    const before = f.db.pragma('synchronous', { simple: true });
    const { additionId, item } = await f.service.submit(f.ctx, [
      { kind: 'note', text: 'x' },
      { kind: 'vitals', heartRate: 80 },
      { kind: 'note', text: 'y' },
    ]);
    expect(f.db.pragma('synchronous', { simple: true })).toBe(before);
    expect(item).toMatchObject({
      additionId,
      patientRef: 'pref-1',
      status: 'queued',
      kinds: { note: 2, vitals: 1 },
      attempts: 0,
      lastError: null,
      sentAt: null,
    });
    const reopened = f.reopen();
    expect(reopened.list()).toHaveLength(1);
    const [due] = reopened.due();
    expect(due!.objectKey).toBe(`CITIZENAAAAAAAAAAAAAAAAAAA/ws-1/${additionId}.hcpc`);
    const plaintext = openPendingAddition(due!.body, {
      masterKey: f.ctx.masterKey,
      citizenId: f.ctx.citizenId,
      additionId,
    });
    expect(
      verifyAddition(plaintext, {
        trustAnchors: [f.chain.root.cert],
        policy: { revocation: 'off' },
        expectedId: additionId,
      }).valid,
    ).toBe(true);
  });

  it('sends: queued -> sending -> sent, body dropped, one audit entry, events without contents', async () => {
    const store = new ScriptedStore();
    const f = fixture(store);
    const { item } = await f.service.submit(f.ctx, [{ kind: 'note', text: 'x' }]);
    expect(await f.sender.sendDue()).toEqual([{ id: item.id, status: 'sent' }]);
    expect(f.outbox.get(item.id)).toMatchObject({
      status: 'sent',
      attempts: 1,
      sentAt: '2026-03-01T10:00:00.000Z',
      nextAttemptAt: null,
    });
    expect(f.db.prepare('SELECT body FROM outbox').pluck().get()).toBeNull();
    expect(store.objects.size).toBe(1);
    expect(f.changes.map((c) => c.item!.status)).toEqual(['sending', 'sent']);
    expect(f.changes.at(-1)!.counts).toEqual({ queued: 0, sending: 0, sent: 1, 'failed-retrying': 0 });
    const audit = f.audit.entries().map((e) => e.event);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.subtype!.at(-1)!.code).toBe('addition-submitted');
    expect(JSON.stringify(audit[0])).toContain(`s3://pending/ws-1/${item.additionId}.hcpc`);
    expect(JSON.stringify(audit[0])).not.toContain(f.ctx.citizenId);
  });

  it('a failure waits with exponential backoff and records the code; later attempts succeed; the same bytes are sent each time', async () => {
    const store = new ScriptedStore(['CLOUD_UNAVAILABLE', 'CLOUD_UNAVAILABLE', 'CLOUD_CREDENTIALS_EXPIRED']);
    const f = fixture(store);
    const { item } = await f.service.submit(f.ctx, [{ kind: 'note', text: 'x' }]);
    const first = f.outbox.due()[0]!.body;
    expect(await f.sender.sendDue()).toEqual([{ id: item.id, status: 'failed', code: 'CLOUD_UNAVAILABLE' }]);
    expect(f.outbox.get(item.id)).toMatchObject({
      status: 'failed-retrying',
      attempts: 1,
      lastError: 'CLOUD_UNAVAILABLE',
      nextAttemptAt: '2026-03-01T10:00:00.750Z',
    });
    expect(await f.sender.sendDue()).toEqual([]); // not due yet
    f.advance(750);
    await f.sender.sendDue();
    expect(f.outbox.get(item.id)!.nextAttemptAt).toBe(
      new Date(Date.parse('2026-03-01T10:00:00.750Z') + 1500).toISOString(),
    );
    f.advance(1500);
    await f.sender.sendDue();
    expect(store.invalidations).toBe(1);
    expect(f.outbox.get(item.id)).toMatchObject({ lastError: 'CLOUD_CREDENTIALS_EXPIRED', attempts: 3 });
    f.advance(3000);
    expect(await f.sender.sendDue()).toEqual([{ id: item.id, status: 'sent' }]);
    expect(store.objects.get(`pending/${f.ctx.citizenId}/ws-1/${item.additionId}.hcpc`)!.equals(first)).toBe(true);
  });

  it('backoff: doubling from the base, capped, half fixed and half jitter', async () => {
    const o = { baseMs: 1000, maxMs: 8000 };
    expect([1, 2, 3, 4, 5, 9].map((a) => backoffDelay(a, o, () => 0))).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, o, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('an object already in the bucket is not put again; a role that may not HEAD skips the check from then on', async () => {
    const store = new ScriptedStore();
    const f = fixture(store);
    const a = await f.service.submit(f.ctx, [{ kind: 'note', text: 'a' }]);
    store.objects.set(`pending/${f.ctx.citizenId}/ws-1/${a.additionId}.hcpc`, Buffer.from('already'));
    expect(await f.sender.sendDue()).toEqual([{ id: a.item.id, status: 'already-present' }]);
    expect(store.puts).toBe(0);

    store.headResult = 'denied';
    const b = await f.service.submit(f.ctx, [{ kind: 'note', text: 'b' }]);
    const c = await f.service.submit(f.ctx, [{ kind: 'note', text: 'c' }]);
    const outcomes = await f.sender.sendDue();
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent']);
    expect(outcomes.map((o) => o.id).sort()).toEqual([b.item.id, c.item.id].sort());
    expect(store.heads).toBe(1 + 2); // both first attempts raced the HEAD; a later item would not HEAD
    const d = await f.service.submit(f.ctx, [{ kind: 'note', text: 'd' }]);
    await f.sender.sendDue();
    expect(store.heads).toBe(3);
    expect(f.outbox.get(d.item.id)!.status).toBe('sent');
  });

  it("after a crash, items left 'sending' go back to the queue on start", async () => {
    const store = new ScriptedStore();
    const f = fixture(store);
    const { item } = await f.service.submit(f.ctx, [{ kind: 'note', text: 'x' }]);
    expect(f.outbox.markSending(item.id)).toBe(true);
    const outbox = f.reopen();
    expect(outbox.get(item.id)!.status).toBe('sending');
    const changes = outboxChanges();
    const sender = new OutboxSender({ outbox, storeFor: () => store, onChange: changes.onChange });
    sender.start();
    await outboxDrained(() => outbox.counts(), changes.subscribe, 5000);
    await sender.stop();
    expect(outbox.get(item.id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('retry now: due immediately; a missing item is OUTBOX_ITEM_MISSING', async () => {
    const f = fixture(new ScriptedStore(['CLOUD_UNAVAILABLE']));
    const { item } = await f.service.submit(f.ctx, [{ kind: 'note', text: 'x' }]);
    await f.sender.sendDue();
    expect(f.outbox.due()).toHaveLength(0);
    expect(f.service.retry(item.id).nextAttemptAt).toBe('2026-03-01T10:00:00.000Z');
    expect(await f.sender.sendDue()).toEqual([{ id: item.id, status: 'sent' }]);
    expect(() => f.service.retry(999)).toThrow('OUTBOX_ITEM_MISSING');
    expect(f.service.list()).toMatchObject({ counts: { sent: 1 }, items: [{ id: item.id, status: 'sent' }] });
  });

  it('the same addition enqueued twice stays one row', async () => {
    const f = fixture(new ScriptedStore());
    const { item } = await f.service.submit(f.ctx, [{ kind: 'note', text: 'x' }]);
    const due = f.outbox.due()[0]!;
    const again = f.outbox.enqueue({
      additionId: due.additionId,
      patientRef: 'p',
      target: due.target,
      objectKey: due.objectKey,
      body: due.body,
      kinds: {},
      clinician: due.clinician,
    });
    expect(again.id).toBe(item.id);
    expect(f.outbox.list()).toHaveLength(1);
  });

  it('purges sent items older than the cut-off', async () => {
    const f = fixture(new ScriptedStore());
    await f.service.submit(f.ctx, [{ kind: 'note', text: 'x' }]);
    await f.sender.sendDue();
    expect(f.outbox.purgeSent(new Date('2026-03-01T09:00:00Z'))).toBe(0);
    expect(f.outbox.purgeSent(new Date('2026-03-01T11:00:00Z'))).toBe(1);
  });
});
