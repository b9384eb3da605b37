/**
 * Every failure of the emergency flow on the real RGW, HRI stand-in and SQLite: each ends in a
 * typed error (with a message in every language), nothing half-shown (no open record, nothing new
 * in the cache), nothing lost (the audit chain is intact and names the failed step; the access
 * that was started is stopped; the scan can be retried), and the cache is used only when the
 * cloud is unreachable.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ERROR_CODES, WorkstationError, type ErrorCode } from '../../../common/errors';
import { errorMessage } from '../../../common/i18n/messages';
import { verifyAuditChain } from '../../../main/audit/index';
import { randomPseudonym } from '../../../main/emergency/index';
import type { Workstation } from '../../../main/workstation';
import { unregisterCitizen } from '../../../scripts/sandbox/hri-client';
import type { SeededPatient } from '../../../scripts/simulator/index';
import {
  auditSteps,
  createFlowFixture,
  DEFAULT_REASON,
  nextAuditSeq,
  patientS3Client,
  readObject,
  reencodeQr,
  registerLocation,
  scanAndOpen,
  signInDemoClinician,
  type FlowFixture,
  type WorkstationOverrides,
} from '../../support/flow';
import { closedPort, startLapsedCredentialsSts, startStandIn, startUnavailableProxy } from './stand-ins';

const SAMPLES = {
  withCache: 'IPS_IG-bundle-01.json',
  withoutCache: 'CY_Andreas_Ioannou_01.json',
  tampered: 'DE_no_info_with_Advance_Directive.json',
  missing: 'IPS_IG_bundle-minimal.json',
  unregistered: 'NZ_Peter_Jordan_AAA1234.json',
  denied: 'DK_Jens_Villadsen_01.json',
  noSuchKey: 'EU_Giorgio_Cangioli_01.json',
  unavailable: 'HK_IPS_Sample1.json',
  plain: 'NL_core_patient_01.json',
} as const;
type Role = keyof typeof SAMPLES;

let fx: FlowFixture;
const patient = (role: Role): SeededPatient => fx.patients[Object.keys(SAMPLES).indexOf(role)]!;

beforeAll(async () => {
  fx = await createFlowFixture({ sandbox: inject('sandbox'), samples: Object.values(SAMPLES) });
});
afterAll(async () => fx?.close());

async function signedIn(overrides: WorkstationOverrides = {}): Promise<Workstation> {
  const ws = fx.workstation(overrides);
  await signInDemoClinician(ws, fx.pki);
  return ws;
}

/**
 * Scans and opens, expecting `code`; then checks nothing was shown or half-stored and the audit
 * trail holds the started-and-stopped access. Returns the error and the scan (for a retry).
 */
async function expectOpenFails(
  ws: Workstation,
  qrText: string,
  code: ErrorCode,
): Promise<{ error: WorkstationError; scanId: string; from: number }> {
  const from = nextAuditSeq(ws);
  const preview = ws.emergency.scan(qrText, 'manual');
  const cachedBefore = ws.cache.findByPatientRef(preview.patientRef);
  const error = await ws.emergency.open(preview.scanId, DEFAULT_REASON).then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof WorkstationError))
    throw new Error(`expected a WorkstationError ${code}, got ${String(error)}`, { cause: error });
  expect(error.code).toBe(code);
  expect(ERROR_CODES).toContain(error.code);
  // A clinician-readable message in both languages, never the bare code.
  expect(errorMessage(error.toInfo(), 'en')).not.toBe(code);
  expect(errorMessage(error.toInfo(), 'el')).not.toBe(code);

  expect(ws.emergency.current()).toBeNull();
  expect(ws.cache.findByPatientRef(preview.patientRef)?.fetchedAt ?? null).toEqual(cachedBefore?.fetchedAt ?? null);
  expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  const steps = auditSteps(ws, from);
  expect(steps.map((s) => s.step)).toContain('110127');
  expect(steps.at(-1)).toMatchObject({ step: '110138', details: { 'stop-reason': 'closed' } });
  return { error, scanId: preview.scanId, from };
}

