/**
 * The sandbox's TLS material, made at each start (never checked in): a throw-away CA and one
 * server certificate for 127.0.0.1 and localhost, used by RGW (beast `ssl_certificate` /
 * `ssl_private_key`), the HRI stand-in and the emergency-access endpoint. Only `ca.pem` is meant to
 * leave the sandbox (the workstation's `tls.trustedCas`); the server key stays in the sandbox
 * directory, readable by its owner only, and goes with it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTestCa } from '../../test/support/mtls-sts-responder';

export interface ServerIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

export interface SandboxTls {
  /** The CA certificate (PEM) the workstation trusts. */
  caPem: string;
  caFile: string;
  server: ServerIdentity & { certFile: string; keyFile: string };
}

export function createSandboxTls(dir: string): SandboxTls {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = createTestCa('HCP Sandbox TLS CA');
  const server = ca.issue('localhost', 'server');
  const caFile = join(dir, 'ca.pem');
  const certFile = join(dir, 'server.pem');
  const keyFile = join(dir, 'server.key');
  writeFileSync(caFile, ca.certificatePem);
  writeFileSync(certFile, server.certificatePem);
  writeFileSync(keyFile, server.privateKeyPem, { mode: 0o600 });
  return { caPem: ca.certificatePem, caFile, server: { ...server, certFile, keyFile } };
}

export interface LoopbackListener {
  /** http://127.0.0.1:<port> */
  url: string;
  /** https://127.0.0.1:<port>, when a TLS identity was given: the same handler over TLS. */
  tlsUrl: string | null;
  close(): Promise<void>;
}

/**
 * Serves `handler` on 127.0.0.1 over http (port `port`, 0: a free one) and, with `tls`, also over
 * https on a free port. Keep-alive connections are held longer than the workstation keeps an idle
 * one (15 s, main/net), as real servers do; close() ends them all.
 */
export async function listenLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  options: { port?: number; tls?: ServerIdentity | null },
): Promise<LoopbackListener> {
  const servers: Server[] = [createHttpServer(handler)];
  if (options.tls)
    servers.push(createHttpsServer({ cert: options.tls.certificatePem, key: options.tls.privateKeyPem }, handler));
  const ports: number[] = [];
  for (const [i, server] of servers.entries()) {
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(i === 0 ? (options.port ?? 0) : 0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    ports.push((server.address() as AddressInfo).port);
  }
  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${ports[0]}`,
    tlsUrl: ports[1] ? `https://127.0.0.1:${ports[1]}` : null,
    close: () =>
      (closing ??= Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve, reject) => {
              server.close((e) => (e ? reject(e) : resolve()));
              server.closeAllConnections();
            }),
        ),
      ).then(() => {})),
  };
}
