import type * as fhir4 from 'fhir/r4';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { emergencyViewOf, ipsPatientReference, parseIpsBundle } from '../../../main/fhir/index';
import {
  buildEmergencyViewOffThread,
  cachedRecordViewOffThread,
  emergencyViewWorkerThreads,
  stopEmergencyViewWorkers,
} from '../../../main/fhir/off-thread';
import { buildGenerated, largeSectionSpec } from './generators';
import { sample } from './helpers';
import { loadConfig } from '../../../main/config/index';
import { silentLogger } from '../../../main/log';
import { createWorkstation } from '../../../main/workstation';
import { DEFAULTS_FILE } from '../config/helpers';

const MARTHA = 'CA_Bundle_FullsomeScenario1.json';

/** The typed error a call throws (code + details), to compare the two paths. */
async function errorOf(fn: () => unknown): Promise<{ code: string; details: unknown }> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WorkstationError);
    return { code: (e as WorkstationError).code, details: (e as WorkstationError).details };
  }
  throw new Error('no error thrown');
}

afterAll(() => stopEmergencyViewWorkers());

describe('the emergency view built in a worker thread', () => {
  it("brings the IPS's patient reference from the same parse; a cached record's is reused, an older copy's rebuilt", async () => {
    const bytes = readFileSync(sample(MARTHA));
    const expected = ipsPatientReference(parseIpsBundle(bytes));
    expect(expected?.reference).toBeTruthy();
    const built = await buildEmergencyViewOffThread(Buffer.from(new Uint8Array(bytes)), { transfer: true });
    expect(built.patient).toEqual(expected);
    // A bundle without a Patient: null (an addition then refuses, ADDITION_INVALID).
    const noPatient = { ...(JSON.parse(bytes.toString('utf8')) as fhir4.Bundle) };
    noPatient.entry = noPatient.entry?.filter((e) => e.resource?.resourceType !== 'Patient');
    expect((await buildEmergencyViewOffThread(JSON.stringify(noPatient))).patient).toBeNull();
    // Stored view and reference parse: used as they are (the stored ones, not a rebuild).
    const stored = { reference: 'urn:uuid:stored', display: 'Stored' };
    expect(await cachedRecordViewOffThread(built.view, stored, bytes)).toEqual({ view: built.view, patient: stored });
    expect(await cachedRecordViewOffThread(built.view, null, bytes)).toEqual({ view: built.view, patient: null });
    // Stored before the reference was kept (undefined) or junk: both rebuilt from the IPS.
    expect(await cachedRecordViewOffThread(built.view, undefined, bytes)).toEqual({
      view: built.view,
      patient: expected,
    });
    expect(await cachedRecordViewOffThread(built.view, { reference: 7 }, bytes)).toEqual({
      view: built.view,
      patient: expected,
    });
    expect(await cachedRecordViewOffThread(built.view, undefined, undefined)).toBeUndefined();
  });

  it('gives the same view as the direct call, for bytes (transferred and back) and for text', async () => {
    const bytes = readFileSync(sample(MARTHA));
    const direct = emergencyViewOf(bytes);
    // A copy that spans its whole ArrayBuffer, so it can be transferred.
    const mine = Buffer.from(new Uint8Array(bytes));
    const { view, bytes: back } = await buildEmergencyViewOffThread(mine, { transfer: true });
    expect(view).toEqual(direct);
    expect(mine.byteLength).toBe(0); // given away, not copied
    expect(back.equals(bytes)).toBe(true); // and handed back intact
    // Not transferable (a slice of a bigger buffer): copied, the caller keeps its own.
    const slice = Buffer.concat([Buffer.from('xx'), bytes]).subarray(2);
    const sliced = await buildEmergencyViewOffThread(slice, { transfer: true });
    expect(sliced.view).toEqual(direct);
    expect(slice.equals(bytes)).toBe(true);
    expect((await buildEmergencyViewOffThread(bytes.toString('utf8'))).view).toEqual(direct);
  });

  it('an invalid bundle gives the same typed error as the direct call', async () => {
    for (const bad of [
      'not json',
      '{"resourceType":"Patient"}',
      JSON.stringify({ resourceType: 'Bundle', type: 'document', entry: [] }),
    ]) {
      const direct = await errorOf(() => emergencyViewOf(Buffer.from(bad)));
      expect(direct.code).toBe('FHIR_INVALID_BUNDLE');
      expect(await errorOf(() => buildEmergencyViewOffThread(Buffer.from(bad), { transfer: true }))).toEqual(direct);
    }
  });

  it('the main thread keeps answering while a 30,000-entry bundle builds', async () => {
    const text = JSON.stringify(buildGenerated(largeSectionSpec(30_000)).bundle);
    const bytes = Buffer.from(text);
    await buildEmergencyViewOffThread('{}').catch(() => undefined); // the worker started, as after the first open
    const h = monitorEventLoopDelay({ resolution: 10 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    h.enable();
    let view;
    try {
      view = (await buildEmergencyViewOffThread(bytes, { transfer: true })).view;
    } finally {
      h.disable();
      clearInterval(timer);
    }
    expect(view).toEqual(emergencyViewOf(text));
    console.log(
      `30,000-entry IPS built off the main thread: max event-loop delay ${(h.max / 1e6).toFixed(0)} ms, ${ticks} timer ticks during the build`,
    );
    expect(ticks).toBeGreaterThan(0);
  });

  it('a worker that dies fails its job with a typed error and is replaced; stop terminates every worker', async () => {
    const bytes = Buffer.from(JSON.stringify(buildGenerated(largeSectionSpec(30_000)).bundle));
    const job = buildEmergencyViewOffThread(bytes);
    const busy = emergencyViewWorkerThreads();
    expect(busy.length).toBeGreaterThan(0);
    await Promise.all(busy.map((w) => w.terminate())); // as a crash or an out-of-memory kill would
    await expect(job).rejects.toMatchObject({ code: 'FHIR_VIEW_WORKER_FAILED' });
    // The next job gets a new worker.
    const again = await buildEmergencyViewOffThread(readFileSync(sample(MARTHA)));
    expect(again.view).toEqual(emergencyViewOf(readFileSync(sample(MARTHA))));
    const live = emergencyViewWorkerThreads();
    expect(live.length).toBeGreaterThan(0);
    const exited = live.map((w) => new Promise<number>((res) => w.once('exit', res)));
    await stopEmergencyViewWorkers();
    await Promise.all(exited);
    expect(emergencyViewWorkerThreads()).toEqual([]);
    expect(live.every((w) => w.threadId === -1)).toBe(true);
  });

  it('Workstation.close() terminates the view workers', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hcp-view-workers-'));
    try {
      const ws = createWorkstation({
        loaded: loadConfig({ defaultsFile: DEFAULTS_FILE }),
        dataDir,
        version: 't',
        background: false,
        logger: silentLogger,
      });
      await buildEmergencyViewOffThread(readFileSync(sample(MARTHA)));
      const live = emergencyViewWorkerThreads();
      expect(live.length).toBeGreaterThan(0);
      const exited = live.map((w) => new Promise<number>((res) => w.once('exit', res)));
      await ws.close();
      await Promise.all(exited);
      expect(emergencyViewWorkerThreads()).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
