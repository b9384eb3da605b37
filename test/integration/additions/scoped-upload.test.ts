/**
 * An addition with a multi-MB attachment through the emergency-access session (the scoped STS
 * credentials: PutObject on pending/<patient>/<workstation>/* only) on the real RGW: the attachment
 * object goes multipart (above the client's 64 MiB part size) under that policy, the upload resumes
 * after a restart without sending an object twice, and the patient's side verifies what arrived.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HospitalConfig } from '../../../common/config/schema';
import { WorkstationError } from '../../../common/errors';
import { attachmentObjectKey } from '../../../main/additions/attachments';
import { signDetachedJws } from '../../../main/additions/jws';
import { Outbox } from '../../../main/additions/outbox';
import { pendingObjectKey } from '../../../main/additions/pending';
import { OutboxSender } from '../../../main/additions/sender';
import { AdditionsService } from '../../../main/additions/service';
import { openDatabase } from '../../../main/cache/database';
import { CloudAccess, type ClinicianAccess, type ObjectStore } from '../../../main/cloud/index';
import { generateMasterKey } from '../../../main/crypto/keys';
import { listPendingAdditions } from '../../../scripts/simulator/review';
import { hriTokenSha256, registerCitizen, startAccessServer, type AccessServer } from '../../../scripts/sandbox/index';
import { createChain, issueCrl } from '../../support/test-ca/index';
import { listKeys, newCitizenId, patientClient } from './support';

const sandbox = inject('sandbox');
const WORKSTATION = 'ws-scoped-it';
const dir = mkdtempSync(join(tmpdir(), 'hcp-scoped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('an addition with a large attachment under the emergency session policy', () => {
  const chain = createChain({ levels: 3, key: 'p256', prefix: 'Scoped IT' });
  const prover: ClinicianAccess = {
    fingerprint: chain.leaf.cert.fingerprint,
    prove: (claims) =>
      signDetachedJws(
        claims,
        {
          privateKey: chain.leaf.key.privateKey,
          certificates: [chain.leaf.der, ...chain.intermediates.map((c) => c.der)],
        },
        new Date(),
      ),
    tls: () => {
      throw new Error('not used');
    },
  };
  const patient = { citizenId: newCitizenId(), hriToken: randomBytes(16).toString('base64url') };
  const other = newCitizenId();
  let server: AccessServer;
  let access: CloudAccess;

  const trust = {
    anchors: [chain.root.pem],
    crls: [issueCrl({ issuer: chain.root }).der, issueCrl({ issuer: chain.intermediates[0]! }).der],
  };

  beforeAll(async () => {
    server = await startAccessServer({
      stsEndpoint: sandbox.workstation.stsEndpoint,
      region: sandbox.s3.region,
      accessKey: sandbox.workstation.accessKey,
      secretKey: sandbox.workstation.secretKey,
      roleArn: sandbox.workstation.roleArn,
      buckets: sandbox.buckets,
      hriUrl: sandbox.hri.url,
      trust: () => trust,
    });
    await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, patient.citizenId, {
      hriTokenSha256: hriTokenSha256(patient.hriToken),
      sealed: randomBytes(40).toString('base64url'),
    });
    const cloud: HospitalConfig['cloud'] = {
      defaultEndpoint: sandbox.s3.endpoint,
      region: sandbox.s3.region,
      buckets: sandbox.buckets,
      credentials: { kind: 'emergency-access', endpoint: server.url },
      concurrency: 2,
      timeoutMs: 30_000,
    } as HospitalConfig['cloud'];
    access = new CloudAccess({
      cloud,
      mode: 'production',
      workstationId: WORKSTATION,
      now: () => new Date(),
      clinician: () => prover,
    });
    await access.patientStore({
      patientRef: 'scoped',
      ...patient,
      location: {
        endpoint: sandbox.s3.endpoint,
        region: sandbox.s3.region,
        bucket: sandbox.buckets.ehr,
        prefix: patient.citizenId,
      },
    });
  });
  afterAll(async () => {
    access?.close();
    await server?.close();
  });

  it('arrives (multipart under the session policy), resumes after a restart without a second put, and the patient side verifies it', async () => {
    const store = access.uploadStore({ endpoint: sandbox.s3.endpoint, region: sandbox.s3.region }, 'scoped');
    // The session policy: this patient's and workstation's folder only (a streamed, multipart body too).
    const big = () => Readable.from([randomBytes(1024 * 1024)]);
    await expect(
      store.put(sandbox.buckets.pending, `${other}/${WORKSTATION}/${'1'.repeat(32)}.hcpa`, big(), {
        size: 1024 * 1024,
      }),
    ).rejects.toMatchObject({ code: 'CLOUD_ACCESS_DENIED' });

    const file = join(dir, 'ws.sqlite');
    const spoolDir = join(dir, 'outbox');
    const ctx = {
      credential: {
        privateKey: () => chain.leaf.key.privateKey,
        certificate: chain.leaf.cert,
        chain: chain.intermediates.map((c) => c.cert),
      },
      author: { name: 'Dr Scoped', registration: 'GR-5', certFingerprint: chain.leaf.cert.fingerprint },
      citizenId: patient.citizenId,
      masterKey: generateMasterKey(),
      patientRef: 'scoped',
      patient: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000077' },
      target: { endpoint: sandbox.s3.endpoint, region: sandbox.s3.region, bucket: sandbox.buckets.pending },
    };
    const first = openDatabase(file).db;
    const outbox = new Outbox(first, { spoolDir });
    const service = new AdditionsService({
      outbox,
      sender: null,
      workstation: { id: WORKSTATION },
      stagingDir: join(dir, 'staging'),
      limits: { attachmentMaxBytes: 200 * 1024 * 1024, submissionMaxBytes: 200 * 1024 * 1024 },
    });
    const scan = randomBytes(70 * 1024 * 1024 + 3); // above the 64 MiB part size: multipart
    const note = randomBytes(2 * 1024 * 1024);
    const a = await service.stageBuffer(ctx, 'application/pdf', scan);
    const b = await service.stageBuffer(ctx, 'image/png', note);
    const { additionId, item } = await service.submit(ctx, [
      { kind: 'attachment', title: 'CT report', contentType: 'application/pdf', stagingId: a },
      { kind: 'attachment', title: 'Photo', contentType: 'image/png', stagingId: b },
    ]);
    const additionKey = pendingObjectKey(patient.citizenId, additionId, WORKSTATION);

    // 1. The first attempt: the large attachment goes up, then the process "dies" before the rest.
    const puts: string[] = [];
    let dieAfter = 1;
    const dying: ObjectStore = {
      ...store,
      exists: (bucket, key, o) => store.exists(bucket, key, o),
      put: async (bucket, key, body, o) => {
        if (dieAfter-- <= 0) throw new WorkstationError('CLOUD_UNAVAILABLE');
        puts.push(key);
        return store.put(bucket, key, body, o);
      },
    };
    const sender1 = new OutboxSender({ outbox, storeFor: () => dying });
    expect((await sender1.sendDue())[0]).toMatchObject({ status: 'failed', code: 'CLOUD_UNAVAILABLE' });
    first.close();

    // 2. Restart: a new database handle and sender; only what is not up yet is sent.
    const second = openDatabase(file).db;
    const outbox2 = new Outbox(second, { spoolDir });
    outbox2.retryNow(item.id);
    const counting: ObjectStore = {
      ...store,
      exists: (bucket, key, o) => store.exists(bucket, key, o),
      put: async (bucket, key, body, o) => {
        puts.push(key);
        return store.put(bucket, key, body, o);
      },
    };
    const sender2 = new OutboxSender({ outbox: outbox2, storeFor: () => counting });
    expect((await sender2.sendDue())[0]).toMatchObject({ status: 'sent' });
    expect(new Set(puts).size).toBe(puts.length); // no object put twice
    expect(puts).toHaveLength(3);
    expect(puts[2]).toBe(additionKey); // the addition last
    second.close();

    // 3. The patient's side: the addition verifies, both attachment objects as signed.
    const client = patientClient(sandbox);
    const pending = await listPendingAdditions({
      client,
      pendingBucket: sandbox.buckets.pending,
      patient: {
        citizenId: patient.citizenId,
        masterKey: ctx.masterKey,
        ehrBucket: sandbox.buckets.ehr,
        prefix: patient.citizenId,
      },
      trustAnchors: [chain.root.pem],
      policy: { revocation: 'off' },
    });
    expect(pending).toHaveLength(1);
    expect(pending[0]!.error).toBeNull();
    expect(pending[0]!.verification!.valid).toBe(true);
    expect(pending[0]!.attachments.map((x) => x.ref.size)).toEqual([scan.length, note.length]);
    const keys = await listKeys(client, sandbox.buckets.pending, `${patient.citizenId}/`);
    expect(keys).toEqual(
      [additionKey, ...pending[0]!.attachments.map((x) => attachmentObjectKey(additionKey, x.ref.attachmentId))].sort(),
    );
    for (const k of keys) await client.removeObject(sandbox.buckets.pending, k);
  }, 300_000);
});
