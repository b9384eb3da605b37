/**
 * Outbox durability across a damaged database, on the real RGW with the workstation's real (STS
 * role) credentials and a real SQLite file: N additions are committed and not sent, the database is
 * damaged in one of three ways (zeroed header, random page writes, truncated file), and the
 * workstation's start-up path (openStorageWithOutbox) reopens it. Every addition must then arrive in
 * the pending bucket exactly once (decrypting and verifying), none lost, and the start-up report must
 * say how many were recovered.
 */
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { pendingObjectKey } from '../../../main/additions/pending';
import { openStorageWithOutbox } from '../../../main/additions/recovery';
import { OutboxSender } from '../../../main/additions/sender';
import { outboxChanges, outboxDrained } from '../../support/outbox';
import { AdditionsService } from '../../../main/additions/service';
import { AuditTrail } from '../../../main/audit/trail';
import { generateMasterKey } from '../../../main/crypto/keys';
import { createChain } from '../../support/test-ca/certificates';
import { listKeys, newCitizenId, nthAddition, patientClient, storeCache } from './support';
import { listPendingAdditions } from '../../../scripts/simulator/review';

const sandbox = inject('sandbox');
const root = mkdtempSync(join(tmpdir(), 'hcp-outbox-corrupt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const chain = createChain({ levels: 3, key: 'p256', prefix: 'CORRUPT' });

/** A small deterministic PRNG (xorshift32), so a failing damage pattern can be replayed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

type Mode = 'zeroed header' | 'random page writes' | 'truncated file';

function damage(file: string, mode: Mode): string {
  const size = statSync(file).size;
  const fd = openSync(file, 'r+');
  try {
    if (mode === 'zeroed header') {
      writeSync(fd, Buffer.alloc(100), 0, 100, 0);
      return 'first 100 bytes zeroed';
    }
    if (mode === 'random page writes') {
      const pages = Math.floor(size / 4096);
      const random = prng(0x5eed17);
      const hit = new Set<number>();
      while (hit.size < Math.max(4, Math.floor(pages / 4))) hit.add(1 + Math.floor(random() * (pages - 1))); // page 0 (the header) left intact
      for (const p of hit) {
        const junk = Buffer.alloc(4096);
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(random() * 256);
        writeSync(fd, junk, 0, junk.length, p * 4096);
      }
      return `${hit.size} of ${pages} pages overwritten with random bytes`;
    }
  } finally {
    closeSync(fd);
  }
  truncateSync(file, Math.floor(size * 0.4));
  return `truncated from ${size} to ${Math.floor(size * 0.4)} bytes`;
}

describe('outbox across a damaged database (real SQLite file, real RGW)', () => {
  for (const mode of ['zeroed header', 'random page writes', 'truncated file'] as const) {
    it(`${mode}: N unsent additions -> N arrive once each`, async () => {
      const N = 12;
      const dataDir = mkdtempSync(join(root, 'ws-'));
      const file = join(dataDir, 'workstation.sqlite');
      const spoolDir = join(dataDir, 'outbox');
      const citizenId = newCitizenId();
      const masterKey = generateMasterKey();

      // 1. The app commits N additions; none is sent (the cloud is away).
      const first = openStorageWithOutbox({ file, spoolDir });
      const service = new AdditionsService({
        outbox: first.outbox,
        sender: null,
        workstation: { id: 'ws-corrupt' },
        stagingDir: join(dataDir, 'staging'),
      });
      const submitted: string[] = [];
      for (let i = 0; i < N; i++)
        submitted.push(
          (
            await service.submit(
              {
                credential: {
                  privateKey: () => chain.leaf.key.privateKey,
                  certificate: chain.leaf.cert,
                  chain: chain.intermediates.map((c) => c.cert),
                },
                author: { name: 'Dr Corrupt', registration: 'GR-9', certFingerprint: chain.leaf.cert.fingerprint },
                citizenId,
                masterKey,
                patientRef: 'corrupt-patient',
                patient: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000009' },
                target: { endpoint: sandbox.s3.endpoint, region: sandbox.s3.region, bucket: sandbox.buckets.pending },
              },
              await nthAddition(service, { citizenId, masterKey }, i + 1, i === 0 ? 3 * 1024 * 1024 : 24_000),
            )
          ).additionId,
        );
      expect(first.outbox.counts().queued).toBe(N);
      first.db.close();
      expect(existsSync(`${file}-wal`)).toBe(false); // checkpointed: all rows are in the main file that is damaged

      // 2. The disk damages the database.
      const how = damage(file, mode);

      // 3. Start-up: the database is quarantined or repaired, the outbox rebuilt from the spool.
      const second = openStorageWithOutbox({ file, spoolDir });
      const { report } = second;
      expect(report.outbox.unrecoverable).toBe(0);
      expect(report.outbox.waiting).toBe(N);
      if (mode !== 'random page writes') {
        expect(report.quarantinedTo).not.toBeNull();
        expect(report.outbox.recovered).toBe(N);
      } else {
        expect(report.outbox.recovered).toBeGreaterThan(0);
      }

      const stores = storeCache(sandbox);
      const audit = new AuditTrail({ db: second.db, workstationId: 'ws-corrupt' });
      const changes = outboxChanges();
      const sender = new OutboxSender({
        outbox: second.outbox,
        storeFor: stores.storeFor,
        audit,
        backoff: { baseMs: 100, maxMs: 500 },
        onChange: changes.onChange,
      });
      sender.start();
      await outboxDrained(() => second.outbox.counts(), changes.subscribe, 60_000);
      await sender.stop();
      expect(second.outbox.counts()).toMatchObject({ queued: 0, sending: 0, 'failed-retrying': 0, sent: N });
      expect(readdirSync(spoolDir).filter((n) => n.endsWith('.hcpo'))).toEqual([]); // spool files go once the upload is confirmed

      // 4. The bucket as the patient's side reads it: exactly the N additions, each once, each
      //    verifying, every attachment object there and as signed, nothing else.
      const client = patientClient(sandbox);
      const pending = await listPendingAdditions({
        client,
        pendingBucket: sandbox.buckets.pending,
        patient: { citizenId, masterKey, ehrBucket: sandbox.buckets.ehr, prefix: citizenId },
        trustAnchors: [chain.root.pem],
        policy: { revocation: 'off' },
      });
      for (const p of pending) expect(p.verification?.valid, `${p.key}: ${JSON.stringify(p.error)}`).toBe(true);
      const keys = pending.map((p) => p.key).sort();
      const expected = submitted.map((id) => pendingObjectKey(citizenId, id, 'ws-corrupt')).sort();
      const attachments = pending.flatMap((p) => p.attachments.map((a) => a.key));
      expect(attachments).toHaveLength(N);
      expect(await listKeys(client, sandbox.buckets.pending, `${citizenId}/`)).toEqual(
        [...keys, ...attachments].sort(),
      );
      expect(keys).toEqual(expected);
      const lost = expected.filter((k) => !keys.includes(k)).length;
      console.log(
        `${mode} (${how}): ${N} unsent, ${report.quarantinedTo ? 'database quarantined, ' : ''}${report.outbox.recovered} recovered from the spool, ${keys.length} arrived once each (with ${attachments.length} attachment objects, the first 3 MiB, digests checked), ${lost} lost`,
      );
      stores.close();
      second.db.close();
    });
  }
});
