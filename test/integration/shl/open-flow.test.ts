/**
 * A SMART Health Link through the composition root and the IPC dispatcher, on the sandbox's SHL
 * server and a real SQLite file: scan -> break the glass -> passcode (wrong, right) -> the same
 * emergency view, source "shl", cached and audited; lock closes it; the cached copy is shown when
 * the server is unreachable.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IpcResult } from '../../../common/ipc/result';
import type { OpenRecord, ScanPreview } from '../../../common/ipc/channels/emergency';
import { verifyAuditChain } from '../../../main/audit/index';
import { emergencyViewOf } from '../../../main/fhir/index';
import { createDispatcher } from '../../../main/ipc/dispatch';
import { createHandlers } from '../../../main/ipc/handlers/index';
import { encodeShlink, parseShlink } from '../../../main/shl';
import { silentLogger } from '../../../main/log';
import { createShlViaAdmin } from '../../../scripts/sandbox/index';
import {
  auditSteps,
  createFlowFixture,
  DEFAULT_REASON,
  nextAuditSeq,
  sampleFile,
  signInDemoClinician,
  type FlowFixture,
} from '../../support/flow';

let fx: FlowFixture;
const sandbox = inject('sandbox');
const sample = sampleFile('IPS_IG-bundle-01.json');
const bundle = JSON.parse(readFileSync(sample, 'utf8')) as unknown;

beforeAll(async () => {
  fx = await createFlowFixture({ sandbox, samples: ['IPS_IG-bundle-01.json'], documents: false });
});
afterAll(async () => fx?.close());

const ok = <T>(r: IpcResult<T>): T => {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
};

describe('SMART Health Link: the emergency flow', () => {
  it('P link via IPC: the preview says so; wrong passcode shows the remaining attempts; right opens the same view, cached and audited', async () => {
    const ws = fx.workstation();
    const dispatch = createDispatcher(createHandlers(ws), silentLogger);
    await signInDemoClinician(ws, fx.pki);
    const link = await createShlViaAdmin(sandbox.shl!, {
      bundle,
      flag: 'P',
      passcode: 'blue tulip ζ',
      maxAttempts: 3,
      label: 'Martha — emergency summary',
    });
    const host = new URL(sandbox.shl!.url).host;

    const from = nextAuditSeq(ws);
    const preview = ok(
      await dispatch('emergency.scan', { text: `https://viewer.example/#${link.shlink}`, source: 'paste' }),
    ) as ScanPreview;
    expect(preview.shl).toEqual({ host, label: 'Martha — emergency summary', passcodeRequired: true, flags: ['P'] });
    expect(preview.cached).toBe(false);

    // The break-the-glass dialog's open without a passcode: refused before any access starts.
    expect(await dispatch('emergency.open', { scanId: preview.scanId, reason: DEFAULT_REASON })).toMatchObject({
      ok: false,
      error: { code: 'SHL_PASSCODE_REQUIRED' },
    });
    expect(await dispatch('shl.open', { scanId: preview.scanId, reason: DEFAULT_REASON, passcode: '1111' })).toEqual({
      ok: false,
      error: { code: 'SHL_PASSCODE_WRONG', details: { remainingAttempts: 2 } },
    });
    expect(await dispatch('shl.open', { scanId: preview.scanId, reason: { code: 'other', text: 'x' } })).toMatchObject({
      ok: false,
      error: { code: 'IPC_INVALID_REQUEST' },
    });

    const record = ok(
      await dispatch('shl.open', { scanId: preview.scanId, reason: DEFAULT_REASON, passcode: 'blue tulip ζ' }),
    ) as OpenRecord;
    expect(record).toMatchObject({
      source: 'shl',
      offlineReason: null,
      patientRef: preview.patientRef,
      shl: { host, label: 'Martha — emergency summary', contentType: 'application/fhir+json', card: null },
      attachments: [],
    });
    expect(record.view).toEqual(emergencyViewOf(readFileSync(sample)));
    expect(ok(await dispatch('emergency.current', {}))).toEqual(record);
    // No home cloud: additions are refused with a typed error.
    expect(() => ws.emergency.submissionContext(record.recordId)).toThrow(
      expect.objectContaining({ code: 'SHL_READ_ONLY' }),
    );
    expect(ws.cache.findByPatientRef(preview.patientRef)).not.toBeNull();
    expect(ok(await dispatch('emergency.close', { recordId: record.recordId }))).toEqual({ closed: true });

    // Scanned, then two accesses (the wrong passcode's and the right one's), each started and stopped.
    const steps = auditSteps(ws, from).map((s) => [s.step, s.outcome === '0' ? 'ok' : s.failure]);
    expect(steps).toEqual([
      ['qr-scan', 'ok'],
      ['110127', 'ok'],
      ['object-download', 'SHL_PASSCODE_WRONG'],
      ['110138', 'ok'],
      ['110127', 'ok'],
      ['object-download', 'ok'],
      ['object-download', 'ok'],
      ['110138', 'ok'],
    ]);
    expect(verifyAuditChain(ws.db)).toMatchObject({ intact: true });
    // The passcode is never written to the audit trail.
    expect(JSON.stringify(ws.audit.entries(from, 100))).not.toContain('blue tulip ζ');
  });

  it('a SMART Health Card link: verified issuer; U link; a lock takes it off the screen', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const card = await createShlViaAdmin(sandbox.shl!, { bundle, as: 'shc', flag: 'U' });
    const preview = ws.shl.scan(card.shlink, 'serial');
    const record = await ws.shl.open(preview.scanId, DEFAULT_REASON);
    expect(record.shl).toMatchObject({
      contentType: 'application/smart-health-card',
      card: { issuer: new URL(sandbox.shl!.issuer).host, verified: true },
    });
    ws.session.lock();
    expect(ws.emergency.current()).toBeNull();
  });

  it('exhausted passcode, expired link, newer v, wedge-corrupted scan: typed errors, nothing opened', async () => {
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const link = await createShlViaAdmin(sandbox.shl!, { bundle, flag: 'P', passcode: 'ok', maxAttempts: 1 });
    const preview = ws.shl.scan(link.shlink, 'paste');
    await expect(ws.shl.open(preview.scanId, DEFAULT_REASON, 'no')).rejects.toMatchObject({
      code: 'SHL_PASSCODE_EXHAUSTED',
    });
    // The scan is gone: the link is disabled at the server anyway.
    await expect(ws.shl.open(preview.scanId, DEFAULT_REASON, 'ok')).rejects.toMatchObject({ code: 'SCAN_EXPIRED' });

    const past = await createShlViaAdmin(sandbox.shl!, { bundle, exp: Math.floor(Date.now() / 1000) - 3600 });
    expect(() => ws.shl.scan(past.shlink, 'paste')).toThrow(expect.objectContaining({ code: 'SHL_EXPIRED' }));
    const newer = await createShlViaAdmin(sandbox.shl!, { bundle, v: 2 });
    expect(() => ws.shl.scan(newer.shlink, 'paste')).toThrow(
      expect.objectContaining({ code: 'SHL_UNSUPPORTED_VERSION' }),
    );
    const dispatch = createDispatcher(createHandlers(ws), silentLogger);
    const german = link.shlink.replace('shlink:/', 'shlinkÖ-');
    expect(await dispatch('emergency.scan', { text: german, source: 'wedge' })).toMatchObject({
      ok: false,
      error: { code: 'SHL_LAYOUT_MISMATCH' },
    });
    expect(ws.emergency.current()).toBeNull();
  });

  it('server unreachable: the copy read earlier from this link is shown from the cache, with the reason', async () => {
    const dataDir = `${fx.dir}/shared-cache`;
    const ws = fx.workstation({ dataDir });
    await signInDemoClinician(ws, fx.pki);
    const link = await createShlViaAdmin(sandbox.shl!, { bundle });
    const first = await ws.shl.open(ws.shl.scan(link.shlink, 'paste').scanId, DEFAULT_REASON);
    ws.emergency.close(first.recordId);

    // A link whose server is down and that was never read here: unreachable, and no copy to show.
    const p = parseShlink(link.shlink);
    const down = encodeShlink({ url: 'https://127.0.0.1:9/m/none', key: p.key });
    await expect(ws.shl.open(ws.shl.scan(down, 'paste').scanId, DEFAULT_REASON)).rejects.toMatchObject({
      code: 'SHL_UNREACHABLE',
    });

    // One workstation per data directory: this one leaves before the next opens the same cache.
    await ws.close();
    // The first link's server out of reach (this workstation does not trust the sandbox CA): its cached copy, with the reason.
    const offline = fx.workstation({
      dataDir: `${fx.dir}/shared-cache`,
      config: (c) => void (c.shl = { ...c.shl!, trustedCas: [] }),
    });
    await signInDemoClinician(offline, fx.pki);
    const again = await offline.shl.open(offline.shl.scan(link.shlink, 'paste').scanId, DEFAULT_REASON);
    expect(again).toMatchObject({
      source: 'cache',
      offlineReason: 'SHL_UNREACHABLE',
      shl: { host: new URL(sandbox.shl!.url).host },
    });
    expect(again.view).toEqual(first.view);
    offline.emergency.close(again.recordId);
    // The same manifest URL with another key (a forged link) does not open the copy: it is bound to the link's key.
    const forged = encodeShlink({ url: p.url, key: new Uint8Array(32).fill(1) });
    await expect(offline.shl.open(offline.shl.scan(forged, 'paste').scanId, DEFAULT_REASON)).rejects.toMatchObject({
      code: 'CACHE_QR_MISMATCH',
    });
  });
});
