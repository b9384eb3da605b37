/**
 * Record freshness on the real RGW (issue 12 §3): once a workstation has seen version 2 of a
 * record, the cloud replaying version 1 (write access to the bucket, no key needed) is refused —
 * also after the cache was purged — and the patient's signing key bound in the QR (v2) or the
 * sealed HRI location is required instead of trusted on first use.
 */
import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeEmergencyQr, parseEmergencyQr } from '../../../main/emergency/index';
import { sealHriLocation } from '../../../main/crypto/hri-location';
import { RecordWriter, jwkThumbprint, openManifest } from '../../../main/record/index';
import { hriTokenSha256, registerCitizen } from '../../../scripts/sandbox/index';
import {
  createFlowFixture,
  masterKeyOf,
  patientS3Client,
  readObject,
  registerLocation,
  scanAndOpen,
  signInDemoClinician,
  type FlowFixture,
} from '../../support/flow';

let fx: FlowFixture;
const sandbox = inject('sandbox');

beforeAll(async () => {
  fx = await createFlowFixture({
    sandbox,
    samples: ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json'],
    documents: false,
    signManifest: true,
  });
});
afterAll(async () => fx?.close());

describe('record freshness', () => {
  it('refuses a replayed older manifest (MANIFEST_ROLLBACK), also after the cache was purged; the newer one still opens', async () => {
    const patient = fx.patients[0]!;
    const s3 = patientS3Client(sandbox);
    const v1 = await readObject(s3, patient.bucket, patient.manifestKey);
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    expect((await scanAndOpen(ws, patient.qrText)).record.integrity.manifestVersion).toBe(1);

    // The patient publishes version 2 (e.g. merged additions).
    const key = { masterKey: masterKeyOf(patient), citizenId: patient.citizenId };
    const seen = openManifest(v1, key);
    const writer = new RecordWriter({
      ...key,
      prefix: patient.prefix,
      basedOn: { manifest: seen.manifest, payloadSha256: seen.payloadSha256 },
    });
    const note = writer.addBuffer({
      role: 'attachment',
      contentType: 'text/plain',
      data: Buffer.from('new allergy recorded'),
      title: 'Allergy note',
    });
    const v2 = writer.finish({ signer: { privateKey: createPrivateKey(patient.signingKeyPem!) } });
    await s3.putObject(patient.bucket, note.key, note.body);
    await s3.putObject(patient.bucket, v2.upload.key, v2.upload.body);
    expect((await scanAndOpen(ws, patient.qrText)).record.integrity.manifestVersion).toBe(2);

    // Someone with write access to the bucket puts version 1 back.
    await s3.putObject(patient.bucket, patient.manifestKey, v1);
    await expect(scanAndOpen(ws, patient.qrText)).rejects.toMatchObject({
      code: 'MANIFEST_ROLLBACK',
      details: { seen: 2, got: 1 },
    });
    ws.cache.purgeAll('sign-out');
    await expect(scanAndOpen(ws, patient.qrText)).rejects.toMatchObject({ code: 'MANIFEST_ROLLBACK' });
    expect(ws.emergency.current()).toBeNull();
    // The current version opens again.
    await s3.putObject(patient.bucket, patient.manifestKey, v2.upload.body);
    expect((await scanAndOpen(ws, patient.qrText)).record.integrity.manifestVersion).toBe(2);
  });

  it('binds the patient key: a QR v2 or sealed location naming another key refuses the manifest; the right one opens it', async () => {
    const patient = fx.patients[1]!;
    const qr = parseEmergencyQr(patient.qrText).payload;
    const manifest = openManifest(await readObject(patientS3Client(sandbox), patient.bucket, patient.manifestKey), {
      masterKey: masterKeyOf(patient),
      citizenId: patient.citizenId,
    });
    const kid = manifest.manifest.patientKey!.kid;
    expect(jwkThumbprint(manifest.manifest.patientKey!.jwk)).toBe(kid);
    const otherKid = Buffer.alloc(32, 7).toString('base64url');
    const qrWith = (patientKeyKid: string) =>
      encodeEmergencyQr({
        citizenId: qr.citizenId,
        hriToken: qr.hriToken,
        masterKey: qr.masterKey,
        issuedAt: qr.issuedAt,
        patientKeyKid,
        ...(qr.cloudHint ? { cloudHint: qr.cloudHint } : {}),
      });

    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    await expect(scanAndOpen(ws, qrWith(otherKid))).rejects.toMatchObject({
      code: 'MANIFEST_SIGNATURE_INVALID',
      details: { reason: 'signer' },
    });
    expect((await scanAndOpen(ws, qrWith(kid))).record.integrity).toMatchObject({ manifestSigned: true });

    // The sealed HRI location can carry the binding too.
    const sealed = (patientKeyKid: string) =>
      sealHriLocation(masterKeyOf(patient), {
        v: 1,
        citizenId: patient.citizenId,
        endpoint: sandbox.s3.endpoint,
        region: sandbox.s3.region,
        bucket: patient.bucket,
        prefix: patient.prefix,
        issuedAt: new Date().toISOString(),
        patientKeyKid,
      });
    try {
      await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, patient.citizenId, {
        hriTokenSha256: hriTokenSha256(patient.hriToken),
        sealed: sealed(otherKid),
      });
      const fresh = fx.workstation();
      await signInDemoClinician(fresh, fx.pki);
      await expect(scanAndOpen(fresh, patient.qrText)).rejects.toMatchObject({
        code: 'MANIFEST_SIGNATURE_INVALID',
        details: { reason: 'signer' },
      });
      await expect(scanAndOpen(fresh, qrWith(kid))).rejects.toMatchObject({
        code: 'MANIFEST_SIGNATURE_INVALID',
        details: { reason: 'binding' },
      });
      await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, patient.citizenId, {
        hriTokenSha256: hriTokenSha256(patient.hriToken),
        sealed: sealed(kid),
      });
      expect((await scanAndOpen(fresh, patient.qrText)).record.integrity.manifestSigned).toBe(true);
    } finally {
      await registerLocation(sandbox, patient);
    }
  });
});
