import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../../common/ipc/events';
import { WorkstationEvents } from '../../../main/events';
import { silentLogger } from '../../../main/log';
import { SerialScanner, startSerialScanner } from '../../../main/scanner/serial';
import { createWorkstation } from '../../../main/workstation';
import { encodeEmergencyQr, randomPseudonym } from '../../../main/emergency/qr-payload';
import { loadTrainingConfig } from '../../support/flow';

/**
 * The serial (CDC-ACM) scanner path with real bytes through a pseudo-terminal pair: socat links one
 * end where the scanner's port would be and the other where this test writes, as the scanner
 * would. Killing socat is unplugging the scanner (the port vanishes); starting it again is plugging
 * it back in (a new pty behind the same path).
 */

const SOCAT = process.env.SOCAT_PATH ?? '/usr/bin/socat';

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A virtual scanner: socat's pty pair, and the host end held open for writing. */
class VirtualScanner {
  #socat: ChildProcess | null = null;
  #fd: number | null = null;
  constructor(
    readonly portPath: string,
    readonly hostPath: string,
  ) {}

  async plug(): Promise<void> {
    const socat = spawn(
      SOCAT,
      ['-d', '-d', `pty,raw,echo=0,link=${this.portPath}`, `pty,raw,echo=0,link=${this.hostPath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    socat.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    this.#socat = socat;
    await waitFor(() => /starting data transfer loop/.test(log) || socat.exitCode !== null, 'socat to link its ptys');
    if (socat.exitCode !== null) throw new Error(`socat exited: ${log}`);
    // Keep the host end open: socat ends the link when the last writer closes it.
    this.#fd = openSync(this.hostPath, 'r+');
  }

  send(bytes: string): void {
    writeSync(this.#fd!, Buffer.from(bytes, 'latin1'));
  }

  async unplug(): Promise<void> {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
    const socat = this.#socat;
    this.#socat = null;
    if (socat && socat.exitCode === null) {
      const exited = new Promise((r) => socat.once('exit', r));
      socat.kill('SIGTERM');
      await exited;
    }
  }
}

describe('serial scanner through a pseudo-terminal (socat)', () => {
  let dir: string;
  let device: VirtualScanner;
  let events: WorkstationEvents;
  let scans: Array<{ text: string; at: string }>;
  let statuses: Array<EventPayload<'scanner.status'>>;
  let reader: SerialScanner | null;

  const startReader = async (extra: Partial<ConstructorParameters<typeof SerialScanner>[0]> = {}) => {
    reader = new SerialScanner(
      { path: device.portPath, baudRate: 9600, retryDelayMs: 50, maxRetryDelayMs: 400, ...extra },
      {
        events,
        log: silentLogger,
        onScan: (text, at) => scans.push({ text, at: at.toISOString() }),
        now: () => new Date('2025-01-02T03:04:05.000Z'),
      },
    );
    await reader.start();
    return reader;
  };
  const texts = () => scans.map((s) => s.text);
  const lastStatus = () => statuses.at(-1)?.serial;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hcp-pty-'));
    device = new VirtualScanner(join(dir, 'scanner'), join(dir, 'host'));
    events = new WorkstationEvents();
    scans = [];
    statuses = [];
    events.on('scanner.status', (s) => statuses.push(s));
    reader = null;
  });

  afterEach(async () => {
    await reader?.stop();
    await device.unplug();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads scans framed by CR/LF, whatever the chunking, and reports the port connected', async () => {
    await device.plug();
    const r = await startReader();
    expect(statuses).toEqual([{ serial: 'connected', port: device.portPath }]);
    device.send('HCP1ABCDEF0123456789\r\n');
    device.send('HCP1');
    device.send('XYZ\r');
    device.send('\nSECOND\n');
    await waitFor(() => scans.length >= 3, 'three scans');
    expect(texts()).toEqual(['HCP1ABCDEF0123456789', 'HCP1XYZ', 'SECOND']);
    expect(scans[0]!.at).toBe('2025-01-02T03:04:05.000Z');
    expect(r.status).toMatchObject({ state: 'connected', error: null, scans: 3 });
  });

  it('strips a configured prefix/suffix, frames on a configured terminator, drops an over-long scan', async () => {
    await device.plug();
    await startReader({ prefix: '\x02', suffix: '\x03', terminators: '\r\n\t', maxLength: 32 });
    device.send('\x02HCP1TAB\x03\t');
    device.send('X'.repeat(100) + '\r');
    device.send('\x02AFTER\x03\r\n');
    await waitFor(() => scans.length >= 2, 'two scans');
    expect(texts()).toEqual(['HCP1TAB', 'AFTER']);
  });

  it('reconnects after the scanner is unplugged and plugged back in, and reads again', async () => {
    await device.plug();
    const r = await startReader();
    device.send('BEFORE\r');
    await waitFor(() => scans.length === 1, 'the first scan');

    await device.unplug();
    await waitFor(() => lastStatus() === 'disconnected', 'the disconnected status');
    expect(existsSync(device.portPath)).toBe(false);
    expect(r.status.error).toEqual({ code: 'SCANNER_PORT_UNAVAILABLE', details: { port: device.portPath } });
    // Retries while unplugged stay quiet: one status change, not one per attempt.
    await new Promise((res) => setTimeout(res, 500));
    expect(statuses.map((s) => s.serial)).toEqual(['connected', 'disconnected']);

    await device.plug();
    await waitFor(() => lastStatus() === 'connected', 'the reconnection');
    device.send('AFTER\r\n');
    await waitFor(() => scans.length === 2, 'a scan after the reconnection');
    expect(texts()).toEqual(['BEFORE', 'AFTER']);
    expect(statuses.map((s) => s.serial)).toEqual(['connected', 'disconnected', 'connected']);
    expect(r.status).toMatchObject({ state: 'connected', error: null });
  });

  it('drops a scan cut short by the unplug instead of gluing it to the next one', async () => {
    await device.plug();
    await startReader();
    device.send('HALF-A-SC');
    await new Promise((res) => setTimeout(res, 100));
    await device.unplug();
    await waitFor(() => lastStatus() === 'disconnected', 'the disconnected status');
    await device.plug();
    await waitFor(() => lastStatus() === 'connected', 'the reconnection');
    device.send('WHOLE\r');
    await waitFor(() => scans.length === 1, 'the scan after the reconnection');
    expect(texts()).toEqual(['WHOLE']);
  });

  it('waits for a scanner that is not plugged in at start, then reads it', async () => {
    const r = await startReader();
    expect(statuses).toEqual([{ serial: 'disconnected', port: device.portPath }]);
    expect(r.status.error?.code).toBe('SCANNER_PORT_UNAVAILABLE');
    await device.plug();
    await waitFor(() => lastStatus() === 'connected', 'the connection');
    device.send('LATE\r');
    await waitFor(() => scans.length === 1, 'the scan');
    expect(texts()).toEqual(['LATE']);
  });

  it('stops: closes the port, reports disabled, no more retries', async () => {
    await device.plug();
    const r = await startReader();
    await r.stop();
    expect(lastStatus()).toBe('disabled');
    device.send('IGNORED\r');
    await device.unplug();
    await new Promise((res) => setTimeout(res, 300));
    expect(scans).toEqual([]);
    expect(statuses.map((s) => s.serial)).toEqual(['connected', 'disabled']);
  });

  it('starts from the hospital configuration (scanner.serial), or reports disabled', async () => {
    const off = startSerialScanner(
      { enabled: false, path: device.portPath, baudRate: 9600 },
      { events, log: silentLogger, onScan: () => undefined },
    );
    expect(off.status.state).toBe('disabled');
    expect(statuses).toEqual([{ serial: 'disabled', port: device.portPath }]);
    const noPath = startSerialScanner(
      { enabled: true, path: null, baudRate: 9600 },
      { events, log: silentLogger, onScan: () => undefined },
    );
    expect(noPath.status.state).toBe('disabled');

    await device.plug();
    const on = startSerialScanner(
      { enabled: true, path: device.portPath, baudRate: 115200 },
      { events, log: silentLogger, onScan: (text, at) => scans.push({ text, at: at.toISOString() }) },
    );
    try {
      await waitFor(() => lastStatus() === 'connected', 'the connection');
      device.send('CONFIGURED\r');
      await waitFor(() => scans.length === 1, 'the scan');
      expect(texts()).toEqual(['CONFIGURED']);
    } finally {
      await on.stop();
    }
  });
});

describe('serial scans are parsed in main (the workstation)', () => {
  it('the renderer event carries the preview or the refusal, never the scanned text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-pty-ws-'));
    const device = new VirtualScanner(join(dir, 'scanner'), join(dir, 'host'));
    await device.plug();
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        mode: 'training',
        scanner: { serial: { enabled: true, path: device.portPath, baudRate: 9600 } },
      }),
    );
    const ws = createWorkstation({
      loaded: loadTrainingConfig(configFile),
      dataDir: join(dir, 'data'),
      version: 'test',
      logger: silentLogger,
    });
    const seen: Array<EventPayload<'scanner.serialScan'>> = [];
    ws.events.on('scanner.serialScan', (e) => seen.push(e));
    try {
      await waitFor(() => existsSync(device.portPath), 'the port');
      const qr = encodeEmergencyQr({
        citizenId: randomPseudonym(),
        hriToken: randomPseudonym(),
        masterKey: randomBytes(32),
        issuedAt: new Date(Date.now() - 60_000),
      });
      // The reader connects in the background: send until the first scan is read.
      for (let i = 0; i < 50 && seen.length === 0; i++) {
        device.send(`${qr}\r`);
        await new Promise((res) => setTimeout(res, 200));
      }
      await waitFor(() => seen.length >= 1, 'the parsed scan');
      expect(seen[0]!.error).toBeNull();
      expect(seen[0]!.preview).toMatchObject({ patientRef: expect.any(String), cached: false });
      expect(JSON.stringify(seen)).not.toContain(qr.slice(4, 40));
      const before = seen.length;
      device.send('NOT-A-PATIENT-CODE-AT-ALL\r');
      await waitFor(() => seen.length > before, 'the refused scan');
      expect(seen.at(-1)).toMatchObject({ preview: null, error: { code: 'QR_NOT_THIS_FORMAT' } });
      expect(JSON.stringify(seen.at(-1))).not.toContain('NOT-A-PATIENT');
    } finally {
      await ws.close();
      await device.unplug();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
