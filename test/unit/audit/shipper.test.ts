import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { randomBytes } from 'node:crypto';
import {
  AuditShipper,
  auditSignerFromSeed,
  canonicalJson,
  chainIdOf,
  checkAuditSignature,
  entryHash,
  type AuditBatchObject,
  type AuditHeadObject,
  type AuditObjectStore,
} from '../../../main/audit/index';
import { auditFixture, clinician, recordWholeFlow, type AuditFixture } from './helpers';

let fx: AuditFixture;
afterEach(() => {
  vi.useRealTimers();
  fx?.close();
});

/**
 * An in-memory stand-in for the S3 bucket (the real one is exercised in
 * test/integration/audit/shipping.test.ts): `mode` makes the next puts fail before or after storing.
 */
function fakeBucket() {
  const objects = new Map<string, Buffer>();
  const puts: string[] = [];
  const metas: Record<string, string>[] = [];
  const state = { mode: 'ok' as 'ok' | 'offline' | 'lost-response' | 'denied' };
  const store: AuditObjectStore = {
    putObject: (async (bucket: string, key: string, body: Buffer, _size: number, meta: Record<string, string>) => {
      puts.push(key);
      metas.push(meta);
      // S3 conditional put, as RGW and MinIO answer it.
      if (meta['If-None-Match'] === '*' && objects.has(`${bucket}/${key}`))
        throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
          code: 'PreconditionFailed',
        });
      if (state.mode === 'offline')
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
      if (state.mode === 'denied') throw Object.assign(new Error('Access Denied'), { code: 'AccessDenied' });
      objects.set(`${bucket}/${key}`, Buffer.from(body));
      if (state.mode === 'lost-response') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      return { etag: 'x', versionId: null };
    }) as AuditObjectStore['putObject'],
  };
  return { objects, puts, metas, state, store };
}

function batches(objects: Map<string, Buffer>): AuditBatchObject[] {
  return [...objects.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, v]) => JSON.parse(v.toString()) as AuditBatchObject);
}