describe('the record itself is wrong', () => {
  it('wrong key (the QR re-encoded with another master key): refused, nothing decrypted', async () => {
    const ws = await signedIn();
    const forged = reencodeQr(patient('plain'), { masterKey: randomBytes(32) });
    const { from, error } = await expectOpenFails(ws, forged, 'CONTAINER_AUTH_FAILED');
    // The HRI's sealed answer does not open with that key either; the QR's cloud hint was tried, and its manifest refused.
    const hri = auditSteps(ws, from).find((s) => s.step === 'hri-lookup');
    expect(hri).toMatchObject({ failure: 'HRI_RESPONSE_INVALID' });
    expect(error.code).toBe('CONTAINER_AUTH_FAILED');
  });

  it('wrong key and no cloud hint: the HRI answer cannot be opened (HRI_RESPONSE_INVALID)', async () => {
    const ws = await signedIn();
    await expectOpenFails(
      ws,
      reencodeQr(patient('plain'), { masterKey: randomBytes(32), cloudHint: null }),
      'HRI_RESPONSE_INVALID',
    );
  });

  it('tampered object (one byte of the IPS summary flipped in S3): CONTAINER_AUTH_FAILED', async () => {
    const p = patient('tampered');
    const s3 = patientS3Client(fx.sandbox);
    const ips = p.objects.find((o) => o.role === 'ips-summary')!;
    const original = await readObject(s3, p.bucket, ips.key);
    const tampered = Buffer.from(original);
    tampered[Math.floor(tampered.length * 0.7)]! ^= 0x01;
    await s3.putObject(p.bucket, ips.key, tampered, tampered.length);

    const ws = await signedIn();
    const { from } = await expectOpenFails(ws, p.qrText, 'CONTAINER_AUTH_FAILED');
    // The manifest was fine and downloaded; the summary was never shown.
    expect(auditSteps(ws, from).filter((s) => s.step === 'object-download')).toHaveLength(1);

    // Restored, the same scan opens: nothing was lost.
    await s3.putObject(p.bucket, ips.key, original, original.length);
    const retry = scanAndOpen(ws, p.qrText);
    await expect(retry).resolves.toMatchObject({ record: { source: 'cloud' } });
  });

  it('missing object (the IPS summary deleted): CLOUD_OBJECT_MISSING', async () => {
    const p = patient('missing');
    const ips = p.objects.find((o) => o.role === 'ips-summary')!;
    await patientS3Client(fx.sandbox).removeObject(p.bucket, ips.key);
    const ws = await signedIn();
    const { error } = await expectOpenFails(ws, p.qrText, 'CLOUD_OBJECT_MISSING');
    expect(error.details).toMatchObject({ s3: 'NoSuchKey' });
  });
});

describe('the Health Record Index', () => {
  it('404 (the patient withdrew the record): HRI_NOT_FOUND, and the QR cloud hint is not used', async () => {
    const p = patient('unregistered');
    await unregisterCitizen(fx.sandbox.hri.url, fx.sandbox.hri.registrationToken, p.citizenId);
    const ws = await signedIn();
    const { from } = await expectOpenFails(ws, p.qrText, 'HRI_NOT_FOUND');
    expect(auditSteps(ws, from).map((s) => s.step)).not.toContain('object-download');
    // A citizen never registered at all: the same answer.
    await expectOpenFails(ws, reencodeQr(p, { citizenId: randomPseudonym() }), 'HRI_NOT_FOUND');
  });

  it('500: HRI_UNAVAILABLE after the bounded retries (no hint, no cache); with the QR hint the record still opens', async () => {
    const hri = await startStandIn((_req, res) => res.writeHead(500).end('boom'));
    try {
      const ws = await signedIn({ config: (c) => (c.hri.url = hri.url) });
      const { error } = await expectOpenFails(ws, reencodeQr(patient('plain'), { cloudHint: null }), 'HRI_UNAVAILABLE');
      expect(error.details).toMatchObject({ status: 500, attempts: 2 });
      expect(hri.seen).toHaveLength(2);

      const from = nextAuditSeq(ws);
      const { record } = await scanAndOpen(ws, patient('plain').qrText);
      expect(record.source).toBe('cloud');
      expect(auditSteps(ws, from).find((s) => s.step === 'hri-lookup')).toMatchObject({ failure: 'HRI_UNAVAILABLE' });
    } finally {
      await hri.close();
    }
  });

  it('timeout (the HRI never answers): HRI_TIMEOUT', async () => {
    const hri = await startStandIn(() => {});
    try {
      const ws = await signedIn({ config: (c) => Object.assign(c.hri, { url: hri.url, timeoutMs: 300, retries: 1 }) });
      const started = Date.now();
      const { error } = await expectOpenFails(ws, reencodeQr(patient('plain'), { cloudHint: null }), 'HRI_TIMEOUT');
      expect(error.details).toMatchObject({ timeoutMs: 300, attempts: 2 });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await hri.close();
    }
  });
});

