/**
 * Which S3 server the sandbox runs: Ceph RGW (Debian's packages; what the tests use, because it
 * enforces the workstation's role and the patient's bucket policies), or a `minio` server binary
 * found on PATH (MinIO is the production store) when Ceph is missing and cannot be installed here.
 * `chooseS3Server` is the pure decision (unit-tested); `startS3Server` starts the chosen one.
 * HCP_SANDBOX_S3=ceph|minio forces a choice.
 */
import { join } from 'node:path';
import { CEPH_BINARIES, CEPH_INSTALL_COMMAND, findBinary } from './ceph-install';
import { startMinioServer } from './minio';
import { provisionRgw, type BucketNames, type ProvisionedAccounts } from './provision';
import { startRgwCluster } from './rgw';

export type S3ServerKind = 'ceph-rgw' | 'minio';

export type S3ServerChoice =
  | { kind: 'ceph-rgw'; install: boolean }
  | { kind: 'minio'; binary: string }
  /** Nothing usable: `message` is one line saying what to install. */
  | { kind: 'none'; message: string };

export interface S3ServerInput {
  /** Ceph binaries not found. */
  cephMissing: readonly string[];
  isRoot: boolean;
  hasAptGet: boolean;
  /** A `minio` binary on PATH, or null. */
  minio: string | null;
  /** HCP_SANDBOX_S3. */
  prefer?: string | undefined;
}

export const NO_S3_SERVER_MESSAGE = `the training sandbox needs an S3 server: install Debian's Ceph packages as root (apt-get update && ${CEPH_INSTALL_COMMAND}), or put a MinIO server binary named "minio" on PATH`;

export function chooseS3Server({ cephMissing, isRoot, hasAptGet, minio, prefer }: S3ServerInput): S3ServerChoice {
  const cephUsable = cephMissing.length === 0 || (isRoot && hasAptGet);
  if (prefer === 'minio') {
    return minio
      ? { kind: 'minio', binary: minio }
      : { kind: 'none', message: 'HCP_SANDBOX_S3=minio, but there is no "minio" server binary on PATH' };
  }
  if (prefer === 'ceph' || prefer === 'ceph-rgw') {
    return cephUsable
      ? { kind: 'ceph-rgw', install: cephMissing.length > 0 }
      : { kind: 'none', message: `HCP_SANDBOX_S3=ceph, but ${NO_S3_SERVER_MESSAGE.replace(/, or put .*$/, '')}` };
  }
  if (prefer !== undefined && prefer !== '')
    return { kind: 'none', message: `HCP_SANDBOX_S3 must be "ceph" or "minio" (found "${prefer}")` };
  if (cephMissing.length === 0) return { kind: 'ceph-rgw', install: false };
  if (minio) return { kind: 'minio', binary: minio };
  if (isRoot && hasAptGet) return { kind: 'ceph-rgw', install: true };
  return { kind: 'none', message: NO_S3_SERVER_MESSAGE };
}

/** The choice for this machine (PATH, uid, HCP_SANDBOX_S3). */
export function chooseS3ServerHere(env: NodeJS.ProcessEnv = process.env): S3ServerChoice {
  return chooseS3Server({
    cephMissing: CEPH_BINARIES.filter((b) => !findBinary(b)),
    isRoot: typeof process.getuid === 'function' && process.getuid() === 0,
    hasAptGet: findBinary('apt-get') !== null,
    minio: findBinary('minio'),
    prefer: env.HCP_SANDBOX_S3,
  });
}

/** The sandbox's S3 server, whichever it is: the same shape for the rest of the sandbox. */
export interface S3Server {
  readonly kind: S3ServerKind;
  /** S3, STS and IAM endpoint, e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  /** The same over https (sandbox CA), when started with `tls` (Ceph RGW only); else null. */
  readonly tlsEndpoint: string | null;
  /** Sub-directory of the sandbox holding the server's state; daemons' command lines name it. */
  readonly subdir: string;
  readonly pids: { mon: number; osd: number; rgw: number };
  /** Users, the workstation's role, the buckets and their policies. */
  provision(opts: { buckets?: BucketNames; region: string }): Promise<ProvisionedAccounts>;
  stop(): Promise<void>;
}

/** A failure to start that is a missing prerequisite, said in one line (npm start prints only it). */
export class SandboxPrerequisiteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxPrerequisiteError';
  }
}

export async function startS3Server(options: {
  sandboxDir: string;
  log: (line: string) => void;
  readyTimeoutMs?: number;
  /** Also serve https with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string } | null;
}): Promise<S3Server> {
  const choice = chooseS3ServerHere();
  switch (choice.kind) {
    case 'none':
      throw new SandboxPrerequisiteError(choice.message);
    case 'minio': {
      if (options.tls)
        throw new SandboxPrerequisiteError(
          'the TLS sandbox (--tls) needs Ceph RGW; MinIO from PATH serves http only here',
        );
      options.log(`sandbox: Ceph RGW is not installed; using MinIO (${choice.binary})`);
      return startMinioServer({
        dir: join(options.sandboxDir, 'minio'),
        binary: choice.binary,
        log: options.log,
        readyTimeoutMs: options.readyTimeoutMs,
      });
    }
    case 'ceph-rgw': {
      const rgw = await startRgwCluster({
        dir: join(options.sandboxDir, 'ceph'),
        log: options.log,
        readyTimeoutMs: options.readyTimeoutMs,
        tls: options.tls,
      });
      return {
        kind: 'ceph-rgw',
        endpoint: rgw.endpoint,
        tlsEndpoint: rgw.tlsEndpoint,
        subdir: 'ceph',
        pids: rgw.pids,
        provision: (opts) => provisionRgw(rgw, opts),
        stop: () => rgw.stop(),
      };
    }
  }
}
