/**
 * The sandbox's S3 server when Ceph RGW is not installed and a `minio` server binary is on PATH
 * (scripts/sandbox/s3-server.ts decides). One `minio server` on loopback with a fresh data
 * directory and random root credentials; the three buckets are created with them.
 *
 * Differences from the RGW sandbox (docs/sandbox.md): MinIO's user and policy administration is
 * only reachable through its admin API (mc / madmin), so the workstation, the patient simulator
 * and the administrator all use the root credentials. The workstation still obtains temporary
 * credentials through STS AssumeRole (MinIO grants it to any user and ignores the role ARN), but
 * the role's least-privilege policy and the patient's bucket policies are NOT enforced: this path
 * is for training on a machine without Ceph, never for testing the access rules (the tests use RGW).
 * Not exercised by the tests here (no MinIO binary can be installed on these machines).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, killStalePid, startDaemon, stopDaemon, tailFiles, delay, type Daemon } from './processes';
import { DEFAULT_BUCKETS, generateKeys, sandboxS3Client, type ProvisionedAccounts } from './provision';
import type { S3Server } from './s3-server';

const PIDS_FILE = 'pids.json';
const DATA_DIR = 'data';
/** MinIO ignores the ARN of a plain AssumeRole; the configuration still needs one. */
export const MINIO_ROLE_ARN = 'arn:minio:iam:::role/hcp-workstation-emergency';

export interface MinioOptions {
  /** Directory for the server's state (created; an earlier one found there is stopped and wiped). */
  dir: string;
  binary: string;
  log?: (line: string) => void;
  readyTimeoutMs?: number;
}

async function killRecorded(dir: string): Promise<void> {
  const file = join(dir, PIDS_FILE);
  if (!existsSync(file)) return;
  try {
    const { pid } = JSON.parse(readFileSync(file, 'utf8')) as { pid?: number };
    if (typeof pid === 'number') await killStalePid(pid, join(dir, DATA_DIR));
  } catch {
    // Half-written by a killed run: nothing trustworthy to kill.
  }
}

async function waitReady(endpoint: string, daemon: Daemon, deadline: number): Promise<void> {
  for (;;) {
    if (daemon.exitStatus() !== null)
      throw new Error(`minio exited (${daemon.exitStatus()}):\n${tailFiles(daemon.logFiles)}`);
    try {
      const res = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`minio did not become ready at ${endpoint} in time:\n${tailFiles(daemon.logFiles)}`);
    await delay(50);
  }
}

export async function startMinioServer(options: MinioOptions): Promise<S3Server> {
  const dir = resolve(options.dir);
  const log = options.log ?? (() => {});
  await killRecorded(dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, DATA_DIR), { recursive: true, mode: 0o700 });

  const root = generateKeys('SBMINIO');
  const [port, consolePort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    MINIO_ROOT_USER: root.accessKey,
    MINIO_ROOT_PASSWORD: root.secretKey,
    MINIO_BROWSER: 'off',
    MINIO_REGION: 'us-east-1',
    MINIO_UPDATE: 'off',
  };
  const daemon = await startDaemon(
    'minio',
    options.binary,
    [
      'server',
      join(dir, DATA_DIR),
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    join(dir, 'minio.out'),
    [],
    env,
  );
  writeFileSync(join(dir, PIDS_FILE), JSON.stringify({ pid: daemon.pid }) + '\n');
  let stopped: Promise<void> | null = null;
  const stop = () =>
    (stopped ??= (async () => {
      await stopDaemon(daemon);
      rmSync(dir, { recursive: true, force: true });
    })());
  try {
    await waitReady(endpoint, daemon, Date.now() + (options.readyTimeoutMs ?? 90_000));
  } catch (e) {
    await stop();
    throw e;
  }
  log(`minio: ready at ${endpoint}`);

  return {
    kind: 'minio',
    endpoint,
    tlsEndpoint: null,
    subdir: 'minio',
    pids: { mon: daemon.pid, osd: daemon.pid, rgw: daemon.pid },
    async provision({ buckets = DEFAULT_BUCKETS, region }): Promise<ProvisionedAccounts> {
      const s3 = sandboxS3Client(endpoint, root, region);
      for (const bucket of [buckets.ehr, buckets.pending, buckets.audit]) await s3.makeBucket(bucket, region);
      return {
        admin: { uid: 'minio-root', ...root },
        workstation: { uid: 'minio-root', ...root, roleArn: MINIO_ROLE_ARN, roleName: 'hcp-workstation-emergency' },
        patient: { uid: 'minio-root', ...root },
        buckets: { ...buckets },
      };
    },
    stop,
  };
}

/** Stops a MinIO server an earlier, killed run left in `dir` (only if its command line names the dir). */
export async function killRecordedMinio(dir: string): Promise<void> {
  await killRecorded(resolve(dir));
}
