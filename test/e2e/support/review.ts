import { readFileSync } from 'node:fs';
import { parseCertificates } from '../../../main/pki/certificate';
import { sandboxS3Client, type SandboxState } from '../../../scripts/sandbox/index';
import { reviewPatientOf, reviewPendingAdditions, type ReviewResult } from '../../../scripts/simulator/review';
import { readSeedIndex } from '../../../scripts/simulator/seed';

/**
 * The patient's review of pending additions, run in the test process as `npm run simulator -- review
 * --accept valid` would: the sandbox's patient keys, the seed index of the training environment, the
 * clinicians' trust anchor. Accepts what verified, keeps the rest.
 */
export async function reviewAsPatient(o: {
  sandbox: SandboxState;
  seedDir: string;
  citizenId: string;
  trustAnchorFile: string;
}): Promise<ReviewResult> {
  const seeded = readSeedIndex(o.seedDir)?.patients.find((p) => p.citizenId === o.citizenId);
  if (!seeded) throw new Error(`no seeded patient ${o.citizenId} in ${o.seedDir}`);
  return reviewPendingAdditions({
    client: sandboxS3Client(o.sandbox.s3.endpoint, o.sandbox.patient, o.sandbox.s3.region),
    pendingBucket: o.sandbox.buckets.pending,
    patient: reviewPatientOf(seeded),
    trustAnchors: parseCertificates(readFileSync(o.trustAnchorFile)),
    // The training PKI publishes a CRL file, not a distribution point the simulator could fetch.
    policy: { revocation: 'warn' },
    decide: (a) => (a.verification?.valid ? 'accept' : 'keep'),
  });
}
