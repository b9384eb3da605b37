import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Minio from 'minio';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuditShipper,
  AuditTrail,
  canonicalJson,
  chainIdOf,
  entryHash,
  type AuditBatchObject,
  type AuditClinician,
} from '../../../main/audit/index';
import { openDatabase, type Db } from '../../../main/cache/database';
import { startCuttingProxy, type CuttingProxy } from '../cloud/cutting-proxy';
import { readAll, sandbox, workstationCredentials } from '../cloud/helpers';

const clinician: AuditClinician = { name: 'Dr Test', registration: 'GR-MED-1', certFingerprint: 'cd'.repeat(32) };
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function fixture(workstationId: string): { db: Db; trail: AuditTrail } {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-it-audit-'));
  const { db } = openDatabase(join(dir, 'workstation.sqlite'));
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, trail: new AuditTrail({ db, workstationId }) };
}

function flow(trail: AuditTrail, n: number): void {
  for (let i = 0; i < n; i++) {
    trail.qrScanned({ clinician, source: 'wedge' });
    trail.objectDownloaded({ clinician, patientRef: 'f'.repeat(32), bucket: 'ehr', objectKey: `p/obj-${i}`, bytes: i });
  }
}

/** A minio Client for the workstation's emergency role (temporary STS credentials), optionally through another endpoint. */
function roleClientFactory(endpoint = sandbox().s3.endpoint): () => Promise<Minio.Client> {
  const credentials = workstationCredentials();
  return async () => {
    const c = await credentials.get();
    const url = new URL(endpoint);
    return new Minio.Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: c.accessKey,
      secretKey: c.secretKey,
      sessionToken: c.sessionToken,
      region: sandbox().s3.region,
    });
  };
}

/** The admin's view of the audit bucket (the workstation role may write there but not read). */
function adminClient(): Minio.Client {
  const s = sandbox();
  const url = new URL(s.s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: s.s3.admin.accessKey,
    secretKey: s.s3.admin.secretKey,
    region: s.s3.region,
  });
}

async function shippedObjects(workstationId: string): Promise<{ key: string; body: AuditBatchObject }[]> {
  const admin = adminClient();
  const keys: string[] = [];
  for await (const o of admin.listObjectsV2(sandbox().buckets.audit, `audit/${workstationId}/`, true))
    if (o.name) keys.push(o.name);
  keys.sort();
  return Promise.all(
    keys.map(async (key) => ({
      key,
      body: JSON.parse(
        (await readAll(await admin.getObject(sandbox().buckets.audit, key))).toString(),
      ) as AuditBatchObject,
    })),
  );
}

function expectChainVerifies(objects: { body: AuditBatchObject }[], count: number): void {
  let prev = '0'.repeat(64);
  const seqs: number[] = [];
  for (const { body } of objects) {
    for (const e of body.entries) {
      expect(e.prevHash).toBe(prev);
      expect(entryHash(prev, canonicalJson(e.entry))).toBe(e.entryHash);
      prev = e.entryHash;
      seqs.push(e.seq);
    }
  }
  expect(seqs).toEqual(Array.from({ length: count }, (_, i) => i + 1));
}

describe('audit shipping to the real RGW audit bucket', () => {
  it('ships batches with the emergency role (minio Client factory); the bucket holds a verifiable chain', async () => {
    const ws = `it-ws-${randomBytes(4).toString('hex')}`;
    const { db, trail } = fixture(ws);
    flow(trail, 5);
    const shipper = new AuditShipper({
      db,
      workstationId: ws,
      bucket: sandbox().buckets.audit,
      client: roleClientFactory(),
      batchSize: 4,
    });
    expect(await shipper.shipNow()).toEqual({ shipped: 10, batches: 3, pending: 0, error: null, head: null });
    const objects = await shippedObjects(ws);
    expect(objects.map((o) => o.key)).toEqual([
      `audit/${ws}/${chainIdOf(db)}/000000000001-000000000004.json`,
      `audit/${ws}/${chainIdOf(db)}/000000000005-000000000008.json`,
      `audit/${ws}/${chainIdOf(db)}/000000000009-000000000010.json`,
    ]);
    expectChainVerifies(objects, 10);
    expect(JSON.stringify(objects)).not.toContain(clinician.certFingerprint.toUpperCase());
  });

  it('survives offline (nothing marked), then ships each entry once', async () => {
    const ws = `it-ws-${randomBytes(4).toString('hex')}`;
    const { db, trail } = fixture(ws);
    flow(trail, 3);
    const bucket = sandbox().buckets.audit;
    const offline = new AuditShipper({
      db,
      workstationId: ws,
      bucket,
      client: roleClientFactory('http://127.0.0.1:9'),
      batchSize: 4,
    });
    expect(await offline.shipNow()).toMatchObject({ shipped: 0, pending: 6, error: { code: 'CLOUD_UNAVAILABLE' } });
    flow(trail, 1);
    const online = new AuditShipper({ db, workstationId: ws, bucket, client: roleClientFactory(), batchSize: 4 });
    expect(await online.shipNow()).toEqual({ shipped: 8, batches: 2, pending: 0, error: null, head: null });
    const objects = await shippedObjects(ws);
    expect(objects.map((o) => o.key.split('/').pop())).toEqual([
      '000000000001-000000000004.json',
      '000000000005-000000000008.json',
    ]);
    expectChainVerifies(objects, 8);
  });

  it('a response lost after the object was stored: the retry asks for the same key (412: our earlier put landed), nothing is duplicated or replaced', async () => {
    const ws = `it-ws-${randomBytes(4).toString('hex')}`;
    const { db, trail } = fixture(ws);
    flow(trail, 2);
    const proxy: CuttingProxy = await startCuttingProxy(sandbox().s3.endpoint);
    cleanups.push(() => proxy.close());
    const bucket = sandbox().buckets.audit;
    const shipper = new AuditShipper({
      db,
      workstationId: ws,
      bucket,
      client: roleClientFactory(proxy.url),
      batchSize: 100,
    });
    proxy.cutOnceAfter(0);
    const first = await shipper.shipNow();
    expect(first).toMatchObject({ shipped: 0, pending: 4 });
    expect(first.error?.code).toMatch(/^CLOUD_/);
    // The put reached the gateway before the response was cut.
    expect((await shippedObjects(ws)).map((o) => o.key)).toEqual([
      `audit/${ws}/${chainIdOf(db)}/000000000001-000000000004.json`,
    ]);
    flow(trail, 1);
    expect(await shipper.shipNow()).toEqual({ shipped: 6, batches: 2, pending: 0, error: null, head: null });
    const objects = await shippedObjects(ws);
    expect(objects.map((o) => o.key.split('/').pop())).toEqual([
      '000000000001-000000000004.json',
      '000000000005-000000000006.json',
    ]);
    expectChainVerifies(objects, 6);
  });

  it('the bucket owner can read what the role wrote; the workstation role cannot read the audit trail back', async () => {
    const ws = `it-ws-${randomBytes(4).toString('hex')}`;
    const { db, trail } = fixture(ws);
    flow(trail, 1);
    const factory = roleClientFactory();
    await new AuditShipper({ db, workstationId: ws, bucket: sandbox().buckets.audit, client: factory }).shipNow();
    const client = await factory();
    await expect(
      client.getObject(sandbox().buckets.audit, `audit/${ws}/${chainIdOf(db)}/000000000001-000000000002.json`),
    ).rejects.toMatchObject({ code: 'AccessDenied' });
  });
});
