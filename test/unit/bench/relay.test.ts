/**
 * The delaying TCP relay of `bench:open` (scripts/bench/relay.ts), over real sockets on
 * 127.0.0.1: bytes arrive intact and in order, ends propagate, a chunk is never forwarded before
 * its delay (a lower bound only: load can make it later, never earlier), the high-water mark
 * pauses and resumes the reader without losing bytes, and connects / TLS handshakes are counted.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRelay, type Relay } from '../../../scripts/bench/relay';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** An echo server on 127.0.0.1 (ends its side when the client ends). */
async function echoServer(): Promise<number> {
  const server: Server = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

async function relayTo(port: number, delayMs: number, highWaterBytes?: number): Promise<Relay> {
  const relay = await startRelay({ targetPort: port, delayMs, highWaterBytes });
  closers.push(() => relay.close());
  return relay;
}

function open(port: number): Promise<Socket> {
  return new Promise((r, j) => {
    const s = connect({ host: '127.0.0.1', port }, () => r(s)).on('error', j);
  });
}

/** Writes `data` in `chunk`-sized writes, ends, and collects everything until the other side ends. */
async function roundTrip(socket: Socket, data: Buffer, chunk: number): Promise<Buffer> {
  const received: Buffer[] = [];
  const done = new Promise<Buffer>((r, j) => {
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('end', () => r(Buffer.concat(received)));
    socket.on('error', j);
  });
  for (let i = 0; i < data.length; i += chunk) socket.write(data.subarray(i, i + chunk));
  socket.end();
  return done;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('delaying relay', () => {
  it('relays bytes intact and in order both ways, and propagates the end', async () => {
    const relay = await relayTo(await echoServer(), 5);
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const back = await roundTrip(await open(relay.port), data, 64 * 1024 + 3);
    expect(back.length).toBe(data.length);
    expect(sha(back)).toBe(sha(data));
    const stats = relay.stats();
    expect(stats.bytesUp).toBe(data.length);
    expect(stats.bytesDown).toBe(data.length);
  });

  it('holds each chunk at least the delay in each direction: an echo takes at least two delays', async () => {
    const delayMs = 40;
    const relay = await relayTo(await echoServer(), delayMs);
    const socket = await open(relay.port);
    const started = performance.now();
    const first = new Promise<number>((r) => socket.once('data', () => r(performance.now() - started)));
    socket.write('ping');
    // One-sided: the relay may be later under load, never earlier (0.5 ms timer rounding allowed per hop).
    expect(await first).toBeGreaterThanOrEqual(2 * delayMs - 1);
    socket.destroy();
  });

  it('without delay and with a tiny high-water mark, pausing and resuming the reader loses nothing', async () => {
    const relay = await relayTo(await echoServer(), 0, 16 * 1024);
    const data = randomBytes(8 * 1024 * 1024);
    const back = await roundTrip(await open(relay.port), data, 256 * 1024);
    expect(sha(back)).toBe(sha(data));
  });

  it('counts TCP connects, and as TLS handshakes only connections that start with a TLS handshake record', async () => {
    const relay = await relayTo(await echoServer(), 0);
    const plain = await roundTrip(await open(relay.port), Buffer.from('GET / HTTP/1.1\r\n\r\n'), 1024);
    expect(plain.toString()).toMatch(/^GET/);
    const hello = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]);
    expect(sha(await roundTrip(await open(relay.port), hello, 1024))).toBe(sha(hello));
    expect(relay.stats()).toMatchObject({ connects: 2, tlsHandshakes: 1 });
  });
});