describe('audit shipping (real SQLite file, in-memory bucket)', () => {
  it('ships batches under idempotent keys and marks them shipped; the objects verify on their own', async () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const bucket = fakeBucket();
    const shipper = new AuditShipper({
      db: fx.db,
      workstationId: 'ws-er-01',
      bucket: 'audit',
      client: async () => bucket.store,
      batchSize: 4,
    });
    expect(shipper.pendingCount()).toBe(11);
    expect(await shipper.shipNow()).toEqual({ shipped: 11, batches: 3, pending: 0, error: null, head: null });
    const chain = chainIdOf(fx.db);
    expect(chain).toMatch(/^[0-9a-f]{32}$/);
    expect([...bucket.objects.keys()]).toEqual([
      `audit/audit/ws-er-01/${chain}/000000000001-000000000004.json`,
      `audit/audit/ws-er-01/${chain}/000000000005-000000000008.json`,
      `audit/audit/ws-er-01/${chain}/000000000009-000000000011.json`,
    ]);
    // Anyone holding the objects can recompute the chain.
    let prev = '0'.repeat(64);
    for (const b of batches(bucket.objects)) {
      for (const e of b.entries) {
        expect(e.prevHash).toBe(prev);
        expect(entryHash(prev, canonicalJson(e.entry))).toBe(e.entryHash);
        prev = e.entryHash;
      }
    }
    expect(await shipper.shipNow()).toEqual({ shipped: 0, batches: 0, pending: 0, error: null, head: null });
    expect(bucket.puts).toHaveLength(3);
    // The audit bucket's owner must be able to read what the emergency role wrote; nothing is ever replaced.
    expect(bucket.metas[0]).toEqual({
      'Content-Type': 'application/json',
      'x-amz-acl': 'bucket-owner-full-control',
      'If-None-Match': '*',
    });
  });

  it('survives offline: nothing is marked, and the next run ships everything once', async () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const bucket = fakeBucket();
    const shipper = new AuditShipper({
      db: fx.db,
      workstationId: 'ws-er-01',
      bucket: 'audit',
      client: async () => bucket.store,
      batchSize: 5,
    });
    bucket.state.mode = 'offline';
    expect(await shipper.shipNow()).toEqual({
      shipped: 0,
      batches: 0,
      pending: 11,
      error: { code: 'CLOUD_UNAVAILABLE' },
      head: null,
    });
    fx.trail.qrScanned({ clinician, source: 'wedge' });
    bucket.state.mode = 'ok';
    expect(await shipper.shipNow()).toMatchObject({ shipped: 12, pending: 0, error: null });
    // The batch planned while offline is re-sent as planned (1-5); new entries follow.
    expect([...bucket.objects.keys()].map((k) => k.split('/').pop())).toEqual([
      '000000000001-000000000005.json',
      '000000000006-000000000010.json',
      '000000000011-000000000012.json',
    ]);
    expect(batches(bucket.objects).flatMap((b) => b.entries.map((e) => e.seq))).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
  });

  it('a retry after a lost response asks for the same key (the conditional put answers 412: confirmed, not replaced)', async () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const bucket = fakeBucket();
    const signer = auditSignerFromSeed(randomBytes(32));
    const shipper = new AuditShipper({
      db: fx.db,
      workstationId: 'ws-er-01',
      bucket: 'audit',
      client: async () => bucket.store,
      batchSize: 100,
      signer,
      now: fx.now,
    });
    const chain = chainIdOf(fx.db);
    bucket.state.mode = 'lost-response';
    expect((await shipper.shipNow()).error).toEqual({ code: 'CLOUD_UNAVAILABLE' });
    const first = bucket.objects.get(`audit/audit/ws-er-01/${chain}/000000000001-000000000011.json`)!;
    fx.trail.certificateChecked({ clinician });
    bucket.state.mode = 'ok';
    expect(await shipper.shipNow()).toMatchObject({ shipped: 12, batches: 2, error: null, head: { seq: 12 } });
    expect(bucket.puts.slice(0, 3)).toEqual([
      `audit/ws-er-01/${chain}/000000000001-000000000011.json`,
      `audit/ws-er-01/${chain}/000000000001-000000000011.json`,
      `audit/ws-er-01/${chain}/000000000012-000000000012.json`,
    ]);
    expect(bucket.objects.get(`audit/audit/ws-er-01/${chain}/000000000001-000000000011.json`)!.equals(first)).toBe(
      true,
    );
  });

  it('signs every batch and head with the workstation key (Ed25519); a changed byte or another key fails', async () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const bucket = fakeBucket();
    const signer = auditSignerFromSeed(randomBytes(32));
    const shipper = new AuditShipper({
      db: fx.db,
      workstationId: 'ws-er-01',
      bucket: 'audit',
      client: async () => bucket.store,
      batchSize: 4,
      signer,
      now: fx.now,
    });
    expect(await shipper.shipNow()).toMatchObject({ shipped: 11, batches: 3, head: { seq: 11 } });
    const objects = [...bucket.objects.entries()].map(
      ([k, v]) => [k, JSON.parse(v.toString()) as AuditBatchObject | AuditHeadObject] as const,
    );
    expect(objects).toHaveLength(4);
    for (const [, o] of objects) {
      expect(checkAuditSignature(o)).toBe('valid');
      expect(checkAuditSignature(o, signer.publicKey)).toBe('valid');
      expect(checkAuditSignature(o, auditSignerFromSeed(randomBytes(32)).publicKey)).toBe('key-not-pinned');
    }
    const [, batch] = objects[0]!;
    expect(checkAuditSignature({ ...batch, firstSeq: 2 })).toBe('invalid');
    const { signature: _s, ...unsigned } = batch;
    expect(checkAuditSignature(unsigned)).toBe('missing');
    const head = objects.find(([k]) => k.includes('/heads/'))![1] as AuditHeadObject;
    expect(head).toMatchObject({
      format: 'hcp-audit-head',
      chainId: chainIdOf(fx.db),
      seq: 11,
      workstationId: 'ws-er-01',
    });
  });

  it('ships a head after new entries and, when idle, again after the head interval (never the same name twice)', async () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const bucket = fakeBucket();
    const signer = auditSignerFromSeed(randomBytes(32));
    const shipper = new AuditShipper({
      db: fx.db,
      workstationId: 'ws',
      bucket: 'audit',
      client: async () => bucket.store,
      signer,
      now: fx.now,
      headIntervalMs: 60_000,
    });
    expect((await shipper.shipNow()).head?.seq).toBe(11);
    fx.advance(30_000);
    expect((await shipper.shipNow()).head).toBeNull(); // idle, inside the interval
    fx.advance(31_000);
    expect((await shipper.shipNow()).head?.seq).toBe(11); // idle, interval passed: a fresh head
    fx.trail.qrScanned({ clinician, source: 'wedge' });
    expect((await shipper.shipNow()).head?.seq).toBe(12); // new entry: at once
    const heads = [...bucket.objects.keys()].filter((k) => k.includes('/heads/'));
    expect(heads).toHaveLength(3);
    expect(new Set(heads).size).toBe(3);
    expect(bucket.puts.filter((k) => k.includes('/heads/'))).toHaveLength(3);
  });

  it('maps refusals and credential failures to typed errors and keeps the entries', async () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const bucket = fakeBucket();
    bucket.state.mode = 'denied';
    const denied = new AuditShipper({
      db: fx.db,
      workstationId: 'ws',
      bucket: 'audit',
      client: async () => bucket.store,
    });
    expect((await denied.shipNow()).error).toEqual({ code: 'CLOUD_ACCESS_DENIED' });
    const noCreds = new AuditShipper({
      db: fx.db,
      workstationId: 'ws',
      bucket: 'audit',
      client: async () => Promise.reject(new Error('sts down')),
    });
    expect(await noCreds.shipNow()).toMatchObject({
      shipped: 0,
      pending: 11,
      error: { code: 'CLOUD_CREDENTIALS_FAILED' },
    });
    const expired = new AuditShipper({
      db: fx.db,
      workstationId: 'ws',
      bucket: 'audit',
      client: async () => Promise.reject(new WorkstationError('CLOUD_CREDENTIALS_EXPIRED')),
    });
    expect((await expired.shipNow()).error).toEqual({ code: 'CLOUD_CREDENTIALS_EXPIRED' });
  });

  it('retries on its interval until the bucket is reachable, and joins concurrent runs', async () => {
    vi.useFakeTimers();
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const bucket = fakeBucket();
    bucket.state.mode = 'offline';
    const shipper = new AuditShipper({
      db: fx.db,
      workstationId: 'ws',
      bucket: 'audit',
      client: async () => bucket.store,
      intervalMs: 30_000,
    });
    expect(shipper.shipNow()).toBe(shipper.shipNow());
    shipper.start();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(shipper.pendingCount()).toBe(11);
    bucket.state.mode = 'ok';
    await vi.advanceTimersByTimeAsync(30_000);
    expect(shipper.pendingCount()).toBe(0);
    await shipper.stop();
  });
});
