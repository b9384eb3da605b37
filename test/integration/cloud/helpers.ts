import { randomBytes } from 'node:crypto';
import * as Minio from 'minio';
import { inject } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import {
  assumeRoleCredentialProvider,
  staticCredentialProvider,
  type CredentialProvider,
} from '../../../main/cloud/credentials';
import { createObjectStore, type ObjectStore } from '../../../main/cloud/object-store';

export const sandbox = () => inject('sandbox');

/** The workstation's real path to credentials: STS AssumeRole into the emergency role. */
export function workstationCredentials(durationSeconds = 900): CredentialProvider {
  const s = sandbox();
  return assumeRoleCredentialProvider({
    stsEndpoint: s.workstation.stsEndpoint,
    accessKey: s.workstation.accessKey,
    secretKey: s.workstation.secretKey,
    roleArn: s.workstation.roleArn,
    roleSessionName: 'hcp-it-workstation',
    durationSeconds,
    region: s.s3.region,
    timeoutMs: 10_000,
  });
}

export function workstationStore(
  credentials: CredentialProvider = workstationCredentials(),
  endpoint = sandbox().s3.endpoint,
  timeoutMs = 10_000,
): ObjectStore {
  return createObjectStore({ endpoint, region: sandbox().s3.region, credentials, timeoutMs });
}

/** The patient simulator's client: seeds `ehr` (the workstation cannot write there). */
export function patientClient(): Minio.Client {
  const s = sandbox();
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

export function patientStore(): ObjectStore {
  const s = sandbox();
  return createObjectStore({
    endpoint: s.s3.endpoint,
    region: s.s3.region,
    credentials: staticCredentialProvider(s.patient, 'training'),
    timeoutMs: 10_000,
  });
}

export function uniqueKey(label: string): string {
  return `it-cloud/${label}-${randomBytes(6).toString('hex')}`;
}

export async function failure(promise: Promise<unknown>): Promise<WorkstationError> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  if (!(e instanceof WorkstationError)) throw new Error(`expected a WorkstationError, got ${String(e)}`, { cause: e });
  return e;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
