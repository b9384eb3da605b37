/**
 * A TCP proxy in front of the real RGW that can break the next response once: cut the connection
 * (RST-like destroy) or stall it (stop forwarding, keep the socket open) after N bytes. It also
 * records the request lines and Range headers it forwarded (plain HTTP on loopback).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface SeenHttpRequest {
  line: string;
  range: string | null;
}

export interface CuttingProxy {
  url: string;
  requests: SeenHttpRequest[];
  /** On the next new connection, destroy it once `bytes` response bytes have been forwarded (once). */
  cutOnceAfter(bytes: number): void;
  /** On the next new connection, stop forwarding after `bytes` response bytes, keeping the socket open (once). */
  stallOnceAfter(bytes: number): void;
  close(): Promise<void>;
}

export async function startCuttingProxy(upstream: string): Promise<CuttingProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const requests: SeenHttpRequest[] = [];
  // A trap applies to connections opened after it was set: bytes still in flight on an older,
  // dying connection must not spring it.
  let trap: { mode: 'cut' | 'stall'; remaining: number; afterConnection: number } | null = null;
  let connections = 0;

  const server: Server = createServer((client) => {
    const connection = ++connections;
    const upstreamSocket = connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstreamSocket);
    const drop = () => {
      client.destroy();
      upstreamSocket.destroy();
    };
    client.on('error', drop);
    upstreamSocket.on('error', drop);
    client.on('close', () => {
      sockets.delete(client);
      upstreamSocket.destroy();
    });
    upstreamSocket.on('close', () => {
      sockets.delete(upstreamSocket);
      client.destroy();
    });

    let head = '';
    client.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      for (let end = head.indexOf('\r\n\r\n'); end >= 0; end = head.indexOf('\r\n\r\n')) {
        const block = head.slice(0, end);
        head = head.slice(end + 4);
        const line = block.split('\r\n')[0] ?? '';
        if (/^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(line)) {
          const range = /^range:\s*(.+)$/im.exec(block);
          requests.push({ line, range: range ? range[1]!.trim() : null });
        }
      }
      if (head.length > 64 * 1024) head = head.slice(-8 * 1024); // a request body: keep only its tail
      upstreamSocket.write(chunk);
    });

    upstreamSocket.on('data', (chunk: Buffer) => {
      const t = trap;
      if (!t || connection <= t.afterConnection) {
        client.write(chunk);
        return;
      }
      if (chunk.length < t.remaining) {
        t.remaining -= chunk.length;
        client.write(chunk);
        return;
      }
      trap = null;
      client.write(chunk.subarray(0, t.remaining));
      if (t.mode === 'cut') {
        client.destroy();
        upstreamSocket.destroy();
      } else {
        upstreamSocket.pause();
        upstreamSocket.removeAllListeners('data');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    cutOnceAfter(bytes) {
      trap = { mode: 'cut', remaining: bytes, afterConnection: connections };
    },
    stallOnceAfter(bytes) {
      trap = { mode: 'stall', remaining: bytes, afterConnection: connections };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
