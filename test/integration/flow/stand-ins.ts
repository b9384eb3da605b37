/**
 * Local HTTP servers that stand in for a misbehaving HRI, S3 or STS in the flow tests: real
 * sockets on 127.0.0.1, real status codes; the workstation's code is not touched. Proxies forward
 * the Host header unchanged (SigV4 signed it for the proxy's address).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface StandIn {
  url: string;
  /** Requests seen (method + path). */
  seen: string[];
  close(): Promise<void>;
}

/** A server answering every request with `handler` (which may also never answer). */
export async function startStandIn(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<StandIn> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Forwards a request to `upstream`; `rewrite` may change the (buffered) response body. */
function forward(upstream: URL, req: IncomingMessage, res: ServerResponse, rewrite?: (body: Buffer) => Buffer): void {
  const out = request(
    { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
    (up) => {
      if (!rewrite) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        const body = rewrite(Buffer.concat(chunks));
        const headers = { ...up.headers, 'content-length': String(body.length) };
        delete headers['transfer-encoding'];
        res.writeHead(up.statusCode ?? 502, headers);
        res.end(body);
      });
    },
  );
  out.on('error', () => res.destroy());
  req.pipe(out);
}

export interface UnavailableProxy extends StandIn {
  /** While true, every request is answered 503 ServiceUnavailable (S3 XML); otherwise forwarded. */
  failing: boolean;
}

/** An S3 front that answers 503 (as an overloaded S3 or its load balancer does) until told to recover. */
export async function startUnavailableProxy(upstream: string): Promise<UnavailableProxy> {
  const target = new URL(upstream);
  const state = { failing: true };
  const standIn = await startStandIn((req, res) => {
    if (!state.failing) return forward(target, req, res);
    req.resume();
    req.on('end', () => {
      res.writeHead(503, { 'content-type': 'application/xml', 'x-amz-request-id': `stand-in-${Date.now()}` });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>Please reduce your request rate.</Message></Error>',
      );
    });
  });
  return Object.defineProperty(standIn, 'failing', {
    get: () => state.failing,
    set: (v: boolean) => (state.failing = v),
    enumerable: true,
  }) as UnavailableProxy;
}

/**
 * An STS front that passes RGW's real AssumeRole answer on with its Expiration moved into the past
 * (the server's Date header left as it was): credentials that have lapsed by the time they arrive.
 */
export async function startLapsedCredentialsSts(upstream: string, lapsedForMs = 60_000): Promise<StandIn> {
  const target = new URL(upstream);
  return startStandIn((req, res) =>
    forward(target, req, res, (body) => {
      const past = new Date(Date.now() - lapsedForMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return Buffer.from(
        body.toString('utf8').replace(/<Expiration>[^<]*<\/Expiration>/, `<Expiration>${past}</Expiration>`),
      );
    }),
  );
}
