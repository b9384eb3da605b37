/**
 * The outbox on the real RGW with the workstation's real (STS role) credentials: N additions are
 * committed by a child process that is SIGKILLed in the middle of an upload; a restarted sender then
 * delivers them through a proxy that answers some PUTs with 503 and cuts one mid-body. Every
 * addition must be in the pending bucket exactly once (one object under its content-addressed key,
 * decrypting and verifying), none lost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Outbox } from '../../../main/additions/outbox';
import { pendingObjectKey } from '../../../main/additions/pending';
import { OutboxSender } from '../../../main/additions/sender';
import { outboxChanges, outboxDrained } from '../../support/outbox';
import { AdditionsService } from '../../../main/additions/service';
import { AuditTrail } from '../../../main/audit/trail';
import { openDatabase } from '../../../main/cache/database';
import { generateMasterKey } from '../../../main/crypto/keys';
import { createChain } from '../../support/test-ca/certificates';
import { startFaultProxy } from './fault-proxy';
import { patientClient, listKeys, newCitizenId, nthAddition, storeCache } from './support';
import { listPendingAdditions } from '../../../scripts/simulator/review';

const sandbox = inject('sandbox');
const dir = mkdtempSync(join(tmpdir(), 'hcp-outbox-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Checks the bucket against what was submitted; returns the line the issue asks for. */
/**
 * What the patient's side finds (the simulator's review, scripts/simulator/review.ts): every
 * submitted addition exactly once, each verifying with every attachment object it names checked
 * against the signed digests, and no object besides them.
 */
async function deliveryReport(
  citizenId: string,
  masterKey: Buffer,
  submitted: string[],
  rootPem: string,
  workstationId: string,
): Promise<string> {
  const client = patientClient(sandbox);
  const pending = await listPendingAdditions({
    client,
    pendingBucket: sandbox.buckets.pending,
    patient: { citizenId, masterKey, ehrBucket: sandbox.buckets.ehr, prefix: citizenId },
    trustAnchors: [rootPem],
    policy: { revocation: 'off' },
  });
  for (const p of pending) expect(p.verification?.valid, `${p.key}: ${JSON.stringify(p.error)}`).toBe(true);
  const expected = submitted.map((id) => pendingObjectKey(citizenId, id, workstationId)).sort();
  const arrived = pending.map((p) => p.key).sort();
  expect(arrived).toEqual(expected); // nothing missing, nothing extra, no second copy under another name
  const attachments = pending.flatMap((p) => p.attachments.map((a) => a.key));
  expect(attachments.length).toBeGreaterThanOrEqual(submitted.length); // each test addition has its photo
  expect(await listKeys(client, sandbox.buckets.pending, `${citizenId}/`)).toEqual([...arrived, ...attachments].sort());
  const lost = expected.filter((k) => !arrived.includes(k)).length;
  return `${submitted.length} submitted, ${arrived.length} arrived once each (with ${attachments.length} attachment objects, digests checked), ${lost} lost`;
}

