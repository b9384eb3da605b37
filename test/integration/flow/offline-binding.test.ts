/**
 * The offline cache is bound to the QR (issue 12 §4): a record cached by one QR opens offline only
 * for a QR whose master key matches. A QR re-encoded with the same citizen id and HRI token but
 * another key — what a forger who knows the ids could make — is refused (CACHE_QR_MISMATCH).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { errorMessage } from '../../../common/i18n/messages';
import { verifyAuditChain } from '../../../main/audit/index';
import {
  auditSteps,
  createFlowFixture,
  nextAuditSeq,
  reencodeQr,
  scanAndOpen,
  signInDemoClinician,
  type FlowFixture,
} from '../../support/flow';
import { closedPort, startStandIn } from './stand-ins';

let fx: FlowFixture;

beforeAll(async () => {
  fx = await createFlowFixture({ sandbox: inject('sandbox'), samples: ['IPS_IG-bundle-01.json'], documents: false });
});
afterAll(async () => fx?.close());

describe('offline cache bound to the QR', () => {
  it('opens the cached copy offline for the QR that stored it, and refuses a QR naming the citizen with another key', async () => {
    const p = fx.patients[0]!;
    const dataDir = `${fx.dir}/shared-data`;
    const online = fx.workstation({ dataDir });
    await signInDemoClinician(online, fx.pki);
    const first = (await scanAndOpen(online, p.qrText)).record;
    expect(first.source).toBe('cloud');
    await online.close();

    // The same data directory, the HRI unreachable: the cache is all there is.
    const hriDown = `http://127.0.0.1:${await closedPort()}`;
    const offline = fx.workstation({ dataDir, config: (c) => Object.assign(c.hri, { url: hriDown, retries: 0 }) });
    await signInDemoClinician(offline, fx.pki);

    const forged = reencodeQr(p, { masterKey: randomBytes(32), cloudHint: null });
    const from = nextAuditSeq(offline);
    const preview = offline.emergency.scan(forged, 'manual');
    expect(preview.cached).toBe(true); // it names the same citizen
    const error = await offline.emergency
      .open(preview.scanId, { code: 'emergency-treatment', text: 'forged' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CACHE_QR_MISMATCH' });
    expect(errorMessage((error as { toInfo(): never }).toInfo(), 'en')).toMatch(/does not belong to this QR code/);
    expect(errorMessage((error as { toInfo(): never }).toInfo(), 'el')).toMatch(/QR/);
    expect(offline.emergency.current()).toBeNull();
    expect(auditSteps(offline, from).find((s) => s.step === 'cache-open')).toMatchObject({
      outcome: expect.not.stringMatching(/^0$/),
    });
    expect(verifyAuditChain(offline.db)).toMatchObject({ intact: true });

    const { record } = await scanAndOpen(offline, reencodeQr(p, { cloudHint: null }));
    expect(record).toMatchObject({ source: 'cache', offlineReason: 'HRI_UNAVAILABLE' });
    expect(record.view).toEqual(first.view);
  });
});

describe('QR cloud hint allow-list', () => {
  it('never contacts a host the QR names when it is not allowed (CLOUD_HINT_NOT_ALLOWED); an allowed one is followed', async () => {
    const p = fx.patients[0]!;
    const elsewhere = await startStandIn((_req, res) => res.writeHead(503).end());
    try {
      const hriDown = `http://127.0.0.1:${await closedPort()}`;
      const ws = fx.workstation({ config: (c) => Object.assign(c.hri, { url: hriDown, retries: 0 }) });
      await signInDemoClinician(ws, fx.pki);
      const hinted = reencodeQr(p, { cloudHint: elsewhere.url });
      const error = await scanAndOpen(ws, hinted).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CLOUD_HINT_NOT_ALLOWED', details: { host: new URL(elsewhere.url).host } });
      expect(elsewhere.seen).toEqual([]);

      const allowing = fx.workstation({
        config: (c) =>
          Object.assign(c.hri, { url: hriDown, retries: 0, cloudHintHosts: [new URL(elsewhere.url).host] }),
      });
      await signInDemoClinician(allowing, fx.pki);
      await expect(scanAndOpen(allowing, hinted)).rejects.toMatchObject({ code: 'CLOUD_UNAVAILABLE' });
      expect(elsewhere.seen.length).toBeGreaterThan(0);
    } finally {
      await elsewhere.close();
    }
  });
});
