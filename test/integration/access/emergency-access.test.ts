/**
 * The EHR cloud's emergency-access endpoint on the real RGW (issue 12 items 1-2): the workstation
 * proves the clinician with a detached JWS over the request's claims, presents the HRI token, and
 * gets STS credentials whose session policy allows only GetObject on ehr/<patient>/* and PutObject
 * on pending/<patient>/<workstation>/*. Every refusal here is RGW's own AccessDenied, or the
 * endpoint's typed refusal; nothing is mocked.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as Minio from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  registerCitizen,
  hriTokenSha256,
  sandboxS3Client,
  startAccessServer,
  type AccessServer,
  type AccessTrust,
} from '../../../scripts/sandbox/index';
import { signDetachedJws } from '../../../main/additions/jws';
import {
  CloudAccess,
  createEmergencyAccessClient,
  type ClinicianAccess,
  type TemporaryCredentials,
} from '../../../main/cloud/index';
import type { HospitalConfig } from '../../../common/config/schema';
import { createChain, issueCrl, type TestChain } from '../../support/test-ca/index';

const sandbox = inject('sandbox');
const { ehr, pending, audit } = sandbox.buckets;
const denied = { code: 'AccessDenied' };
const WORKSTATION = 'ws-access-it';

/** A base32 citizen id (the HRI's alphabet). */
const citizen = (): string =>
  randomBytes(10)
    .toString('hex')
    .toUpperCase()
    .replace(/[0189]/g, 'A')
    .replace(/[^A-Z2-7]/g, 'B');

