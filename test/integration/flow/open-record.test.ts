/**
 * The whole emergency flow on the real RGW and a real SQLite file, through the composition root:
 * sign in -> scan -> break the glass -> open from the cloud -> attachments -> close, then lock,
 * access expiry and the IPC envelope. Failures are in failures.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findSection } from '../../../common/emergency-view';
import type { OpenRecord, ScanPreview } from '../../../common/ipc/channels/emergency';
import type { SessionStatus } from '../../../common/ipc/channels/session';
import type { IpcResult } from '../../../common/ipc/result';
import * as Minio from 'minio';
import { auditPrefix, chainIdOf, checkAuditSignature, verifyAuditChain } from '../../../main/audit/index';
import { emergencyViewOf } from '../../../main/fhir/index';
import { createDispatcher } from '../../../main/ipc/dispatch';
import { createHandlers } from '../../../main/ipc/handlers/index';
import { silentLogger } from '../../../main/log';
import { syntheticPhotoPng } from '../../../scripts/simulator/index';
import {
  auditSteps,
  createFlowFixture,
  DEFAULT_REASON,
  nextAuditSeq,
  readObject,
  scanAndOpen,
  signInDemoClinician,
  viewAttachment,
  type FlowFixture,
} from '../../support/flow';
import { writeSecondClinician } from '../../support/second-clinician';

let fx: FlowFixture;

beforeAll(async () => {
  fx = await createFlowFixture({
    sandbox: inject('sandbox'),
    samples: ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json', 'DE_no_info_with_Advance_Directive.json'],
  });
});
afterAll(async () => fx?.close());

describe('whole flow: sign in, scan, open from the cloud, attachments, close', () => {
  it('shows the verified summary of the sample, the attachments byte for byte, and audits every step in an intact chain', async () => {
    const ws = fx.workstation();
    const martha = fx.patients[0]!;

    const status = await signInDemoClinician(ws, fx.pki);
    expect(status).toMatchObject({
      locked: false,
      clinician: { name: 'Dr Eleni Training', registration: 'GR-MED-000001' },
    });

    const { preview, record } = await scanAndOpen(ws, martha.qrText, {
      code: 'unconscious-patient',
      text: 'found unconscious in the waiting room',
    });
    expect(preview.cached).toBe(false);
    expect(record).toMatchObject({
      source: 'cloud',
      offlineReason: null,
      patientRef: preview.patientRef,
      integrity: { verified: true, manifestVersion: martha.manifestVersion },
    });

    // The view is exactly what the sample builds, and says what a clinician needs first.
    expect(record.view).toEqual(emergencyViewOf(readFileSync(martha.sample)));
    expect(record.view.patient.names[0]).toContain('Martha');
    expect(JSON.stringify(findSection(record.view, 'allergies'))).toMatch(/penicillin/i);
    expect(ws.emergency.current()).toEqual(record);

    // Attachments: listed before download, then fetched, decrypted, verified, identical to what the phone uploaded.
    expect(record.attachments.map((a) => [a.contentType, a.state])).toEqual([
      ['image/png', 'not-downloaded'],
      ['application/pdf', 'not-downloaded'],
    ]);
    const photo = await ws.emergency.attachment(record.recordId, record.attachments[0]!.id);
    expect(photo).toEqual({ contentType: 'image/png', size: syntheticPhotoPng(0).length });
    const shown = await viewAttachment(ws, record.recordId, record.attachments[0]!.id);
    expect(shown.headers.get('content-type')).toBe('image/png');
    expect(shown.bytes.equals(syntheticPhotoPng(0))).toBe(true);
    await ws.emergency.attachment(record.recordId, record.attachments[1]!.id);
    const letter = (await viewAttachment(ws, record.recordId, record.attachments[1]!.id)).bytes;
    expect(letter.subarray(0, 5).toString()).toBe('%PDF-');
    expect(letter.length).toBe(record.attachments[1]!.size);
    expect(letter.toString('latin1')).toContain(martha.displayName!);
    // An id the record does not list is the request's mistake (its own code), not a missing cloud object.
    await expect(ws.emergency.attachment(record.recordId, 'no-such-attachment')).rejects.toMatchObject({
      code: 'ATTACHMENT_UNKNOWN',
    });

    expect(ws.emergency.close(record.recordId)).toEqual({ closed: true });
    expect(ws.emergency.current()).toBeNull();
    // What was fetched is in the encrypted cache for a later offline open.
    expect(ws.cache.findByPatientRef(preview.patientRef)?.attachments).toHaveLength(2);

    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
    const steps = auditSteps(ws);
    expect(steps.every((s) => s.outcome === '0')).toBe(true);
    expect(steps.map((s) => s.step)).toEqual([
      'certificate-check',
      'qr-scan',
      '110127',
      'hri-lookup',
      'cloud-credentials',
      'object-download', // manifest
      'object-download', // IPS summary
      'object-download', // photo
      'object-download', // letter
      '110138',
    ]);
    expect(steps.find((s) => s.step === '110127')?.details['reason-code']).toBe('unconscious-patient');
    expect(steps.at(-1)?.details['stop-reason']).toBe('closed');
  });

  it('a second record: a signed manifest-less Greek patient opens, and opening another closes the first (audited)', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const first = await scanAndOpen(ws, fx.patients[1]!.qrText);
    expect(first.record.view.patient.names.join(' ')).toMatch(/Andreas/);
    const from = nextAuditSeq(ws);
    const second = await scanAndOpen(ws, fx.patients[2]!.qrText);
    expect(second.record.source).toBe('cloud');
    expect(ws.emergency.current()?.recordId).toBe(second.record.recordId);
    expect(
      auditSteps(ws, from)
        .filter((s) => s.step === '110138')
        .map((s) => s.details['stop-reason']),
    ).toEqual(['closed']);
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  });
});

describe('concurrent opens', () => {
  it('20 opens at once run one at a time: 20 starts, 20 stops, each stop right after its start, never two open', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const scans = Array.from({ length: 20 }, (_, i) =>
      ws.emergency.scan(fx.patients[i % fx.patients.length]!.qrText, 'manual'),
    );
    const from = nextAuditSeq(ws);
    const results = await Promise.allSettled(scans.map((s) => ws.emergency.open(s.scanId, DEFAULT_REASON)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill('fulfilled'));
    const last = (results.at(-1) as PromiseFulfilledResult<OpenRecord>).value;
    expect(ws.emergency.current()?.recordId).toBe(last.recordId);
    expect(ws.emergency.close(last.recordId)).toEqual({ closed: true });

    const access = auditSteps(ws, from).filter((s) => s.step === '110127' || s.step === '110138');
    const starts = access.filter((s) => s.step === '110127').length;
    const stops = access.filter((s) => s.step === '110138').length;
    console.log(`20 concurrent emergency.open: ${starts} starts, ${stops} stops`);
    expect([starts, stops]).toEqual([20, 20]);
    // Strictly start, stop, start, stop...: no access ever overlapped another.
    expect(access.map((s) => s.step)).toEqual(
      Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? '110127' : '110138')),
    );
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  });

  it('a lock while an open is in flight: the access it started is stopped (locked), nothing stays open', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const scan = ws.emergency.scan(fx.patients[0]!.qrText, 'manual');
    const from = nextAuditSeq(ws);
    const opening = ws.emergency.open(scan.scanId, DEFAULT_REASON);
    // Lock once the access has started (its 110127 is written before the fetch).
    while (!auditSteps(ws, from).some((s) => s.step === '110127')) await new Promise((r) => setImmediate(r));
    ws.session.lock();
    await expect(opening).rejects.toMatchObject({ code: 'SESSION_LOCKED' });
    expect(ws.emergency.current()).toBeNull();
    const access = auditSteps(ws, from).filter((s) => s.step === '110127' || s.step === '110138');
    expect(access.map((s) => [s.step, s.details['stop-reason'] ?? null])).toEqual([
      ['110127', null],
      ['110138', 'locked'],
    ]);
  });
});

describe('audit shipping through the workstation (CloudAccess, conditional puts)', () => {
  it('ships signed batches and a head under the chain prefix; a re-sent batch is refused 412 and confirmed, nothing replaced', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    await scanAndOpen(ws, fx.patients[0]!.qrText);
    const first = await ws.auditShipper!.shipNow();
    expect(first).toMatchObject({ error: null, pending: 0, head: { seq: expect.any(Number) } });
    const s = fx.sandbox;
    const url = new URL(s.s3.endpoint);
    const admin = new Minio.Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: s.s3.admin.accessKey,
      secretKey: s.s3.admin.secretKey,
      region: s.s3.region,
    });
    const prefix = auditPrefix(ws.loaded.config.hospital.workstationId, chainIdOf(ws.db));
    const snapshot = async () => {
      const out = new Map<string, string>();
      for await (const o of admin.listObjectsV2(s.buckets.audit, prefix, true))
        if (o.name) out.set(o.name, (await readObject(admin, s.buckets.audit, o.name)).toString());
      return out;
    };
    const before = await snapshot();
    expect(before.size).toBeGreaterThanOrEqual(2);
    for (const [key, body] of before)
      expect(checkAuditSignature(JSON.parse(body) as object, ws.auditPublicKey), key).toBe('valid');
    // As if every response had been lost: the same objects are put again, conditionally.
    ws.db.prepare('UPDATE audit_log SET shipped_at = NULL').run();
    ws.db.prepare('UPDATE audit_heads SET shipped_at = NULL').run();
    expect(await ws.auditShipper!.shipNow()).toMatchObject({ error: null, pending: 0, shipped: first.shipped });
    expect(await snapshot()).toEqual(before);
  });
});

describe('lock and access expiry', () => {
  it('lock hides the record and drops the key, keeps the grant: the same clinician unlocks and finds it (audited lock/unlock)', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    expect(ws.emergency.current()?.recordId).toBe(record.recordId);

    const from = nextAuditSeq(ws);
    expect(ws.session.lock('idle')).toMatchObject({ locked: true });
    expect(ws.emergency.current()).toBeNull();
    await expect(ws.emergency.attachment(record.recordId, record.attachments[0]!.id)).rejects.toMatchObject({
      code: 'SESSION_LOCKED',
    });
    expect(() => ws.emergency.submissionContext(record.recordId)).toThrow(/SESSION_LOCKED/);

    await ws.session.unlock(fx.pki.passphrase);
    expect(ws.emergency.current()).toEqual(record);
    // The cloud is reached again with credentials from the re-opened key: an attachment downloads.
    await ws.emergency.attachment(record.recordId, record.attachments[0]!.id);
    expect(
      (await viewAttachment(ws, record.recordId, record.attachments[0]!.id)).bytes.equals(syntheticPhotoPng(0)),
    ).toBe(true);
    const steps = auditSteps(ws, from).map((s) => [
      s.step,
      s.details['lock-trigger'] ?? s.details['stop-reason'] ?? null,
    ]);
    expect(steps.filter(([step]) => step !== 'cloud-credentials' && step !== 'object-download')).toEqual([
      ['session-lock', 'idle'],
      ['certificate-check', null],
      ['session-unlock', null],
    ]);
    expect(ws.emergency.close(record.recordId)).toEqual({ closed: true });
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  });

  it('another clinician signing in at the locked workstation starts fresh: the grant ends (110138 clinician-changed)', async () => {
    const ws = fx.workstation();
    const ended: unknown[] = [];
    ws.events.on('emergency.ended', (e) => ended.push(e));
    await signInDemoClinician(ws, fx.pki);
    const { record, preview } = await scanAndOpen(ws, fx.patients[1]!.qrText);
    ws.session.lock();
    const from = nextAuditSeq(ws);
    const second = await ws.session.signIn(readFileSync(writeSecondClinician(fx.pki, fx.dir)), fx.pki.passphrase);
    expect(second).toMatchObject({ locked: false, clinician: { name: 'Dr Petros Second' } });
    expect(ws.emergency.current()).toBeNull();
    await expect(ws.emergency.attachment(record.recordId, record.attachments[0]!.id)).rejects.toMatchObject({
      code: 'ACCESS_EXPIRED',
    });
    // The scan shown before the lock is gone with it: its own message, not "partly read".
    await expect(ws.emergency.open(preview.scanId, DEFAULT_REASON)).rejects.toMatchObject({ code: 'SCAN_EXPIRED' });
    const stops = auditSteps(ws, from).filter((s) => s.step === '110138');
    expect(stops.map((s) => s.details['stop-reason'])).toEqual(['clinician-changed']);
    expect(ended).toEqual([{ recordId: record.recordId, reason: 'clinician-changed' }]);
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  });

  it("the grant's timer in main ends access at its limit, keys and record dropped, with nobody asking (locked)", async () => {
    let offsetMs = 0;
    const ws = fx.workstation({
      clock: () => new Date(Date.now() + offsetMs),
      config: (c) => (c.session.emergencyAccessMinutes = 5),
    });
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    ws.session.lock();
    const from = nextAuditSeq(ws);
    const ended = new Promise((resolve) => ws.events.on('emergency.ended', resolve));
    offsetMs = 5 * 60_000 + 1_000;
    // No call into the service: the timer (wall-clock checks every 15 s) does it.
    expect(await ended).toEqual({ recordId: record.recordId, reason: 'expired' });
    expect(auditSteps(ws, from).map((s) => [s.step, s.details['stop-reason']])).toEqual([['110138', 'expired']]);
    await ws.session.unlock(fx.pki.passphrase);
    expect(ws.emergency.current()).toBeNull();
  }, 60_000);

  it('access ends when its time is up: ACCESS_EXPIRED and a 110138 entry (expired)', async () => {
    let offsetMs = 0;
    const ws = fx.workstation({
      clock: () => new Date(Date.now() + offsetMs),
      config: (c) => (c.session.emergencyAccessMinutes = 5),
    });
    await signInDemoClinician(ws, fx.pki);
    const { record } = await scanAndOpen(ws, fx.patients[0]!.qrText);
    expect(Date.parse(record.accessExpiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);

    offsetMs = 5 * 60_000 + 1_000;
    const from = nextAuditSeq(ws);
    await expect(ws.emergency.attachment(record.recordId, record.attachments[0]!.id)).rejects.toMatchObject({
      code: 'ACCESS_EXPIRED',
    });
    expect(ws.emergency.current()).toBeNull();
    const stops = auditSteps(ws, from).filter((s) => s.step === '110138');
    expect(stops.map((s) => s.details['stop-reason'])).toEqual(['expired']);
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
  });

  it('expiry noticed by the screen (current) is audited once too', async () => {
    let offsetMs = 0;
    const ws = fx.workstation({
      clock: () => new Date(Date.now() + offsetMs),
      config: (c) => (c.session.emergencyAccessMinutes = 5),
    });
    await signInDemoClinician(ws, fx.pki);
    await scanAndOpen(ws, fx.patients[1]!.qrText);
    offsetMs = 6 * 60_000;
    const from = nextAuditSeq(ws);
    expect(ws.emergency.current()).toBeNull();
    expect(ws.emergency.current()).toBeNull();
    expect(auditSteps(ws, from).map((s) => [s.step, s.details['stop-reason']])).toEqual([['110138', 'expired']]);
  });
});

describe('the IPC layer', () => {
  it('sign-in, scan and open through the dispatcher answer typed envelopes', async () => {
    const ws = fx.workstation();
    const dispatch = createDispatcher(createHandlers(ws), silentLogger);
    const credentialBase64 = readFileSync(fx.pki.files.clinician).toString('base64');

    const refused = await dispatch('session.signIn', {
      fileName: 'clinician.p12',
      credentialBase64,
      passphrase: 'not-the-passphrase',
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE' } });
    const notSignedIn = await dispatch('emergency.scan', { text: fx.patients[0]!.qrText, source: 'wedge' });
    expect(notSignedIn.ok).toBe(true); // scanning is allowed before sign-in (the preview holds no record data)
    const openBeforeSignIn = await dispatch('emergency.open', {
      scanId: (notSignedIn as { value: ScanPreview }).value.scanId,
      reason: DEFAULT_REASON,
    });
    expect(openBeforeSignIn).toMatchObject({ ok: false, error: { code: 'NOT_SIGNED_IN' } });

    const signedIn = (await dispatch('session.signIn', {
      fileName: 'clinician.p12',
      credentialBase64,
      passphrase: fx.pki.passphrase,
    })) as IpcResult<SessionStatus>;
    expect(signedIn).toMatchObject({ ok: true, value: { clinician: { name: 'Dr Eleni Training' }, locked: false } });

    const scanned = (await dispatch('emergency.scan', {
      text: fx.patients[0]!.qrText,
      source: 'wedge',
    })) as IpcResult<ScanPreview>;
    if (!scanned.ok) throw new Error(scanned.error.code);
    const badReason = await dispatch('emergency.open', {
      scanId: scanned.value.scanId,
      reason: { code: 'other', text: '' },
    });
    expect(badReason).toMatchObject({
      ok: false,
      error: { code: 'IPC_INVALID_REQUEST', details: { field: 'reason.text' } },
    });
    const opened = (await dispatch('emergency.open', {
      scanId: scanned.value.scanId,
      reason: DEFAULT_REASON,
    })) as IpcResult<OpenRecord>;
    if (!opened.ok) throw new Error(opened.error.code);
    expect(opened.value).toMatchObject({ source: 'cloud', patientRef: scanned.value.patientRef });
    expect(opened.value.view.patient.names[0]).toContain('Martha');
    expect(await dispatch('emergency.current', {})).toEqual({ ok: true, value: opened.value });

    const badScan = await dispatch('emergency.scan', { text: 'HCPE1-garbage', source: 'wedge' });
    expect(badScan.ok).toBe(false);
    expect((badScan as { error: { code: string } }).error.code).toMatch(/^QR_/);
    expect(await dispatch('emergency.close', { recordId: opened.value.recordId })).toEqual({
      ok: true,
      value: { closed: true },
    });
  });
});
