/**
 * A SMART Health Link read by a USB-serial (CDC) scanner: real bytes through a socat pty pair into
 * the workstation's serial reader (parsed in main), the preview sent to the screen as
 * `scanner.serialScan`, then opened from the sandbox SHL server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EventPayload } from '../../../common/ipc/events';
import { silentLogger } from '../../../main/log';
import { createWorkstation, type Workstation } from '../../../main/workstation';
import { createShlViaAdmin } from '../../../scripts/sandbox/index';
import {
  createFlowFixture,
  DEFAULT_REASON,
  loadTrainingConfig,
  sampleFile,
  signInDemoClinician,
  type FlowFixture,
} from '../../support/flow';

const SOCAT = process.env.SOCAT_PATH ?? '/usr/bin/socat';
const sandbox = inject('sandbox');
let fx: FlowFixture;
let socat: ChildProcess;
let hostFd: number;
let ws: Workstation;
const scans: EventPayload<'scanner.serialScan'>[] = [];
const statuses: EventPayload<'scanner.status'>[] = [];

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  fx = await createFlowFixture({ sandbox, samples: ['IPS_IG-bundle-01.json'], documents: false });
  const port = join(fx.dir, 'scanner');
  const host = join(fx.dir, 'host');
  socat = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${port}`, `pty,raw,echo=0,link=${host}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  socat.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await until(() => /starting data transfer loop/.test(log) || socat.exitCode !== null, 'socat');
  hostFd = openSync(host, 'r+');
  const config = fx.writeConfig((c) => void (c.scanner.serial = { enabled: true, path: port, baudRate: 9600 }));
  ws = createWorkstation({
    loaded: loadTrainingConfig(config),
    dataDir: join(fx.dir, 'serial-data'),
    version: 'test',
    logger: silentLogger,
    background: true,
  });
  ws.events.on('scanner.serialScan', (s) => scans.push(s));
  ws.events.on('scanner.status', (s) => statuses.push(s));
  await until(() => statuses.at(-1)?.serial === 'connected', 'the serial port to be open');
});

afterAll(async () => {
  await ws?.close();
  if (hostFd !== undefined) closeSync(hostFd);
  socat?.kill('SIGTERM');
  await fx?.close();
});

describe('SMART Health Link from a serial scanner', () => {
  it('the scan is parsed in main into an SHL preview, which opens the summary', async () => {
    await signInDemoClinician(ws, fx.pki);
    const bundle = JSON.parse(readFileSync(sampleFile('IPS_IG-bundle-01.json'), 'utf8')) as unknown;
    const link = await createShlViaAdmin(sandbox.shl!, { bundle, label: 'via serial' });
    writeSync(hostFd, Buffer.from(`${link.shlink}\r\n`, 'utf8'));
    await until(() => scans.length === 1, 'the serial scan');
    const preview = scans[0]!.preview!;
    expect(scans[0]!.error).toBeNull();
    expect(preview.shl).toEqual({
      host: new URL(sandbox.shl!.url).host,
      label: 'via serial',
      passcodeRequired: false,
      flags: ['L'],
    });
    const record = await ws.shl.open(preview.scanId, DEFAULT_REASON);
    expect(record).toMatchObject({ source: 'shl', shl: { label: 'via serial' } });

    // A payload that arrives garbled says so (here as a wedge on QWERTZ would have typed it).
    writeSync(hostFd, Buffer.from(`${link.shlink.replace('shlink:/', 'shlinkÖ-')}\r\n`, 'utf8'));
    await until(() => scans.length === 2, 'the second serial scan');
    expect(scans[1]!.preview).toBeNull();
    expect(scans[1]!.error).toMatchObject({ code: 'SHL_LAYOUT_MISMATCH' });
  });
});
