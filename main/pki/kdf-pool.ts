/**
 * The PKCS#12 KDF (RFC 7292 appendix B) off the main thread: pkcs12KdfSync (main/pki/kdf.ts, the
 * one implementation) runs in a worker thread (main/pki/kdf-worker.ts), so deriving the MAC key of
 * a 600,000-iteration file (and the keys of legacy PBE bags) never stalls IPC, the scanner or the
 * grant timers of the main process.
 *
 * - One worker, created on first use and kept for the next (sign-in, then every unlock); it is
 *   ref'ed only while it has work, so it never keeps the process alive, and terminated by
 *   stopKdfWorkers() (Workstation.close()).
 * - Iteration counts over the cap are refused here, before any message is sent.
 * - A WorkstationError thrown in the worker arrives as the same code and details; a worker that
 *   dies (crash, terminated) fails its jobs with PKI_KDF_WORKER_FAILED and is replaced on the next.
 */
import type { Worker } from 'node:worker_threads';
import { WorkstationError } from '../../common/errors';
import { spawnWorker } from '../threads';
import { checkIterations, type KdfHash } from './kdf';
import type { KdfRequest, KdfResponse } from './kdf-protocol';

const WORKER_FILE = 'pkcs12-kdf-worker.js';

interface Pending {
  resolve(key: Buffer): void;
  reject(e: unknown): void;
}

let current: { worker: Worker; jobs: Map<number, Pending> } | null = null;
let nextJob = 1;

const failed = (reason: string, cause?: unknown) =>
  new WorkstationError('PKI_KDF_WORKER_FAILED', { reason }, cause === undefined ? undefined : { cause });

/**
 * RFC 7292 B.2: `id` 1 = key, 2 = IV, 3 = MAC key. `password` is the BMP encoding (bmpPassword).
 * Resolves with `length` bytes, derived in the worker thread.
 */
export async function pkcs12Kdf(
  password: Buffer,
  salt: Buffer,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
  hash: KdfHash,
): Promise<Buffer> {
  checkIterations(iterations);
  const pool = ensureWorker();
  const job = nextJob++;
  const req: KdfRequest = {
    job,
    password: new Uint8Array(password),
    salt: new Uint8Array(salt),
    id,
    iterations,
    length,
    hash,
  };
  return new Promise<Buffer>((resolve, reject) => {
    pool.jobs.set(job, { resolve, reject });
    pool.worker.ref();
    try {
      pool.worker.postMessage(req, [req.password.buffer as ArrayBuffer]);
    } catch (e) {
      settle(pool, job)?.reject(failed('post', e));
    }
  });
}

/** Terminates the worker (Workstation.close()); derivations still running fail with PKI_KDF_WORKER_FAILED. A later call starts a new one. */
export async function stopKdfWorkers(): Promise<void> {
  const pool = current;
  current = null;
  if (!pool) return;
  for (const [job] of [...pool.jobs]) settle(pool, job)?.reject(failed('stopped'));
  await pool.worker.terminate();
}

/** For tests: the live worker thread, if any. */
export function kdfWorkerThreads(): Worker[] {
  return current ? [current.worker] : [];
}

/** Takes job `job` off the pool's list (the worker unref'ed when it has none left). */
function settle(pool: NonNullable<typeof current>, job: number): Pending | undefined {
  const pending = pool.jobs.get(job);
  pool.jobs.delete(job);
  if (pool.jobs.size === 0) pool.worker.unref();
  return pending;
}

function ensureWorker(): NonNullable<typeof current> {
  if (current) return current;
  const worker = spawnWorker('pki/kdf-worker.ts', WORKER_FILE);
  const pool = { worker, jobs: new Map<number, Pending>() };
  current = pool;
  worker.unref();
  const failAll = (reason: string, cause?: unknown) => {
    if (current === pool) current = null;
    for (const [job] of [...pool.jobs]) settle(pool, job)?.reject(failed(reason, cause));
  };
  worker.on('message', (res: KdfResponse) => {
    const pending = settle(pool, res.job);
    if (!pending) return;
    if (res.ok) pending.resolve(Buffer.from(res.key.buffer, res.key.byteOffset, res.key.byteLength));
    else pending.reject(new WorkstationError(res.error.code, res.error.details));
  });
  worker.on('messageerror', (e) => failAll('message', e));
  worker.on('error', (e) => failAll('crashed', e));
  worker.on('exit', (code) => failAll(`exited ${code}`));
  return pool;
}
