/**
 * The sandbox with TLS (global setup starts it so): RGW (beast ssl_endpoint), the HRI stand-in and
 * the emergency-access endpoint answer over https with a certificate from the sandbox CA made at
 * start; only the CA certificate is meant to leave the sandbox, the server key is its owner's only.
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { ConnectionPool, exchange, untrustedServerCode } from '../../../main/net/index';
import { requireTls } from '../../support/flow';

const get = (pool: ConnectionPool, url: string, method: 'GET' | 'POST' = 'GET') =>
  exchange({
    url: new URL(url),
    method,
    agent: pool.agentFor(url, { activeTimeoutMs: 10_000 }),
    maxBytes: 64 * 1024,
    ...(method === 'POST' ? { body: '{"v":1}', headers: { 'content-type': 'application/json' } } : {}),
  });

describe('sandbox --tls', () => {
  it('serves S3, the HRI and the emergency-access endpoint over https, verified with the sandbox CA', async () => {
    const tls = requireTls(inject('sandbox'));
    const pool = new ConnectionPool({ ca: [readFileSync(tls.caFile, 'utf8')] });
    try {
      expect((await get(pool, `${tls.s3Endpoint}/`)).status).toBe(200);
      const health = await get(pool, `${tls.hriUrl}/v1/health`);
      expect(JSON.parse(health.body.toString())).toEqual({ ok: true });
      const challenge = await get(pool, `${tls.accessUrl}/v1/access/challenge`, 'POST');
      expect(JSON.parse(challenge.body.toString())).toMatchObject({ v: 1, nonce: expect.any(String) });
    } finally {
      pool.destroy();
    }
  });

  it('is not trusted without the sandbox CA', async () => {
    const tls = requireTls(inject('sandbox'));
    const bare = new ConnectionPool();
    try {
      for (const url of [`${tls.s3Endpoint}/`, `${tls.hriUrl}/v1/health`]) {
        const e = await get(bare, url).then(
          () => null,
          (err: unknown) => err,
        );
        expect(untrustedServerCode(e), url).not.toBeNull();
      }
    } finally {
      bare.destroy();
    }
  });

  it('writes the CA certificate without a key; the server key is readable by its owner only', () => {
    const tls = requireTls(inject('sandbox'));
    const ca = readFileSync(tls.caFile, 'utf8');
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(ca).not.toMatch(/PRIVATE KEY/);
    const keyFile = tls.caFile.replace(/ca\.pem$/, 'server.key');
    expect(statSync(keyFile).mode & 0o077).toBe(0);
  });
});
