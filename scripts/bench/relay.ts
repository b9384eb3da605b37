/**
 * A delaying TCP relay for `bench:open`: the kernel here has no `netem`, so round-trip time is
 * modelled in user space (../shared/notes/network-model.md). Every chunk read from one side is
 * held for `delayMs` (= RTT / 2) before it is written to the other side, in order, in both
 * directions, so a request/response pays one RTT and a stream keeps its rate (chunks are
 * pipelined, not serialised). A per-direction high-water mark pauses the reading side, like a
 * TCP window, so a fast sender cannot make the relay buffer without bound.
 *
 * The relay counts what crosses it: TCP connections accepted and, among them, those whose first
 * client byte is a TLS handshake record (0x16, a ClientHello: one TLS handshake, full or resumed).
 * It binds 127.0.0.1 only and connects to 127.0.0.1 only.
 *
 * Run as a child process (`tsx scripts/bench/relay.ts`), so its CPU is not charged to the client:
 * it reads one JSON line `{"delayMs":15,"targets":{"s3":41234,"hri":41235},"basePort":20000}` on stdin, answers
 * `{"ports":{"s3":..,"hri":..}}`, and then answers every `stats` line with `{"stats":{...}}`.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface RelayStats {
  /** TCP connections accepted. */
  connects: number;
  /** Connections whose first client byte was 0x16 (TLS handshake record). */
  tlsHandshakes: number;
  /** Bytes relayed client -> server and server -> client. */
  bytesUp: number;
  bytesDown: number;
}

export interface Relay {
  readonly port: number;
  stats(): RelayStats;
  close(): Promise<void>;
}

export interface RelayOptions {
  /** Port on 127.0.0.1 to forward to. */
  targetPort: number;
  /** One-way delay per chunk, ms (RTT / 2). 0: forward at once. */
  delayMs: number;
  /** Port to listen on (0: a free one). */
  port?: number;
  /** Bytes held per direction before the reading side is paused (default 8 MiB). */
  highWaterBytes?: number;
}

/**
 * Forwards `from` to `to`, each chunk `delayMs` after it was read, order kept; `to` ends after the
 * last chunk when `from` ends. Exported for the unit test (a real socket pair).
 */
export function delayedPipe(
  from: Socket,
  to: Socket,
  delayMs: number,
  highWaterBytes = 8 * 1024 * 1024,
  onChunk?: (chunk: Buffer) => void,
): void {
  const queue: { chunk: Buffer; due: number }[] = [];
  let queued = 0;
  let ended = false;
  let timer: NodeJS.Timeout | null = null;
  let blocked = false; // `to` asked us to wait for 'drain'

  const maybeResume = () => {
    if (!blocked && queued < highWaterBytes && from.isPaused()) from.resume();
  };
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0]!.due <= now + 0.5 && !blocked) {
      const { chunk } = queue.shift()!;
      queued -= chunk.length;
      if (!to.write(chunk)) blocked = true;
    }
    if (queue.length === 0 && ended) {
      to.end();
      return;
    }
    maybeResume();
    if (queue.length && !blocked) arm();
  };
  const arm = () => {
    if (timer || !queue.length) return;
    timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
  };
  to.on('drain', () => {
    blocked = false;
    flush();
  });
  from.on('data', (chunk: Buffer) => {
    onChunk?.(chunk);
    queue.push({ chunk, due: performance.now() + delayMs });
    queued += chunk.length;
    if (queued >= highWaterBytes) from.pause();
    arm();
  });
  from.on('end', () => {
    ended = true;
    if (!queue.length && !timer) to.end();
  });
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const stats: RelayStats = { connects: 0, tlsHandshakes: 0, bytesUp: 0, bytesDown: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    stats.connects++;
    const upstream = connect({ host: '127.0.0.1', port: options.targetPort, noDelay: true, allowHalfOpen: true });
    sockets.add(client).add(upstream);
    let first = true;
    delayedPipe(client, upstream, options.delayMs, options.highWaterBytes, (chunk) => {
      if (first && chunk.length) {
        first = false;
        if (chunk[0] === 0x16) stats.tlsHandshakes++;
      }
      stats.bytesUp += chunk.length;
    });
    delayedPipe(upstream, client, options.delayMs, options.highWaterBytes, (chunk) => {
      stats.bytesDown += chunk.length;
    });
    // A clean end travels through the delayed pipe (after the data before it); an error tears down both.
    const fail = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail).on('close', () => sockets.delete(client));
    upstream.on('error', fail).on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as { port: number }).port;
  return {
    port,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Child-process mode: the JSON line protocol described above. */
async function childMain(): Promise<void> {
  const lines = createInterface({ input: process.stdin });
  const relays = new Map<string, Relay>();
  const answer = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
  for await (const line of lines) {
    if (!relays.size) {
      // basePort: listen on basePort, basePort+1, ... in the targets' order (the ports `tc` shapes); 0: free ports.
      const config = JSON.parse(line) as { delayMs: number; targets: Record<string, number>; basePort?: number };
      let i = 0;
      for (const [name, targetPort] of Object.entries(config.targets))
        relays.set(
          name,
          await startRelay({ targetPort, delayMs: config.delayMs, port: config.basePort ? config.basePort + i++ : 0 }),
        );
      answer({ ports: Object.fromEntries([...relays].map(([n, r]) => [n, r.port])) });
    } else if (line.trim() === 'stats') {
      answer({ stats: Object.fromEntries([...relays].map(([n, r]) => [n, r.stats()])) });
    }
  }
  await Promise.all([...relays.values()].map((r) => r.close()));
  process.exit(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void childMain();
