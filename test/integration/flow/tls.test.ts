/**
 * The whole open over TLS (issue 15 §1-2): RGW (beast ssl_endpoint), the HRI stand-in and STS at
 * the sandbox's https endpoints, server certificates from the sandbox CA the configuration trusts
 * (tls.trustedCas), host names verified. A counting relay (scripts/bench/relay.ts, no delay) in
 * front of S3 and the HRI shows connection reuse: the first open makes TLS connections, a warm one
 * none. A configuration trusting another CA is refused with TLS_SERVER_UNTRUSTED, and no cached
 * copy is offered around the refusal.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import type { HospitalConfig } from '../../../common/config/schema';
import { startRelay, type Relay, type RelayStats } from '../../../scripts/bench/relay';
import {
  createFlowFixture,
  registerLocation,
  requireTls,
  scanAndOpen,
  signInDemoClinician,
  type FlowFixture,
} from '../../support/flow';
import { createTestCa } from '../../support/mtls-sts-responder';

let fx: FlowFixture;
let relays: { s3: Relay; hri: Relay };
let s3Url: string;
let hriUrl: string;
let strangerCaFile: string;

const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  const sandbox = inject('sandbox');
  const tls = requireTls(sandbox);
  fx = await createFlowFixture({ sandbox, samples: ['IPS_IG-bundle-01.json'], documents: false, tls: true });
  relays = {
    s3: await startRelay({ targetPort: portOf(tls.s3Endpoint), delayMs: 0 }),
    hri: await startRelay({ targetPort: portOf(tls.hriUrl), delayMs: 0 }),
  };
  s3Url = `https://127.0.0.1:${relays.s3.port}`;
  hriUrl = `https://127.0.0.1:${relays.hri.port}`;
  // The record's location names the relayed https endpoint (the certificate is for 127.0.0.1: any port).
  await registerLocation(sandbox, fx.patients[0]!, { endpoint: s3Url });
  strangerCaFile = join(fx.dir, 'stranger-ca.pem');
  writeFileSync(strangerCaFile, createTestCa('Not the sandbox CA').certificatePem);
});
afterAll(async () => {
  await relays?.s3.close();
  await relays?.hri.close();
  await fx?.close();
});

/** Through the relays; `edit` changes the rest. */
const viaRelays =
  (edit?: (c: HospitalConfig) => void) =>
  (c: HospitalConfig): void => {
    c.hri.url = hriUrl;
    c.cloud.defaultEndpoint = s3Url;
    if (c.cloud.credentials.kind === 'sts-assume-role') c.cloud.credentials.stsEndpoint = s3Url;
    edit?.(c);
  };

const counts = () => ({ s3: relays.s3.stats(), hri: relays.hri.stats() });
const delta = (before: Record<string, RelayStats>, after: Record<string, RelayStats>) =>
  Object.fromEntries(
    Object.keys(after).map((h) => [
      h,
      {
        connects: after[h]!.connects - before[h]!.connects,
        tlsHandshakes: after[h]!.tlsHandshakes - before[h]!.tlsHandshakes,
      },
    ]),
  );

describe('the open over TLS with the sandbox CA', () => {
  it('opens from the cloud over https; a warm open makes no new connection and no TLS handshake', async () => {
    let config: HospitalConfig | null = null;
    const ws = fx.workstation({ config: viaRelays((c) => void (config = c)) });
    expect(config!.tls?.trustedCas).toEqual([requireTls(fx.sandbox).caFile]);
    expect([config!.hri.url, config!.cloud.defaultEndpoint]).toEqual([hriUrl, s3Url]);
    await signInDemoClinician(ws, fx.pki);
    const patient = fx.patients[0]!;

    const before = counts();
    const first = await scanAndOpen(ws, patient.qrText);
    expect(first.record).toMatchObject({ source: 'cloud', offlineReason: null, integrity: { verified: true } });
    expect(first.record.view.patient.names[0]).toContain('Martha');
    const cold = delta(before, counts());
    // Every connection the open made is TLS (S3 and STS share RGW's: one pool per origin).
    for (const host of ['s3', 'hri']) {
      expect(cold[host]!.connects, host).toBeGreaterThanOrEqual(1);
      expect(cold[host]!.tlsHandshakes, host).toBe(cold[host]!.connects);
    }

    const warmBefore = counts();
    const second = await scanAndOpen(ws, patient.qrText);
    expect(second.record.source).toBe('cloud');
    expect(delta(warmBefore, counts())).toEqual({
      s3: { connects: 0, tlsHandshakes: 0 },
      hri: { connects: 0, tlsHandshakes: 0 },
    });

    // Sign-out closes the idle connections: the next session connects (and handshakes) again.
    await ws.session.signOut();
    await signInDemoClinician(ws, fx.pki);
    const again = counts();
    expect((await scanAndOpen(ws, patient.qrText)).record.source).toBe('cloud');
    const after = delta(again, counts());
    expect(after.s3!.tlsHandshakes).toBeGreaterThanOrEqual(1);
    expect(after.hri!.tlsHandshakes).toBeGreaterThanOrEqual(1);
  });
});

describe('a server certificate from another CA', () => {
  async function openFails(ws: ReturnType<FlowFixture['workstation']>): Promise<WorkstationError> {
    await signInDemoClinician(ws, fx.pki);
    const e = await scanAndOpen(ws, fx.patients[0]!.qrText).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(WorkstationError);
    return e as WorkstationError;
  }

  it('is refused at the HRI with TLS_SERVER_UNTRUSTED, even with a cached copy of the record', async () => {
    const dataDir = join(fx.dir, 'shared-data');
    // A trusted workstation opens the record once: its cache now holds a copy.
    const trusted = fx.workstation({ dataDir, config: viaRelays() });
    await signInDemoClinician(trusted, fx.pki);
    expect((await scanAndOpen(trusted, fx.patients[0]!.qrText)).record.source).toBe('cloud');
    await trusted.close();

    const ws = fx.workstation({ dataDir, config: viaRelays((c) => (c.tls = { trustedCas: [strangerCaFile] })) });
    const e = await openFails(ws);
    expect(e.code).toBe('TLS_SERVER_UNTRUSTED');
    expect(e.details).toMatchObject({ service: 'hri', tls: expect.stringMatching(/CERT|UNABLE_TO/) });
    await ws.close();
  });

  it('is refused at S3/STS with TLS_SERVER_UNTRUSTED (the HRI reached over http)', async () => {
    const ws = fx.workstation({
      config: viaRelays((c) => {
        c.hri.url = fx.sandbox.hri.url;
        c.tls = { trustedCas: [strangerCaFile] };
      }),
    });
    const e = await openFails(ws);
    expect(e.code).toBe('TLS_SERVER_UNTRUSTED');
    expect(e.details).toMatchObject({ service: expect.stringMatching(/^(sts|cloud)$/) });
    await ws.close();
  });
});
