import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as Minio from 'minio';
import { parseCertificates } from '../../../main/pki/certificate';
import type { SandboxState } from '../../../scripts/sandbox/index';
import { reviewPendingAdditions, type ReviewResult } from '../../../scripts/simulator/review';
import { readSeedIndex } from '../../../scripts/simulator/seed';

/**
 * The patient's review of pending additions, run in the test process as `npm run simulator -- review
 * --accept valid` would: the sandbox's patient keys, the seed index of the training environment, the
 * clinicians' trust anchor. Accepts what verified, keeps the rest.
 */
export async function reviewAsPatient(o: { sandbox: SandboxState; seedDir: string; citizenId: string; trustAnchorFile: string }): Promise<ReviewResult> {
  const seeded = readSeedIndex(o.seedDir)?.patients.find((p) => p.citizenId === o.citizenId);
  if (!seeded) throw new Error(`no seeded patient ${o.citizenId} in ${o.seedDir}`);
  const url = new URL(o.sandbox.s3.endpoint);
  const client = new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    useSSL: url.protocol === 'https:',
    accessKey: o.sandbox.patient.accessKey,
    secretKey: o.sandbox.patient.secretKey,
    region: o.sandbox.s3.region,
  });
  return reviewPendingAdditions({
    client,
    pendingBucket: o.sandbox.buckets.pending,
    patient: {
      citizenId: seeded.citizenId,
      masterKey: Buffer.from(seeded.masterKey, 'base64url'),
      ehrBucket: seeded.bucket,
      prefix: seeded.prefix,
      signingKey: seeded.signingKeyPem ? createPrivateKey(seeded.signingKeyPem) : null,
    },
    trustAnchors: parseCertificates(readFileSync(o.trustAnchorFile)),
    // The training PKI publishes a CRL file, not a distribution point the simulator could fetch.
    policy: { revocation: 'warn' },
    decide: (a) => (a.verification?.valid ? 'accept' : 'keep'),
  });
}
