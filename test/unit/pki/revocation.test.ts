import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChain, issueCertificate, issueCrl } from '../../support/test-ca';
import { CrlCache, verifyClinicianChain } from '../../../main/pki';
import { openDatabase } from '../../../main/cache/database';
import { DAY, verifyChain } from './fixtures';

describe.each(['rsa2048', 'p256'] as const)('CRL revocation (%s)', (key) => {
  const c = createChain({ levels: 3, key });
  const int = c.intermediates[0]!;
  const rootCrl = issueCrl({ issuer: c.root }).crl;

  it('fails a revoked clinician certificate, whatever the policy', () => {
    const crl = issueCrl({ issuer: int, revoked: [{ serial: c.leaf.serial, reason: 1 }] }).crl;
    for (const revocation of ['hard-fail', 'warn'] as const) {
      expect(verifyChain(c, { crls: [rootCrl, crl], policy: { revocation } })).toMatchObject({
        valid: false,
        code: 'PKI_REVOKED',
        details: { subject: c.leaf.subject, reason: 'keyCompromise' },
      });
    }
  });

  it('fails a revoked intermediate', () => {
    const crl = issueCrl({ issuer: c.root, revoked: [{ serial: int.serial }] }).crl;
    expect(verifyChain(c, { crls: [crl, issueCrl({ issuer: int }).crl] })).toMatchObject({
      code: 'PKI_REVOKED',
      details: { subject: int.subject },
    });
  });

  it('accepts with fresh CRLs that do not list the certificates', () => {
    const crl = issueCrl({ issuer: int, revoked: [{ serial: '0badc0de' }] }).crl;
    expect(verifyChain(c, { crls: [rootCrl, crl] })).toMatchObject({ valid: true, warnings: [] });
  });

  it('treats a stale CRL per policy: hard-fail refuses, warn accepts with a warning', () => {
    const stale = issueCrl({
      issuer: int,
      thisUpdate: new Date(Date.now() - 10 * DAY),
      nextUpdate: new Date(Date.now() - DAY),
    }).crl;
    expect(verifyChain(c, { crls: [rootCrl, stale], policy: { revocation: 'hard-fail' } })).toMatchObject({
      valid: false,
      code: 'PKI_REVOCATION_UNKNOWN',
      details: { problem: 'stale' },
    });
    const warned = verifyChain(c, { crls: [rootCrl, stale], policy: { revocation: 'warn' } });
    expect(warned).toMatchObject({ valid: true, code: 'OK' });
    expect(warned.warnings).toEqual([
      { code: 'PKI_REVOCATION_UNKNOWN', details: { subject: c.leaf.subject, problem: 'stale' } },
    ]);
  });

  it('treats a missing CRL per policy', () => {
    expect(verifyChain(c, { crls: [rootCrl], policy: { revocation: 'hard-fail' } })).toMatchObject({
      code: 'PKI_REVOCATION_UNKNOWN',
      details: { problem: 'missing' },
    });
    expect(verifyChain(c, { crls: [rootCrl], policy: { revocation: 'warn' } })).toMatchObject({ valid: true });
  });

  it('refuses a CRL with a bad signature, signed by another key, or by a CA without cRLSign', () => {
    const bad = issueCrl({ issuer: int, corruptSignature: true }).crl;
    expect(verifyChain(c, { crls: [rootCrl, bad] })).toMatchObject({ code: 'PKI_CRL_INVALID' });
    const other = issueCertificate({ subject: int.subject, ca: true, key: [key, 555] });
    const forged = issueCrl({ issuer: other }).crl;
    expect(verifyChain(c, { crls: [rootCrl, forged] })).toMatchObject({ code: 'PKI_CRL_INVALID' });
    // a good CRL next to a bad one is enough
    expect(verifyChain(c, { crls: [rootCrl, bad, issueCrl({ issuer: int }).crl] })).toMatchObject({ valid: true });
    const noCrlSign = createChain({ levels: 3, key, slot: 3, intermediate: { keyUsage: ['keyCertSign'] } });
    const crls = [issueCrl({ issuer: noCrlSign.root }).crl, issueCrl({ issuer: noCrlSign.intermediates[0]! }).crl];
    expect(verifyChain(noCrlSign, { crls })).toMatchObject({ code: 'PKI_CRL_INVALID' });
  });

  it('refuses a CRL with an unknown critical extension or entry extension', () => {
    const value = Buffer.from([0x05, 0x00]);
    const crlExt = issueCrl({ issuer: int, extensions: [{ oid: '1.2.3.99', critical: true, value }] }).crl;
    expect(verifyChain(c, { crls: [rootCrl, crlExt] })).toMatchObject({ valid: false, code: 'PKI_CRL_INVALID' });
    const entryExt = issueCrl({
      issuer: int,
      revoked: [{ serial: '01', extensions: [{ oid: '1.2.3.98', critical: true, value }] }],
    }).crl;
    expect(verifyChain(c, { crls: [rootCrl, entryExt] })).toMatchObject({ valid: false });
  });

  it('respects issuingDistributionPoint scope (user-only CRL does not cover CAs)', () => {
    const userOnly = issueCrl({ issuer: c.root, scope: { onlyUserCerts: true } }).crl;
    expect(verifyChain(c, { crls: [userOnly, issueCrl({ issuer: int }).crl] })).toMatchObject({
      code: 'PKI_REVOCATION_UNKNOWN',
      details: { subject: int.subject },
    });
  });

  it('uses a partitioned CRL (issuingDistributionPoint) only for certificates naming that distribution point', () => {
    const dp = 'http://crl.example/part1.crl';
    const inPart = issueCertificate({
      subject: 'CN=Dr Part',
      issuer: int,
      key: [key, 560],
      crlDistributionPoints: [dp],
    });
    const otherPart = issueCertificate({
      subject: 'CN=Dr Other Part',
      issuer: int,
      key: [key, 561],
      crlDistributionPoints: ['http://crl.example/part2.crl'],
    });
    const partCrl = issueCrl({ issuer: int, scope: { distributionPoint: dp } }).crl;
    const run = (leaf: typeof inPart) =>
      verifyClinicianChain({
        leaf: leaf.cert,
        intermediates: [int.cert],
        trustAnchors: [c.root.cert],
        crls: [rootCrl, partCrl],
        policy: { revocation: 'hard-fail' },
      });
    expect(run(inPart)).toMatchObject({ valid: true });
    expect(run(otherPart)).toMatchObject({ valid: false, code: 'PKI_REVOCATION_UNKNOWN' });
    expect(verifyChain(c, { crls: [rootCrl, partCrl] })).toMatchObject({
      valid: false,
      code: 'PKI_REVOCATION_UNKNOWN',
    });
  });

  it('accepts CRLs signed by a self-issued CRL-signing key of the CA (and refuses it when that certificate is revoked)', () => {
    const crlKey = issueCertificate({
      subject: int.subject,
      issuer: int,
      key: [key, 562],
      keyUsage: ['cRLSign'],
      extKeyUsage: null,
      basicConstraints: null,
    });
    const good = issueCrl({ issuer: int, signer: crlKey }).crl;
    const run = (crls: (typeof good)[]) =>
      verifyClinicianChain({
        leaf: c.leaf.cert,
        intermediates: [int.cert, crlKey.cert],
        trustAnchors: [c.root.cert],
        crls: [rootCrl, ...crls],
        policy: { revocation: 'hard-fail' },
      });
    expect(run([good])).toMatchObject({ valid: true });
    const revokesKey = issueCrl({ issuer: int, signer: crlKey, revoked: [{ serial: crlKey.serial }] }).crl;
    expect(run([revokesKey])).toMatchObject({ valid: false });
  });

  it('accepts a CRL signed by a separate CRL-signing certificate of the same CA name', () => {
    const signer = issueCertificate({
      subject: int.subject,
      issuer: c.root,
      key: [key, 556],
      keyUsage: ['cRLSign'],
      extKeyUsage: null,
      basicConstraints: null,
    });
    const crl = issueCrl({ issuer: int, signer }).crl;
    const r = verifyClinicianChain({
      leaf: c.leaf.cert,
      intermediates: [int.cert, signer.cert],
      trustAnchors: [c.root.cert],
      crls: [rootCrl, crl],
      policy: { revocation: 'hard-fail' },
    });
    expect(r).toMatchObject({ valid: true });
  });
});