function proverOf(chain: TestChain): ClinicianAccess {
  return {
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
}

function s3With(c: TemporaryCredentials): Minio.Client {
  const url = new URL(sandbox.s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    region: sandbox.s3.region,
    accessKey: c.accessKey,
    secretKey: c.secretKey,
    sessionToken: c.sessionToken,
  });
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

describe('emergency-access endpoint on the sandbox RGW', () => {
  const chain = createChain({ levels: 3, key: 'p256', prefix: 'Access IT' });
  const otherCa = createChain({ levels: 2, key: 'p256', slot: 3, prefix: 'Foreign' });
  const crl = () => issueCrl({ issuer: chain.intermediates[0]! });
  const trust: AccessTrust = { anchors: [chain.root.pem], crls: [] };
  const patientA = { citizenId: citizen(), hriToken: randomBytes(16).toString('base64url') };
  const patientB = { citizenId: citizen(), hriToken: randomBytes(16).toString('base64url') };
  const owner = sandboxS3Client(sandbox.s3.endpoint, sandbox.patient, sandbox.s3.region);
  let server: AccessServer;

  const client = () => createEmergencyAccessClient({ endpoint: server.url, timeoutMs: 10_000 });
  const askFor = (patient: typeof patientA, prover = proverOf(chain)) =>
    client().patient({ prover, workstationId: WORKSTATION, ...patient });

  beforeAll(async () => {
    // The cloud's trust store: the root of the clinicians' CA, and current CRLs for the root and the intermediate.
    trust.crls = [issueCrl({ issuer: chain.root }).der, crl().der];
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
    for (const p of [patientA, patientB]) {
      await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, p.citizenId, {
        hriTokenSha256: hriTokenSha256(p.hriToken),
        sealed: randomBytes(40).toString('base64url'),
      });
      await owner.putObject(ehr, `${p.citizenId}/manifest.hcpc`, Buffer.from(`record of ${p.citizenId}`));
    }
  });
  afterAll(async () => server?.close());

  it('grants patient A read of A only, and additions under A/<workstation>/ only', async () => {
    const creds = await askFor(patientA);
    expect(creds.sessionToken).toBeTruthy();
    expect(creds.scope).toEqual({
      ehr: { bucket: ehr, prefix: patientA.citizenId },
      pending: { bucket: pending, prefix: `${patientA.citizenId}/${WORKSTATION}` },
    });
    // The lifetime is RGW's minimum, 900 s (within the test's own running time).
    const lifetime = creds.expiresAt.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(840_000);
    expect(lifetime).toBeLessThanOrEqual(902_000); // the Date header has whole seconds

    const s3 = s3With(creds);
    expect(await readAll(await s3.getObject(ehr, `${patientA.citizenId}/manifest.hcpc`))).toBe(
      `record of ${patientA.citizenId}`,
    );
    await s3.putObject(pending, `${patientA.citizenId}/${WORKSTATION}/${'a'.repeat(64)}.hcpc`, Buffer.from('addition'));

    await expect(s3.getObject(ehr, `${patientB.citizenId}/manifest.hcpc`)).rejects.toMatchObject(denied);
    await expect(s3.listObjectsV2(ehr, '', true).toArray()).rejects.toMatchObject(denied);
    await expect(s3.listObjectsV2(ehr, `${patientA.citizenId}/`, true).toArray()).rejects.toMatchObject(denied);
    await expect(s3.putObject(ehr, `${patientA.citizenId}/manifest.hcpc`, Buffer.from('forged'))).rejects.toMatchObject(
      denied,
    );
    await expect(
      s3.putObject(pending, `${patientB.citizenId}/${WORKSTATION}/${'b'.repeat(64)}.hcpc`, Buffer.from('x')),
    ).rejects.toMatchObject(denied);
    await expect(
      s3.putObject(pending, `${patientA.citizenId}/other-ws/${'c'.repeat(64)}.hcpc`, Buffer.from('x')),
    ).rejects.toMatchObject(denied);
    await expect(
      s3.putObject(pending, `${patientA.citizenId}/${'d'.repeat(64)}.hcpc`, Buffer.from('x')),
    ).rejects.toMatchObject(denied);
    await expect(
      s3.getObject(pending, `${patientA.citizenId}/${WORKSTATION}/${'a'.repeat(64)}.hcpc`),
    ).rejects.toMatchObject(denied);
    await expect(s3.putObject(audit, `audit/${WORKSTATION}/x.json`, Buffer.from('x'))).rejects.toMatchObject(denied);
    // The record is untouched.
    expect(await readAll(await owner.getObject(ehr, `${patientA.citizenId}/manifest.hcpc`))).toBe(
      `record of ${patientA.citizenId}`,
    );

    const granted = server.audit.filter((e) => e.action === 'emergency' && e.outcome === 'granted');
    expect(granted.at(-1)).toMatchObject({
      clinician: { fingerprint: chain.leaf.cert.fingerprint },
      workstation: WORKSTATION,
    });
    expect(JSON.stringify(server.audit)).not.toContain(patientA.citizenId);
  });

  it('gives the audit shipper PutObject on its own audit prefix only', async () => {
    const creds = await client().workstation({ prover: proverOf(chain), workstationId: WORKSTATION });
    const s3 = s3With(creds);
    await s3.putObject(audit, `audit/${WORKSTATION}/000000000001-000000000001.json`, Buffer.from('{}'), 2, {
      'x-amz-acl': 'bucket-owner-full-control',
    });
    await expect(s3.putObject(audit, `audit/other-ws/x.json`, Buffer.from('{}'))).rejects.toMatchObject(denied);
    await expect(s3.getObject(ehr, `${patientA.citizenId}/manifest.hcpc`)).rejects.toMatchObject(denied);
    await expect(
      s3.putObject(pending, `${patientA.citizenId}/${WORKSTATION}/${'e'.repeat(64)}.hcpc`, Buffer.from('x')),
    ).rejects.toMatchObject(denied);
  });

  it('refuses a token the HRI no longer accepts (revoked): no credentials', async () => {
    const revoked = { citizenId: citizen(), hriToken: randomBytes(16).toString('base64url') };
    await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, revoked.citizenId, {
      hriTokenSha256: hriTokenSha256(revoked.hriToken),
      sealed: randomBytes(40).toString('base64url'),
    });
    await askFor(revoked); // accepted while valid
    // The patient revokes the QR: the HRI now holds another token's hash.
    await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, revoked.citizenId, {
      hriTokenSha256: hriTokenSha256('replacement-token'),
      sealed: randomBytes(40).toString('base64url'),
    });
    await expect(askFor(revoked)).rejects.toMatchObject({ code: 'HRI_TOKEN_REJECTED' });
    await expect(askFor({ citizenId: citizen(), hriToken: 'x' })).rejects.toMatchObject({ code: 'HRI_NOT_FOUND' });
    expect(server.audit.at(-1)).toMatchObject({ outcome: 'refused', reason: 'not_found' });
  });

  it('refuses a revoked clinician, a foreign CA, and a CA with no current CRL (hard-fail)', async () => {
    const saved = trust.crls;
    trust.crls = [
      issueCrl({ issuer: chain.root }).der,
      issueCrl({ issuer: chain.intermediates[0]!, revoked: [{ serial: chain.leaf.serial }] }).der,
    ];
    try {
      await expect(askFor(patientA)).rejects.toMatchObject({
        code: 'ACCESS_CLINICIAN_REFUSED',
        details: { reason: 'PKI_REVOKED' },
      });
      expect(server.audit.at(-1)).toMatchObject({
        outcome: 'refused',
        reason: 'clinician_refused:PKI_REVOKED',
        clinician: { fingerprint: chain.leaf.cert.fingerprint },
      });
      trust.crls = [];
      await expect(askFor(patientA)).rejects.toMatchObject({
        code: 'ACCESS_CLINICIAN_REFUSED',
        details: { reason: 'PKI_REVOCATION_UNKNOWN' },
      });
    } finally {
      trust.crls = saved;
    }
    await expect(askFor(patientA, proverOf(otherCa))).rejects.toMatchObject({ code: 'ACCESS_CLINICIAN_REFUSED' });
  });

  it('refuses a proof that is replayed, made by another key, or names another endpoint', async () => {
    let captured: { claims: Buffer; proof: string } | null = null;
    const recording: ClinicianAccess = {
      ...proverOf(chain),
      prove: (claims) => {
        const proof = proverOf(chain).prove(claims);
        captured = { claims: Buffer.from(claims), proof };
        return proof;
      },
    };
    await askFor(patientA, recording);
    const replay = await fetch(`${server.url}/v1/access/emergency`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ v: 1, claims: captured!.claims.toString('base64url'), proof: captured!.proof }),
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'proof_invalid', reason: 'nonce' });

    const wrongKey: ClinicianAccess = {
      ...proverOf(chain),
      prove: (claims) =>
        signDetachedJws(
          claims,
          {
            privateKey: otherCa.leaf.key.privateKey,
            certificates: [chain.leaf.der, ...chain.intermediates.map((c) => c.der)],
          },
          new Date(),
        ),
    };
    await expect(askFor(patientA, wrongKey)).rejects.toMatchObject({
      code: 'CLOUD_CREDENTIALS_FAILED',
      details: { reason: 'proof-signature' },
    });

    // Claims made for another endpoint (a proof captured elsewhere) are refused here.
    const { nonce } = (await (
      await fetch(`${server.url}/v1/access/challenge`, { method: 'POST', body: '{}' })
    ).json()) as { nonce: string };
    const claims = Buffer.from(
      JSON.stringify({
        typ: 'hcp-emergency-access',
        aud: 'https://other-cloud.example',
        nonce,
        iat: Math.floor(Date.now() / 1000),
        workstation: WORKSTATION,
        ...patientA,
      }),
    );
    const elsewhere = await fetch(`${server.url}/v1/access/emergency`, {
      method: 'POST',
      body: JSON.stringify({ v: 1, claims: claims.toString('base64url'), proof: proverOf(chain).prove(claims) }),
    });
    expect(elsewhere.status).toBe(401);
    expect(await elsewhere.json()).toEqual({ error: 'proof_invalid', reason: 'audience' });
    const misrouted = createEmergencyAccessClient({ endpoint: `${server.url}/elsewhere`, timeoutMs: 10_000 });
    await expect(
      misrouted.patient({ prover: proverOf(chain), workstationId: WORKSTATION, ...patientA }),
    ).rejects.toMatchObject({ code: 'CLOUD_CREDENTIALS_FAILED', details: { reason: 'challenge' } });
  });

  describe('the workstation side (CloudAccess)', () => {
    const config = (endpoint: string): HospitalConfig['cloud'] => ({
      defaultEndpoint: sandbox.s3.endpoint,
      region: sandbox.s3.region,
      buckets: sandbox.buckets,
      credentials: { kind: 'emergency-access', endpoint },
      concurrency: 2,
      timeoutMs: 10_000,
    });
    const locationOf = (p: typeof patientA) => ({
      endpoint: sandbox.s3.endpoint,
      region: sandbox.s3.region,
      bucket: ehr,
      prefix: p.citizenId,
    });

    it('caches per (clinician, patient), drops on close, and never presents credentials past their expiry (injected clock)', async () => {
      let clock = Date.now();
      const access = new CloudAccess({
        cloud: config(server.url),
        mode: 'production',
        workstationId: WORKSTATION,
        now: () => new Date(clock),
        clinician: () => proverOf(chain),
      });
      const before = server.audit.length;
      const a = await access.patientStore({ patientRef: 'ref-a', ...patientA, location: locationOf(patientA) });
      const again = await access.patientStore({ patientRef: 'ref-a', ...patientA, location: locationOf(patientA) });
      expect(server.audit.length - before).toBe(1); // one grant for both
      expect(again.expiresAt).toEqual(a.expiresAt);
      expect(await readAll(await a.store.getObject(ehr, `${patientA.citizenId}/manifest.hcpc`))).toContain(
        patientA.citizenId,
      );
      await expect(a.store.getObject(ehr, `${patientB.citizenId}/manifest.hcpc`)).rejects.toMatchObject({
        code: 'CLOUD_ACCESS_DENIED',
      });

      const upload = access.uploadStore({ endpoint: sandbox.s3.endpoint, region: sandbox.s3.region }, 'ref-a');
      await upload.put(pending, `${patientA.citizenId}/${WORKSTATION}/${'f'.repeat(64)}.hcpc`, Buffer.from('addition'));

      // Expiry: at expiresAt the credentials are dropped, not presented.
      clock = a.expiresAt!.getTime();
      expect(access.livePatientCredentials('ref-a')).toBeNull();
      await expect(
        upload.put(pending, `${patientA.citizenId}/${WORKSTATION}/${'0'.repeat(64)}.hcpc`, Buffer.from('late')),
      ).rejects.toMatchObject({ code: 'ACCESS_NOT_GRANTED' });

      // Close: dropped for good; the old store can no longer fetch any.
      clock = Date.now();
      const b = await access.patientStore({ patientRef: 'ref-b', ...patientB, location: locationOf(patientB) });
      access.dropPatient('ref-b');
      expect(access.livePatientCredentials('ref-b')).toBeNull();
      await expect(b.store.getObject(ehr, `${patientB.citizenId}/manifest.hcpc`)).rejects.toMatchObject({
        code: expect.stringMatching(/ACCESS_EXPIRED|CLOUD_CREDENTIALS/),
      });
      access.close();
    });

    it('refuses credentials whose scope is not the patient the HRI named', async () => {
      const access = new CloudAccess({
        cloud: config(server.url),
        mode: 'production',
        workstationId: WORKSTATION,
        now: () => new Date(),
        clinician: () => proverOf(chain),
      });
      await expect(
        access.patientStore({ patientRef: 'ref-x', ...patientA, location: locationOf(patientB) }),
      ).rejects.toMatchObject({ code: 'CLOUD_ACCESS_DENIED', details: { reason: 'scope' } });
      await expect(
        new CloudAccess({
          cloud: config(server.url),
          mode: 'production',
          workstationId: WORKSTATION,
          now: () => new Date(),
          clinician: () => null,
        }).patientStore({ patientRef: 'r', ...patientA, location: locationOf(patientA) }),
      ).rejects.toMatchObject({ code: 'NOT_SIGNED_IN' });
      access.close();
    });
  });
});
