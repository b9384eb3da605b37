/**
 * An HTTP reverse proxy in front of the real RGW that injects the faults of the outbox tests:
 * answer some PUTs with 503 (an S3 ServiceUnavailable error, the body consumed first), cut a PUT's
 * connection after N request-body bytes (mid-upload), and throttle request bodies (so that a
 * process can be killed while an upload is under way). It counts what reached the server.
 * The Host header is forwarded unchanged: SigV4 signed it for the proxy's address.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FaultProxy {
  url: string;
  /** Every PUT that reached the proxy (method + path). */
  putsSeen: string[];
  /** PUTs the server answered 2xx, by path: > 1 means the same key was written again (same bytes). */
  putsStored: Map<string, number>;
  /** PUTs in flight now and the request-body bytes forwarded so far. */
  inFlight: Map<number, { path: string; bytes: number }>;
  injected: { unavailable: number; cut: number };
  /** Answer every k-th PUT (1-based count of PUTs seen from now on) with 503; 0 stops. */
  failEveryNthPut(k: number): void;
  /** Cut the next PUT after `bytes` of its body have been forwarded. */
  cutNextPutAfter(bytes: number): void;
  /** Forward request bodies at about this rate (bytes per second); 0 = unthrottled. */
  throttle(bytesPerSecond: number): void;
  close(): Promise<void>;
}

const XML_503 = (id: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>Injected by the test proxy</Message><RequestId>${id}</RequestId></Error>`;

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const putsSeen: string[] = [];
  const putsStored = new Map<string, number>();
  const inFlight = new Map<number, { path: string; bytes: number }>();
  const injected = { unavailable: 0, cut: 0 };
  let failEvery = 0;
  let putsSinceRule = 0;
  let cutAfter: number | null = null;
  let rate = 0;
  let seq = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const isPut = req.method === 'PUT';
    const path = (req.url ?? '').split('?')[0]!;
    if (isPut) {
      putsSeen.push(path);
      putsSinceRule++;
      if (failEvery > 0 && putsSinceRule % failEvery === 0) {
        injected.unavailable++;
        req.resume();
        req.on('end', () => {
          const id = `inject-${++seq}`;
          const body = XML_503(id);
          res.writeHead(503, {
            'content-type': 'application/xml',
            'content-length': Buffer.byteLength(body),
            'x-amz-request-id': id,
          });
          res.end(body);
        });
        return;
      }
    }
    const id = ++seq;
    const cutAt = isPut && cutAfter !== null ? cutAfter : null;
    if (cutAt !== null) cutAfter = null;
    const up = request(
      { host: target.hostname, port: Number(target.port), method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        if (isPut && (upRes.statusCode ?? 0) >= 200 && (upRes.statusCode ?? 0) < 300)
          putsStored.set(path, (putsStored.get(path) ?? 0) + 1);
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    if (isPut) inFlight.set(id, { path, bytes: 0 });
    res.on('close', () => inFlight.delete(id));

    let forwarded = 0;
    let waiting = false;
    const pump = () => {
      if (waiting) return;
      let chunk: Buffer | null;
      while ((chunk = req.read() as Buffer | null) !== null) {
        if (cutAt !== null && forwarded + chunk.length >= cutAt) {
          up.write(chunk.subarray(0, Math.max(0, cutAt - forwarded)));
          injected.cut++;
          up.destroy();
          req.socket.destroy();
          return;
        }
        forwarded += chunk.length;
        const f = inFlight.get(id);
        if (f) f.bytes = forwarded;
        up.write(chunk);
        if (rate > 0) {
          waiting = true;
          setTimeout(
            () => {
              waiting = false;
              pump();
            },
            Math.ceil((chunk.length / rate) * 1000),
          );
          return;
        }
      }
    };
    req.on('readable', pump);
    req.on('end', () => up.end());
    req.on('error', () => up.destroy());
  };

  // Small reads, so that throttling and cutting act inside a body.
  const server: Server = createServer({ highWaterMark: 16 * 1024 }, handle);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    putsSeen,
    putsStored,
    inFlight,
    injected,
    failEveryNthPut(k) {
      failEvery = k;
      putsSinceRule = 0;
    },
    cutNextPutAfter(bytes) {
      cutAfter = bytes;
    },
    throttle(bytesPerSecond) {
      rate = bytesPerSecond;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