describe('the EHR cloud (S3)', () => {
  it('AccessDenied (the location names a bucket the role may not read): CLOUD_ACCESS_DENIED', async () => {
    const p = patient('denied');
    await registerLocation(fx.sandbox, p, { bucket: fx.sandbox.buckets.pending });
    const ws = await signedIn();
    const { error } = await expectOpenFails(ws, p.qrText, 'CLOUD_ACCESS_DENIED');
    expect(error.details).toMatchObject({ s3: 'AccessDenied' });
  });

  it('NoSuchKey (the location names a prefix with no record): CLOUD_OBJECT_MISSING', async () => {
    const p = patient('noSuchKey');
    await registerLocation(fx.sandbox, p, { prefix: `${p.prefix}-gone` });
    const ws = await signedIn();
    const { error } = await expectOpenFails(ws, p.qrText, 'CLOUD_OBJECT_MISSING');
    expect(error.details).toMatchObject({ s3: 'NoSuchKey' });
  });

  it('5xx (S3 answering 503): CLOUD_UNAVAILABLE; once it recovers the same scan opens', async () => {
    const p = patient('unavailable');
    const proxy = await startUnavailableProxy(fx.sandbox.s3.endpoint);
    try {
      await registerLocation(fx.sandbox, p, { endpoint: proxy.url });
      const ws = await signedIn();
      const { error, scanId } = await expectOpenFails(ws, p.qrText, 'CLOUD_UNAVAILABLE');
      expect(error.details).toMatchObject({ status: 503 });
      proxy.failing = false;
      const record = await ws.emergency.open(scanId, DEFAULT_REASON);
      expect(record.source).toBe('cloud');
      expect(record.view.patient.found).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('expired credentials (STS hands out a session that has already lapsed): CLOUD_CREDENTIALS_EXPIRED', async () => {
    const sts = await startLapsedCredentialsSts(fx.sandbox.workstation.stsEndpoint);
    try {
      const ws = await signedIn({
        config: (c) => c.cloud.credentials.kind === 'sts-assume-role' && (c.cloud.credentials.stsEndpoint = sts.url),
      });
      const { from } = await expectOpenFails(ws, patient('plain').qrText, 'CLOUD_CREDENTIALS_EXPIRED');
      expect(sts.seen.some((s) => s.startsWith('POST'))).toBe(true);
      expect(auditSteps(ws, from).find((s) => s.step === 'cloud-credentials')).toMatchObject({
        failure: 'CLOUD_CREDENTIALS_EXPIRED',
      });
      expect(auditSteps(ws, from).map((s) => s.step)).not.toContain('object-download');
    } finally {
      await sts.close();
    }
  });
});

describe('the clinician', () => {
  it('revoked certificate: sign-in refused (PKI_REVOKED), audited, and no record can be opened', async () => {
    const ws = fx.workstation();
    await expect(signInDemoClinician(ws, fx.pki, 'revoked')).rejects.toMatchObject({ code: 'PKI_REVOKED' });
    expect(ws.session.status()).toEqual({ clinician: null, locked: false });
    expect(auditSteps(ws).at(-1)).toMatchObject({ step: 'certificate-check', failure: 'PKI_REVOKED', outcome: '8' });
    const preview = ws.emergency.scan(patient('plain').qrText, 'manual');
    await expect(ws.emergency.open(preview.scanId, DEFAULT_REASON)).rejects.toMatchObject({ code: 'NOT_SIGNED_IN' });
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  });
});

describe('cloud down', () => {
  it('with a cached record: the cached copy, marked CLOUD_UNAVAILABLE, with what was downloaded before', async () => {
    const p = patient('withCache');
    const ws = await signedIn();
    const first = (await scanAndOpen(ws, p.qrText)).record;
    const photo = await ws.emergency.attachment(first.recordId, first.attachments[0]!.id);
    ws.emergency.close(first.recordId);

    await registerLocation(fx.sandbox, p, { endpoint: `http://127.0.0.1:${await closedPort()}` });
    const from = nextAuditSeq(ws);
    const { preview, record } = await scanAndOpen(ws, p.qrText);
    expect(preview.cached).toBe(true);
    expect(record).toMatchObject({ source: 'cache', offlineReason: 'CLOUD_UNAVAILABLE', fetchedAt: first.fetchedAt });
    expect(record.view).toEqual(first.view);
    expect(record.attachments.map((a) => a.state)).toEqual(['verified', 'not-downloaded']);
    expect(await ws.emergency.attachment(record.recordId, record.attachments[0]!.id)).toEqual(photo);
    await expect(ws.emergency.attachment(record.recordId, record.attachments[1]!.id)).rejects.toMatchObject({
      code: 'CLOUD_UNAVAILABLE',
    });
    expect(ws.emergency.current()?.source).toBe('cache');

    const steps = auditSteps(ws, from);
    expect(steps.find((s) => s.step === 'cache-open')).toMatchObject({ outcome: '0', details: { offline: 'true' } });
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  });

  it('without a cached record: CLOUD_UNAVAILABLE', async () => {
    const p = patient('withoutCache');
    await registerLocation(fx.sandbox, p, { endpoint: `http://127.0.0.1:${await closedPort()}` });
    const ws = await signedIn();
    const { error } = await expectOpenFails(ws, p.qrText, 'CLOUD_UNAVAILABLE');
    expect(error.details).toMatchObject({ reason: 'ECONNREFUSED' });
  });
});
