/**
 * The emergency view built off the main thread: parseIpsBundle + buildEmergencyView (the pure
 * functions of this directory, the single implementation) run in a small pool of worker threads
 * (main/fhir/view-worker.ts), so a large IPS (30k entries: ~120 ms of JSON.parse and ~1 s of view
 * build) never stalls IPC, the scanner or the grant timers of the main process.
 *
 * - The decrypted bytes are transferred to the worker, not copied, when the caller gives them
 *   away (`transfer: true`); they come back, also transferred, with the view.
 * - A WorkstationError thrown in the worker arrives as the same code and details.
 * - One or two workers, created on first use, unref'ed while idle (they never keep the process
 *   alive) and terminated by stopEmergencyViewWorkers() (Workstation.close()).
 * - A worker that dies (crash, out of memory, terminated) fails its job with
 *   FHIR_VIEW_WORKER_FAILED and is replaced on the next job.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type * as fhir4 from 'fhir/r4';
import { z } from 'zod';
import { WorkstationError } from '../../common/errors';
import { EmergencyView } from '../../common/emergency-view';
import { spawnWorker } from '../threads';
import type { ViewRequest, ViewResponse } from './view-protocol';

export interface OffThreadOptions {
  /**
   * Give the bytes to the worker without a copy (their ArrayBuffer is detached meanwhile; use the
   * `bytes` of the result afterwards). Only a Uint8Array that spans its whole ArrayBuffer can be
   * transferred; anything else is copied once, and the caller keeps its own.
   */
  transfer?: boolean;
}

interface Job {
  req: ViewRequest;
  transfer: ArrayBuffer[];
  resolve(res: Built<Uint8Array | undefined>): void;
  reject(e: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  job: Job | null;
  /** The view being received (its head arrived, `left` chunks to go). */
  partial: (Built<Uint8Array | undefined> & { left: number }) | null;
}

const POOL_SIZE = Math.min(2, Math.max(1, availableParallelism() - 1));
const WORKER_FILE = 'fhir-view-worker.js';
let nextId = 1;
const workers = new Set<PoolWorker>();
const queue: Job[] = [];

/** A view built in the worker, with the IPS's reference to its Patient (ipsPatientReference) from the same parse. */
export interface Built<B> {
  view: EmergencyView;
  patient: fhir4.Reference | null;
  bytes: B;
}

/** The emergency view of decrypted IPS bytes (or text), built in a worker thread. */
export async function buildEmergencyViewOffThread(
  input: Uint8Array,
  options?: OffThreadOptions,
): Promise<Built<Buffer>>;
export async function buildEmergencyViewOffThread(input: string, options?: OffThreadOptions): Promise<Built<string>>;
export async function buildEmergencyViewOffThread(
  input: Uint8Array | string,
  options: OffThreadOptions = {},
): Promise<Built<Buffer | string>> {
  if (typeof input === 'string') {
    const { view, patient } = await run({ id: nextId++, input, returnBytes: false }, []);
    return { view, patient, bytes: input };
  }
  const whole =
    input.byteOffset === 0 && input.byteLength === input.buffer.byteLength && input.buffer instanceof ArrayBuffer;
  if (options.transfer && whole) {
    const { view, patient, bytes } = await run({ id: nextId++, input, returnBytes: true }, [
      input.buffer as ArrayBuffer,
    ]);
    const back = bytes ?? new Uint8Array(0);
    return { view, patient, bytes: Buffer.from(back.buffer, back.byteOffset, back.byteLength) };
  }
  const copy = new Uint8Array(input);
  const { view, patient } = await run({ id: nextId++, input: copy, returnBytes: false }, [copy.buffer]);
  return {
    view,
    patient,
    bytes: Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength),
  };
}

/**
 * cachedEmergencyView (main/fhir/index.ts) with its rebuild off the main thread: the stored view
 * when it still matches the model, else the view rebuilt from the stored IPS, else undefined.
 */
export async function cachedEmergencyViewOffThread(
  view: unknown,
  ips: Uint8Array | undefined,
): Promise<EmergencyView | undefined> {
  return (await cachedRecordViewOffThread(view, null, ips))?.view;
}

const StoredReference = z.object({ reference: z.string(), display: z.string().optional() }).nullable();

/**
 * The same for a record: the stored view and the stored patient reference (null: the IPS has no
 * Patient) when both still parse, else both rebuilt from the stored IPS in the worker (an entry
 * cached before the reference was kept), else undefined.
 */
