/**
 * main/net: keep-alive agents per origin kept across requests, TLS verified against the system's
 * roots plus the configured CAs (never disabled), a new connection resuming the TLS session, client
 * identities on agents of their own, and the refusal of a server certificate from another CA or
 * for another host name. Real https servers on loopback, certificates from a throw-away CA.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionPool, exchange, untrustedServerCode, ResponseTooLarge } from '../../../main/net/index';
import { createTestCa } from '../../support/mtls-sts-responder';

interface Counted {
  server: Server;
  url: string;
  connections: number;
  resumed: number;
}

async function httpsServer(identity: { certificatePem: string; privateKeyPem: string }, host = '127.0.0.1') {
  const counted: Counted = { server: null as unknown as Server, url: '', connections: 0, resumed: 0 };
  const server = createServer({ cert: identity.certificatePem, key: identity.privateKeyPem }, (req, res) => {
    if (req.url === '/big') {
      res.end('x'.repeat(10_000));
      return;
    }
    if (req.url === '/silent') return; // never answers
    res.setHeader('content-type', 'text/plain');
    res.end(`hello ${req.method}`);
  });
  server.keepAliveTimeout = 60_000;
  server.on('secureConnection', (socket: TLSSocket) => {
    counted.connections++;
    if (socket.isSessionReused()) counted.resumed++;
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  counted.server = server;
  counted.url = `https://${host}:${(server.address() as AddressInfo).port}`;
  return counted;
}

const ca = createTestCa('HCP Test Sandbox CA');
const stranger = createTestCa('Some Other CA');
let trusted: Counted;
let foreign: Counted;
let otherHost: Counted;

beforeAll(async () => {
  trusted = await httpsServer(ca.issue('localhost', 'server'));
  foreign = await httpsServer(stranger.issue('localhost', 'server'));
  // A certificate for 127.0.0.1 and localhost, served at 127.0.0.2: the host name does not match.
  otherHost = await httpsServer(ca.issue('localhost', 'server'), '127.0.0.2');
});
afterAll(async () => {
  for (const s of [trusted, foreign, otherHost]) {
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
  }
});

const get = (pool: ConnectionPool, url: string, path = '/', activeTimeoutMs = 5_000) => {
  const u = new URL(path, url);
  return exchange({ url: u, method: 'GET', agent: pool.agentFor(u, { activeTimeoutMs }), maxBytes: 1024 });
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );

describe('ConnectionPool', () => {
  it('reuses one verified connection per origin across requests', async () => {
    const pool = new ConnectionPool({ ca: [ca.certificatePem] });
    const before = trusted.connections;
    for (let i = 0; i < 3; i++) {
      const answer = await get(pool, trusted.url);
      expect(answer.status).toBe(200);
      expect(answer.body.toString()).toBe('hello GET');
    }
    expect(trusted.connections - before).toBe(1);
    expect(pool.agentFor(trusted.url, { activeTimeoutMs: 5_000 })).toBe(
      pool.agentFor(new URL('/other', trusted.url), { activeTimeoutMs: 5_000 }),
    );
    pool.destroy();
  });

  it('a new connection after closeIdle() resumes the TLS session', async () => {
    const pool = new ConnectionPool({ ca: [ca.certificatePem] });
    await get(pool, trusted.url);
    const { connections, resumed } = trusted;
    pool.closeIdle();
    await get(pool, trusted.url);
    expect(trusted.connections - connections).toBe(1);
    expect(trusted.resumed - resumed).toBe(1);
    pool.destroy();
  });

  it('refuses a server certificate from a CA it was not given, naming the verification failure', async () => {
    const pool = new ConnectionPool({ ca: [ca.certificatePem] });
    const e = await failure(get(pool, foreign.url));
    expect(untrustedServerCode(e)).toMatch(/SELF_SIGNED|UNABLE_TO|CERT/);
    // Without the sandbox CA, the system's roots alone do not trust the sandbox either.
    const bare = new ConnectionPool();
    expect(untrustedServerCode(await failure(get(bare, trusted.url)))).not.toBeNull();
    pool.destroy();
    bare.destroy();
  });

  it('verifies the host name: a trusted certificate for another host is refused', async () => {
    const pool = new ConnectionPool({ ca: [ca.certificatePem] });
    expect(untrustedServerCode(await failure(get(pool, otherHost.url)))).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    pool.destroy();
  });

  it('keeps client identities on agents of their own, dropped by closeIdle()', () => {
    const pool = new ConnectionPool({ ca: [ca.certificatePem] });
    const a = { id: 'a', ...ca.issue('Dr A', 'client') };
    const b = { id: 'b', ...ca.issue('Dr B', 'client') };
    const agentA = pool.agentFor(trusted.url, { activeTimeoutMs: 1_000, identity: a });
    expect(pool.agentFor(trusted.url, { activeTimeoutMs: 1_000, identity: a })).toBe(agentA);
    expect(pool.agentFor(trusted.url, { activeTimeoutMs: 1_000, identity: b })).not.toBe(agentA);
    expect(pool.agentFor(trusted.url, { activeTimeoutMs: 1_000 })).not.toBe(agentA);
    const shared = pool.agentFor(trusted.url, { activeTimeoutMs: 1_000 });
    pool.closeIdle();
    expect(pool.agentFor(trusted.url, { activeTimeoutMs: 1_000, identity: a })).not.toBe(agentA);
    expect(pool.agentFor(trusted.url, { activeTimeoutMs: 1_000 })).toBe(shared);
    pool.destroy();
  });

  it('a request that gets no byte for activeTimeoutMs fails with ETIMEDOUT; the cap on the body holds', async () => {
    const pool = new ConnectionPool({ ca: [ca.certificatePem] });
    const e = (await failure(get(pool, trusted.url, '/silent', 300))) as { code?: string };
    expect(e.code).toBe('ETIMEDOUT');
    expect(await failure(get(pool, trusted.url, '/big'))).toBeInstanceOf(ResponseTooLarge);
    pool.destroy();
  });
});
