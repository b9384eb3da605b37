/**
 * The "app" of the kill -9 test, run as a child process with tsx: it commits N additions to the
 * outbox (printing `committed <additionId>` for each, then `committed-all`), then starts the sender
 * and prints `sent <id>` as items leave. The parent SIGKILLs it in the middle of an upload.
 *
 * argv[2]: JSON {dbFile, rootPemFile, proxyUrl, n, photoBytes, citizenId, masterKeyHex, sandbox}
 */
import { writeFileSync } from 'node:fs';
import { AdditionsService } from '../../../main/additions/service';
import { Outbox } from '../../../main/additions/outbox';
import { OutboxSender } from '../../../main/additions/sender';
import { openDatabase } from '../../../main/cache/database';
import { createChain } from '../../support/test-ca/certificates';
import type { SandboxState } from '../../../scripts/sandbox/index';
import { nthAddition, storeCache } from './support';

interface ChildConfig {
  dbFile: string;
  rootPemFile: string;
  proxyUrl: string;
  n: number;
  photoBytes: number;
  citizenId: string;
  masterKeyHex: string;
  sandbox: SandboxState;
}

const config = JSON.parse(process.argv[2]!) as ChildConfig;
const { db } = openDatabase(config.dbFile);
const outbox = new Outbox(db, { spoolDir: `${config.dbFile}.outbox` });
const chain = createChain({ levels: 3, key: 'p256', prefix: 'Child' });
writeFileSync(config.rootPemFile, chain.root.pem);

const service = new AdditionsService({
  outbox,
  sender: null,
  workstation: { id: 'ws-kill-test' },
  stagingDir: `${config.dbFile}.staging`,
});
const ctx = {
  credential: {
    privateKey: () => chain.leaf.key.privateKey,
    certificate: chain.leaf.cert,
    chain: chain.intermediates.map((c) => c.cert),
  },
  author: { name: 'Dr Child Clinician', registration: 'GR-MED-777', certFingerprint: chain.leaf.cert.fingerprint },
  citizenId: config.citizenId,
  masterKey: Buffer.from(config.masterKeyHex, 'hex'),
  patientRef: 'kill-test',
  patient: { reference: 'urn:uuid:00000000-0000-4000-8000-00000000abcd' },
  target: { endpoint: config.proxyUrl, region: config.sandbox.s3.region, bucket: config.sandbox.buckets.pending },
};
for (let i = 1; i <= config.n; i++) {
  const { additionId } = await service.submit(ctx, await nthAddition(service, ctx, i, config.photoBytes));
  process.stdout.write(`committed ${additionId}\n`);
}
process.stdout.write('committed-all\n');

const stores = storeCache(config.sandbox);
const sender = new OutboxSender({
  outbox,
  storeFor: stores.storeFor,
  concurrency: 2,
  backoff: { baseMs: 200, maxMs: 1000 },
  onChange: (c) => {
    if (c.item?.status === 'sent') process.stdout.write(`sent ${c.item.id}\n`);
  },
});
sender.start();
