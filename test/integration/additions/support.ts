/**
 * Shared by the additions integration tests and their child process (no vitest import here: the
 * child runs under plain tsx).
 */
import { randomBytes } from 'node:crypto';
import * as Minio from 'minio';
import type { SandboxState } from '../../../scripts/sandbox/index';
import type { AdditionFormInput } from '../../../common/additions';
import type { AdditionsService } from '../../../main/additions/service';
import { assumeRoleCredentialProvider, type CredentialProvider } from '../../../main/cloud/credentials';
import { createObjectStore, type ObjectStore } from '../../../main/cloud/object-store';

/** The workstation's real credentials: STS AssumeRole into the emergency role. */
export function roleCredentials(s: SandboxState): CredentialProvider {
  return assumeRoleCredentialProvider({
    stsEndpoint: s.workstation.stsEndpoint,
    accessKey: s.workstation.accessKey,
    secretKey: s.workstation.secretKey,
    roleArn: s.workstation.roleArn,
    roleSessionName: 'hcp-it-additions',
    durationSeconds: 900,
    region: s.s3.region,
    timeoutMs: 10_000,
  });
}

/** One cached store per endpoint, as the workstation keeps them (what OutboxSender's storeFor returns). */
export function storeCache(
  s: SandboxState,
  timeoutMs = 5_000,
): { storeFor: (t: { endpoint: string }) => ObjectStore; close(): void } {
  const credentials = roleCredentials(s);
  const stores = new Map<string, ObjectStore>();
  return {
    storeFor: (t) => {
      let store = stores.get(t.endpoint);
      if (!store)
        stores.set(
          t.endpoint,
          (store = createObjectStore({ endpoint: t.endpoint, region: s.s3.region, credentials, timeoutMs })),
        );
      return store;
    },
    close: () => stores.forEach((st) => st.close()),
  };
}

/** The patient simulator's client: lists, reads and deletes `pending` (objects the role wrote are not the bucket owner's to read). */
export function patientClient(s: SandboxState): Minio.Client {
  const url = new URL(s.s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: s.patient.accessKey,
    secretKey: s.patient.secretKey,
    region: s.s3.region,
  });
}

export async function listKeys(client: Minio.Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of client.listObjectsV2(bucket, prefix, true) as AsyncIterable<{ name?: string }>)
    if (o.name) keys.push(o.name);
  return keys.sort();
}

/** A random citizen id in the QR's form (26 base32 characters). */
export function newCitizenId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from(randomBytes(26), (b) => alphabet[b & 31]).join('');
}

/**
 * The n-th test addition: a note, vital signs and a photo of `photoBytes` random bytes (uploads take
 * a while through a throttled proxy), the photo staged through the service like the editor does.
 */
export async function nthAddition(
  service: AdditionsService,
  ctx: { citizenId: string; masterKey: Buffer },
  n: number,
  photoBytes: number,
): Promise<AdditionFormInput[]> {
  const stagingId = await service.stageBuffer(ctx, 'image/jpeg', randomBytes(photoBytes), 64 * 1024);
  return [
    { kind: 'note', text: `Addition ${n}: patient reassessed.` },
    { kind: 'vitals', heartRate: 60 + n, systolic: 120, diastolic: 80 },
    { kind: 'attachment', title: `Photo ${n}`, contentType: 'image/jpeg', stagingId },
  ];
}