describe('additions outbox on the real RGW', () => {
  it('the role that uploads additions cannot write the ehr bucket', async () => {
    const stores = storeCache(sandbox);
    const store = stores.storeFor({ endpoint: sandbox.s3.endpoint });
    await expect(
      store.put(sandbox.buckets.ehr, `${newCitizenId()}/manifest.hcpc`, Buffer.from('x')),
    ).rejects.toMatchObject({ code: 'CLOUD_ACCESS_DENIED' });
    await expect(store.put(sandbox.buckets.pending, `${newCitizenId()}/probe`, Buffer.from('x'))).resolves.toBeTruthy();
    stores.close();
  });

  it('submit -> sent: the object arrives encrypted under its content-addressed key, and the upload is audited', async () => {
    const { db } = openDatabase(join(dir, 'simple.sqlite'));
    const outbox = new Outbox(db, { spoolDir: join(dir, 'simple-outbox') });
    const audit = new AuditTrail({ db, workstationId: 'ws-it' });
    const stores = storeCache(sandbox);
    const changes = outboxChanges();
    const sender = new OutboxSender({ outbox, storeFor: stores.storeFor, audit, onChange: changes.onChange });
    const service = new AdditionsService({
      outbox,
      sender,
      workstation: { id: 'ws-it' },
      stagingDir: join(dir, 'simple-staging'),
    });
    const chain = createChain({ levels: 3, key: 'rsa2048', prefix: 'IT' });
    const citizenId = newCitizenId();
    const masterKey = generateMasterKey();
    sender.start();
    const ids: string[] = [];
    for (const i of [1, 2, 3])
      ids.push(
        (
          await service.submit(
            {
              credential: {
                privateKey: () => chain.leaf.key.privateKey,
                certificate: chain.leaf.cert,
                chain: chain.intermediates.map((c) => c.cert),
              },
              author: { name: 'Dr IT', registration: 'GR-1', certFingerprint: chain.leaf.cert.fingerprint },
              citizenId,
              masterKey,
              patientRef: 'it-patient',
              patient: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' },
              target: { endpoint: sandbox.s3.endpoint, region: sandbox.s3.region, bucket: sandbox.buckets.pending },
            },
            await nthAddition(service, { citizenId, masterKey }, i, 2000),
          )
        ).additionId,
      );
    await outboxDrained(() => outbox.counts(), changes.subscribe, 30_000);
    await sender.stop();
    console.log(await deliveryReport(citizenId, masterKey, ids, chain.root.pem, 'ws-it'));
    const audited = audit.entries().filter((e) => e.event.subtype?.some((s) => s.code === 'addition-submitted'));
    expect(audited).toHaveLength(3);
    stores.close();
    db.close();
  });

  it('kill -9 mid-upload, restart, a cut connection and 503s: N submitted, N arrived once each, 0 lost', async () => {
    const N = 10;
    const proxy = await startFaultProxy(sandbox.s3.endpoint);
    const dbFile = join(dir, 'kill.sqlite');
    const rootPemFile = join(dir, 'child-root.pem');
    const citizenId = newCitizenId();
    const masterKey = generateMasterKey();
    proxy.throttle(200 * 1024);

    // 1. The "app": commits N additions, starts sending, and is killed in the middle of an upload.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'outbox-child.ts'),
        JSON.stringify({
          dbFile,
          rootPemFile,
          proxyUrl: proxy.url,
          n: N,
          photoBytes: 120_000,
          citizenId,
          masterKeyHex: masterKey.toString('hex'),
          sandbox,
        }),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const committed: string[] = [];
    let sentBeforeKill = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('committed ')) committed.push(line.slice(10));
        if (line.startsWith('sent ')) sentBeforeKill++;
      }
    });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, signal) => resolve(signal ?? code)),
    );
    const deadline = Date.now() + 90_000;
    // Kill once two additions are through and another upload is well under way.
    while (!(sentBeforeKill >= 2 && [...proxy.inFlight.values()].some((f) => f.bytes > 32 * 1024))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`child did not reach mid-upload (sent ${sentBeforeKill}, exit ${child.exitCode}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(committed).toHaveLength(N);

    // What the kill left behind: every addition committed, some sent, one interrupted mid-upload.
    const { db } = openDatabase(dbFile);
    const outbox = new Outbox(db, { spoolDir: `${dbFile}.outbox` }); // the child's spool (its attachments)
    const left = outbox.counts();
    expect(left.queued + left.sending + left.sent + left['failed-retrying']).toBe(N);
    expect(left.sending).toBeGreaterThanOrEqual(1);
    expect(left.sent).toBeLessThan(N);

    // 2. Restart, through a network that answers every 3rd PUT with 503 and cuts one upload mid-body.
    proxy.throttle(0);
    proxy.failEveryNthPut(3);
    proxy.cutNextPutAfter(40_000);
    const stores = storeCache(sandbox);
    const audit = new AuditTrail({ db, workstationId: 'ws-kill-test' });
    const changes = outboxChanges();
    const sender = new OutboxSender({
      outbox,
      storeFor: stores.storeFor,
      audit,
      backoff: { baseMs: 100, maxMs: 500 },
      onChange: changes.onChange,
    });
    sender.start();
    await outboxDrained(() => outbox.counts(), changes.subscribe, 90_000);
    await sender.stop();
    expect(outbox.counts()).toEqual({ queued: 0, sending: 0, sent: N, 'failed-retrying': 0 });
    expect(proxy.injected.cut).toBe(1);
    expect(proxy.injected.unavailable).toBeGreaterThanOrEqual(1);
    const retried = outbox.list().filter((i) => i.attempts > 1).length;
    expect(retried).toBeGreaterThanOrEqual(2);

    const line = await deliveryReport(
      citizenId,
      masterKey,
      committed,
      readFileSync(rootPemFile, 'utf8'),
      'ws-kill-test',
    );
    const rewrites = [...proxy.putsStored.values()].filter((n) => n > 1).length;
    console.log(
      `${line}  [faults: kill -9 after ${sentBeforeKill} sent with ${left.sending} mid-upload; ${proxy.injected.unavailable} x 503; ${proxy.injected.cut} connection cut mid-body; ${retried} items retried; ${rewrites} keys written twice with identical bytes]`,
    );
    expect(line).toBe(`${N} submitted, ${N} arrived once each (with ${N} attachment objects, digests checked), 0 lost`);
    stores.close();
    db.close();
    await proxy.close();
  });
});
