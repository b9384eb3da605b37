/**
 * The workstation's cloud rights, proven on the real RGW: its long-lived keys can do nothing but
 * AssumeRole, and the role's temporary credentials read `ehr` and write `pending`/`audit`, nothing
 * more. The patient simulator writes `ehr` and collects `pending`.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
// Both from minio's ESM build: its CredentialProvider types differ from the CJS ones 'minio' names.
import { AssumeRoleProvider } from 'minio/dist/esm/AssumeRoleProvider.mjs';
import * as Minio from 'minio/dist/esm/minio.mjs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxS3Client } from '../../../scripts/sandbox/index';

const sandbox = inject('sandbox');
const { ehr, pending, audit } = sandbox.buckets;
const accessDenied = { code: 'AccessDenied' };

function roleProvider(keys: { accessKey: string; secretKey: string }): AssumeRoleProvider {
  return new AssumeRoleProvider({
    stsEndpoint: sandbox.workstation.stsEndpoint,
    accessKey: keys.accessKey,
    secretKey: keys.secretKey,
    roleArn: sandbox.workstation.roleArn,
    roleSessionName: 'integration-test',
    region: sandbox.s3.region,
    durationSeconds: 900,
  });
}

function clientWith(provider: AssumeRoleProvider): Minio.Client {
  const url = new URL(sandbox.s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    region: sandbox.s3.region,
    credentialsProvider: provider,
    partSize: 5 * 1024 * 1024,
  });
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const key = (name: string): string => `it-${randomBytes(4).toString('hex')}/${name}`;

describe('workstation STS role on the sandbox RGW', () => {
  const patient = sandboxS3Client(sandbox.s3.endpoint, sandbox.patient, sandbox.s3.region);
  const workstationDirect = sandboxS3Client(sandbox.s3.endpoint, sandbox.workstation, sandbox.s3.region);
  const record = key('record.bin');
  const addition = key('addition.bin');
  const recordBytes = randomBytes(4096);
  let role: Minio.Client;

  beforeAll(async () => {
    await patient.putObject(ehr, record, recordBytes);
    await sandboxS3Client(sandbox.s3.endpoint, sandbox.s3.admin, sandbox.s3.region).putObject(
      pending,
      addition,
      Buffer.from('from a clinician'),
    );
    role = clientWith(roleProvider(sandbox.workstation));
  });

  it('issues temporary credentials with a session token', async () => {
    const creds = await roleProvider(sandbox.workstation).getCredentials();
    expect(creds.getAccessKey()).not.toBe(sandbox.workstation.accessKey);
    expect(creds.getSessionToken()).toBeTruthy();
  });

  it('reads and lists records in ehr', async () => {
    expect((await readAll(await role.getObject(ehr, record))).equals(recordBytes)).toBe(true);
    expect((await role.statObject(ehr, record)).size).toBe(recordBytes.length);
    const names: string[] = [];
    for await (const item of role.listObjectsV2(ehr, record.split('/')[0] + '/', true)) {
      if ('name' in item && item.name) names.push(item.name);
    }
    expect(names).toEqual([record]);
  });

  it('writes to pending and audit, including a streamed multipart upload', async () => {
    await role.putObject(pending, key('addition.json'), Buffer.from('{"v":1}'));
    await role.putObject(audit, key('batch.jsonl'), Buffer.from('{"event":"open"}\n'));
    const size = 11 * 1024 * 1024;
    const upload = key('large-addition.bin');
    const chunks = Array.from({ length: 11 }, () => randomBytes(1024 * 1024));
    await role.putObject(pending, upload, Readable.from(chunks));
    const stat = await patient.statObject(pending, upload);
    expect(stat.size).toBe(size);
    expect(stat.etag).toMatch(/-\d+$/); // a multipart ETag: it really went up as a multipart upload
  });

  it('is denied writing or deleting ehr', async () => {
    await expect(role.putObject(ehr, key('forged.bin'), Buffer.from('x'))).rejects.toMatchObject(accessDenied);
    await expect(role.removeObject(ehr, record)).rejects.toMatchObject(accessDenied);
    expect((await patient.statObject(ehr, record)).size).toBe(recordBytes.length);
  });

  it('is denied reading or listing pending and audit', async () => {
    await expect(role.getObject(pending, addition)).rejects.toMatchObject(accessDenied);
    await expect(role.statObject(pending, addition)).rejects.toMatchObject({
      code: expect.stringMatching(/AccessDenied|Forbidden/),
    });
    await expect(role.listObjectsV2(pending, '', true).toArray()).rejects.toMatchObject(accessDenied);
    await expect(role.getObject(audit, 'anything')).rejects.toMatchObject(accessDenied);
  });

  it('gives the workstation keys themselves no bucket rights', async () => {
    await expect(workstationDirect.getObject(ehr, record)).rejects.toMatchObject(accessDenied);
    await expect(workstationDirect.putObject(pending, key('direct.bin'), Buffer.from('x'))).rejects.toMatchObject(
      accessDenied,
    );
  });

  it('lets only the workstation assume the role', async () => {
    await expect(roleProvider(sandbox.patient).getCredentials()).rejects.toThrow();
  });

  it('lets the patient simulator write ehr and collect pending, but not write pending', async () => {
    await patient.putObject(ehr, key('update.bin'), Buffer.from('new record version'));
    expect((await readAll(await patient.getObject(pending, addition))).toString()).toBe('from a clinician');
    await patient.removeObject(pending, addition);
    await expect(patient.statObject(pending, addition)).rejects.toMatchObject({ code: 'NotFound' });
    await expect(patient.putObject(pending, key('forged.bin'), Buffer.from('x'))).rejects.toMatchObject(accessDenied);
  });
});