export async function cachedRecordViewOffThread(
  view: unknown,
  patient: unknown,
  ips: Uint8Array | undefined,
): Promise<{ view: EmergencyView; patient: fhir4.Reference | null } | undefined> {
  const parsed = EmergencyView.safeParse(view);
  const reference = StoredReference.safeParse(patient);
  if (parsed.success && reference.success) return { view: parsed.data, patient: reference.data };
  if (!ips) return undefined;
  try {
    const built = await buildEmergencyViewOffThread(ips);
    return { view: built.view, patient: built.patient };
  } catch {
    return undefined;
  }
}

/** Terminates the pool's workers (Workstation.close()); jobs still running fail with FHIR_VIEW_WORKER_FAILED. A later call starts new ones. */
export async function stopEmergencyViewWorkers(): Promise<void> {
  const all = [...workers];
  workers.clear();
  for (const job of queue.splice(0)) job.reject(new WorkstationError('FHIR_VIEW_WORKER_FAILED', { reason: 'stopped' }));
  await Promise.all(
    all.map(async (w) => {
      const job = w.job;
      w.job = null;
      job?.reject(new WorkstationError('FHIR_VIEW_WORKER_FAILED', { reason: 'stopped' }));
      await w.worker.terminate();
    }),
  );
}

/**
 * Starts a worker now if none is running (a clinician signed in: an open is likely), so the first
 * open does not wait for a worker thread to start. Unref'ed: it never keeps the process alive.
 */
export function prewarmEmergencyViewWorkers(): void {
  if (workers.size === 0) spawn();
}

/** For tests: the pool's live worker threads. */
export function emergencyViewWorkerThreads(): Worker[] {
  return [...workers].map((w) => w.worker);
}

function run(req: ViewRequest, transfer: ArrayBuffer[]): Promise<Built<Uint8Array | undefined>> {
  return new Promise((resolve, reject) => {
    queue.push({ req, transfer, resolve, reject });
    dispatch();
  });
}

function dispatch(): void {
  while (queue.length) {
    let w = [...workers].find((x) => !x.job);
    if (!w) {
      if (workers.size >= POOL_SIZE) return;
      w = spawn();
    }
    const job = queue.shift()!;
    w.job = job;
    w.worker.ref();
    try {
      w.worker.postMessage(job.req, job.transfer);
    } catch (e) {
      w.job = null;
      w.worker.unref();
      job.reject(new WorkstationError('FHIR_VIEW_WORKER_FAILED', { reason: 'post' }, { cause: e }));
    }
  }
}

function spawn(): PoolWorker {
  const worker = createWorker();
  const w: PoolWorker = { worker, job: null, partial: null };
  workers.add(w);
  worker.unref();
  const fail = (reason: string, cause?: unknown): void => {
    const job = w.job;
    w.job = null;
    w.partial = null;
    job?.reject(new WorkstationError('FHIR_VIEW_WORKER_FAILED', { reason }, { cause }));
  };
  const done = (job: Job, settle: () => void): void => {
    w.job = null;
    w.partial = null;
    worker.unref();
    settle();
    dispatch();
  };
  worker.on('message', (res: ViewResponse) => {
    const job = w.job;
    if (!job || job.req.id !== res.id) return;
    if ('chunk' in res) {
      const partial = w.partial;
      if (!partial || !res.chunk) return fail('chunk');
      const { target, items } = res.chunk;
      const list =
        target === 'otherSubjectEntries' ? partial.view.otherSubjectEntries : partial.view.sections[target]?.entries;
      if (!list) return fail('chunk');
      for (const item of items) (list as unknown[]).push(item);
      if (--partial.left > 0) worker.postMessage({ next: job.req.id });
      else done(job, () => job.resolve({ view: partial.view, patient: partial.patient, bytes: partial.bytes }));
      return;
    }
    if (!res.ok) return done(job, () => job.reject(new WorkstationError(res.error.code, res.error.details)));
    if (res.chunks === 0)
      return done(job, () => job.resolve({ view: res.view, patient: res.patient, bytes: res.bytes }));
    // The long lists follow, one chunk per message we ask for: each is deserialised in its own turn.
    w.partial = { view: res.view, patient: res.patient, bytes: res.bytes, left: res.chunks };
    worker.postMessage({ next: job.req.id });
  });
  worker.on('messageerror', (e) => fail('message', e));
  worker.on('error', (e) => fail('crashed', e));
  worker.on('exit', (code) => {
    // Dead: out of the pool (a stopped pool already let it go), its job failed; the next job spawns a new one.
    const wasLive = workers.delete(w);
    fail(`exited ${code}`);
    if (wasLive) dispatch();
  });
  return w;
}

function createWorker(): Worker {
  return spawnWorker('fhir/view-worker.ts', WORKER_FILE);
}