describe('CRL cache (SQLite, migration 002) and distribution points', () => {
  const c = createChain({ levels: 3, key: 'p256', slot: 5 });
  const int = c.intermediates[0]!;
  let body: Buffer = issueCrl({ issuer: int }).der;
  const rootBody: Buffer = issueCrl({ issuer: c.root }).der;
  let status = 200;
  let hits = 0;
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      res.writeHead(status, { 'content-type': 'application/pkix-crl' });
      res.end(req.url === '/root.crl' ? rootBody : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches, verifies and stores a CRL, then works offline from the cache', async () => {
    const { db } = openDatabase(':memory:');
    const cache = new CrlCache(db);
    expect(await cache.refresh(`${base}/int.crl`, int.cert)).toMatchObject({ status: 'updated' });
    expect(cache.list()).toEqual([
      expect.objectContaining({ source: `${base}/int.crl`, issuer: int.subject, lastError: null }),
    ]);
    expect(cache.needsRefresh(`${base}/int.crl`)).toBe(false);
    status = 503;
    expect(await cache.refresh(`${base}/int.crl`, int.cert)).toMatchObject({ status: 'failed', error: 'HTTP 503' });
    status = 200;
    const crls = [issueCrl({ issuer: c.root }).crl, ...cache.all()];
    expect(
      verifyClinicianChain({ leaf: c.leaf.cert, intermediates: [int.cert], trustAnchors: [c.root.cert], crls }),
    ).toMatchObject({ valid: true });
    expect(cache.list()[0]!.lastError).toBe('HTTP 503');
    db.close();
  });

  it('refuses a CRL not signed by the issuer and never replaces a CRL by an older one', async () => {
    const { db } = openDatabase(':memory:');
    const cache = new CrlCache(db);
    body = issueCrl({ issuer: int, corruptSignature: true }).der;
    expect(await cache.refresh(`${base}/x.crl`, int.cert)).toMatchObject({
      status: 'failed',
      error: 'PKI_CRL_INVALID',
    });
    body = issueCrl({ issuer: int, thisUpdate: new Date(Date.now() - 60_000), crlNumber: 2 }).der;
    expect(await cache.refresh(`${base}/x.crl`, int.cert)).toMatchObject({ status: 'updated' });
    body = issueCrl({ issuer: int, thisUpdate: new Date(Date.now() - 3 * DAY), crlNumber: 1 }).der;
    expect(await cache.refresh(`${base}/x.crl`, int.cert)).toMatchObject({ status: 'kept-newer' });
    expect(cache.get(`${base}/x.crl`)!.crlNumber).toBe('02');
    db.close();
  });

  it('the configured verifier refreshes distribution points of the path and applies the policy', async () => {
    const { ClinicianVerifier } = await import('../../../main/pki');
    const { makeTempDir, writePkiFiles } = await import('../../support/test-ca');
    const root = c.root;
    const ca = issueCertificate({
      subject: 'CN=DP CA, C=GR',
      ca: true,
      issuer: root,
      key: ['p256', 600],
      crlDistributionPoints: [`${base}/root.crl`],
    });
    const leaf = issueCertificate({
      subject: 'CN=Dr DP, C=GR',
      issuer: ca,
      key: ['p256', 601],
      crlDistributionPoints: [`${base}/ca.crl`],
    });
    const revokedLeaf = issueCertificate({
      subject: 'CN=Dr Revoked DP, C=GR',
      issuer: ca,
      key: ['p256', 602],
      crlDistributionPoints: [`${base}/ca.crl`],
    });
    const files = writePkiFiles(makeTempDir(), {
      'root.pem': root.pem,
      'ca.pem': ca.pem,
      'root-crl.pem': issueCrl({ issuer: root }).pem,
    });
    const { db } = openDatabase(':memory:');
    const cache = new CrlCache(db);
    const config = {
      trustAnchors: [files['root.pem']],
      intermediates: [files['ca.pem']],
      crlFiles: [files['root-crl.pem']],
      fetchCrlDistributionPoints: true,
      revocation: 'hard-fail' as const,
      clockSkewSeconds: 300,
      clinicianEku: '1.3.6.1.5.5.7.3.2',
      requiredPolicy: null,
      roleExtensionOid: null,
    };
    const verifier = new ClinicianVerifier(config, { crlCache: cache });
    body = issueCrl({ issuer: ca, revoked: [{ serial: revokedLeaf.serial }] }).der;
    const before = hits;
    const ok = await verifier.verify(leaf.cert);
    expect(ok.result).toMatchObject({ valid: true });
    expect(ok.identity).toMatchObject({ name: 'Dr DP' });
    expect(hits).toBe(before + 2); // the CA's and the root's distribution points
    expect((await verifier.verify(revokedLeaf.cert)).result).toMatchObject({ code: 'PKI_REVOKED' });
    expect(hits).toBe(before + 2); // served from the cache
    // offline with an empty cache: hard-fail refuses, warn accepts with a warning
    status = 500;
    const offline = new ClinicianVerifier(config, { crlCache: new CrlCache(openDatabase(':memory:').db) });
    expect((await offline.verify(leaf.cert)).result).toMatchObject({ valid: false, code: 'PKI_REVOCATION_UNKNOWN' });
    const warn = new ClinicianVerifier(
      { ...config, revocation: 'warn' },
      { crlCache: new CrlCache(openDatabase(':memory:').db) },
    );
    const warned = await warn.verify(leaf.cert);
    expect(warned.result).toMatchObject({ valid: true });
    expect(warned.result.warnings[0]).toMatchObject({ code: 'PKI_REVOCATION_UNKNOWN' });
    status = 200;
    db.close();
  });
});
