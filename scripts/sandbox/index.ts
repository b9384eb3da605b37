/**
 * The local EHR-cloud sandbox: a real S3 server (Ceph RGW) with the workstation's STS role, the
 * patient simulator's account and the three buckets, plus the HRI stand-in. Used by
 * `npm run sandbox`, the integration tests' global setup and the e2e setup. See docs/sandbox.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startAccessServer, type AccessServer, type AccessTrust } from './access-server';
import { startHriServer, type HriServer } from './hri-server';
import { startShlServer, type ShlServer } from './shl-server';
import { pidMatches } from './processes';
import { killRecordedMinio } from './minio';
import { SANDBOX_REGION, type BucketNames, type ProvisionedAccounts } from './provision';
import { killRecordedDaemons } from './rgw';
import { startS3Server, type S3Server, type S3ServerKind } from './s3-server';
import { createSandboxTls, type SandboxTls } from './tls';

/** Everything a client needs to use the sandbox; plain JSON (it is written to `<dir>/state.json`). */
export interface SandboxState {
  version: 1;
  /** Absolute path of the sandbox directory. */
  dir: string;
  startedAt: string;
  s3: {
    /** e.g. http://127.0.0.1:41234 (S3, STS and IAM share it). */
    endpoint: string;
    region: string;
    /** Which S3 server serves it (absent in state files written before MinIO support: Ceph RGW). */
    server?: S3ServerKind;
    /** Owner of the buckets; full rights. For seeding and inspection, never for the workstation. */
    admin: { accessKey: string; secretKey: string };
  };
  workstation: {
    /** Long-lived keys with no bucket rights: they can only AssumeRole into `roleArn`. */
    accessKey: string;
    secretKey: string;
    roleArn: string;
    stsEndpoint: string;
  };
  /** The patient-side simulator: writes `ehr`, reads and deletes `pending`. */
  patient: { accessKey: string; secretKey: string };
  buckets: BucketNames;
  hri: { url: string; registrationToken: string };
  /**
   * The SMART Health Link server (https, certificate from the sandbox's own CA in `caFile`, which
   * the workstation trusts through `shl.trustedCas`); `adminToken` makes links (POST /admin/links).
   * Absent in a state written before the SHL server existed.
   */
  shl?: { url: string; caFile: string; adminToken: string; issuer: string };
  /**
   * The emergency-access endpoint (docs/emergency-access.md). Its trust anchors (*.pem) and CRLs
   * (*.crl, DER or PEM) are read from `trustDir` on every request; `auditFile` has its decisions.
   * Absent in a state written before the endpoint existed.
   */
  access?: { url: string; trustDir: string; auditFile: string };
  /**
   * With `--tls` (SandboxOptions.tls): the same S3/STS, HRI and emergency-access services over https,
   * each with a server certificate (127.0.0.1, localhost) from the sandbox's own CA made at start
   * (`caFile`, which the workstation trusts through `tls.trustedCas`). The http endpoints above stay
   * (seeding, inspection); the workstation's configuration names these.
   */
  tls?: { caFile: string; s3Endpoint: string; hriUrl: string; accessUrl: string | null };
  /** Processes serving this sandbox; `owner` is the process that started it and will stop it. */
  pids: { owner: number; mon: number; osd: number; rgw: number };
}

export interface Sandbox {
  readonly state: SandboxState;
  /** Stops the HRI stand-in, then RGW, the OSD and the monitor; removes state.json. Idempotent. */
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Directory for all sandbox state (created). An earlier, dead sandbox in it is cleaned up. */
  dir: string;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
  /** HRI port on 127.0.0.1 (default 0: a free one). */
  hriPort?: number;
  /** SMART Health Link server port on 127.0.0.1 (default 0: a free one). */
  shlPort?: number;
  /** Fixed HRI registration token (default: random). */
  registrationToken?: string;
  buckets?: BucketNames;
  /** Abandon the start after this long (default 90 s). */
  readyTimeoutMs?: number;
  /** Also serve S3/STS, the HRI and the emergency-access endpoint over https (sandbox CA; Ceph RGW only). */
  tls?: boolean;
}

export const STATE_FILE = 'state.json';
const CEPH_SUBDIR = 'ceph';
const MINIO_SUBDIR = 'minio';
const HRI_STORE = 'hri-store.json';
const SHL_SUBDIR = 'shl';
const ACCESS_TRUST_SUBDIR = 'access-trust';
const ACCESS_AUDIT_FILE = 'access-audit.jsonl';
const TLS_SUBDIR = 'tls';

/** The endpoint's trust store: every *.pem is an anchor, every *.crl a CRL (read on each request). */
export function readTrustDir(trustDir: string): AccessTrust {
  const names = existsSync(trustDir) ? readdirSync(trustDir).sort() : [];
  return {
    anchors: names.filter((n) => n.endsWith('.pem')).map((n) => readFileSync(join(trustDir, n), 'utf8')),
    crls: names.filter((n) => n.endsWith('.crl')).map((n) => readFileSync(join(trustDir, n))),
  };
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const dir = resolve(options.dir);
  const log = options.log ?? (() => {});
  const started = Date.now();
  mkdirSync(dir, { recursive: true });

  const previous = readSandboxState(dir);
  if (previous && sandboxOwnerAlive(previous)) {
    throw new Error(`a sandbox is already running in ${dir} (pid ${previous.pids.owner}); stop it first`);
  }
  rmSync(join(dir, STATE_FILE), { force: true });
  rmSync(join(dir, HRI_STORE), { force: true });
  rmSync(join(dir, TLS_SUBDIR), { recursive: true, force: true });

  const tls: SandboxTls | null = options.tls ? createSandboxTls(join(dir, TLS_SUBDIR)) : null;
  // Ceph RGW, or MinIO from PATH when Ceph is missing (scripts/sandbox/s3-server.ts).
  const rgw = await startS3Server({
    sandboxDir: dir,
    log,
    readyTimeoutMs: options.readyTimeoutMs,
    tls: tls?.server,
  });
  let hri: HriServer | null = null;
  let shl: ShlServer | null = null;
  let access: AccessServer | null = null;
  const stop = async (): Promise<void> => {
    await access?.close();
    await shl?.close();
    await hri?.close();
    await rgw.stop();
    rmSync(join(dir, STATE_FILE), { force: true });
  };

  try {
    const accounts = await rgw.provision({ buckets: options.buckets, region: SANDBOX_REGION });
    log(`sandbox: provisioned users, the workstation role and buckets ${Object.values(accounts.buckets).join(', ')}`);
    hri = await startHriServer({
      port: options.hriPort ?? 0,
      registrationToken: options.registrationToken,
      storeFile: join(dir, HRI_STORE),
      tls: tls?.server,
    });
    log(`sandbox: HRI stand-in at ${hri.url}${hri.tlsUrl ? ` and ${hri.tlsUrl}` : ''}`);
    shl = await startShlServer({ dir: join(dir, SHL_SUBDIR), port: options.shlPort ?? 0 });
    log(`sandbox: SMART Health Link server at ${shl.url} (CA ${shl.caFile})`);

    const trustDir = join(dir, ACCESS_TRUST_SUBDIR);
    mkdirSync(trustDir, { recursive: true });
    const auditFile = join(dir, ACCESS_AUDIT_FILE);
    access = await startAccessServer({
      stsEndpoint: rgw.endpoint,
      region: SANDBOX_REGION,
      accessKey: accounts.workstation.accessKey,
      secretKey: accounts.workstation.secretKey,
      roleArn: accounts.workstation.roleArn,
      buckets: accounts.buckets,
      hriUrl: hri.url,
      trust: () => readTrustDir(trustDir),
      auditFile,
      tls: tls?.server,
    });
    log(`sandbox: emergency-access endpoint at ${access.url} (trust anchors and CRLs in ${trustDir})`);

    const state = buildState(dir, rgw, accounts, hri, shl, { url: access.url, trustDir, auditFile });
    if (tls && rgw.tlsEndpoint && hri.tlsUrl) {
      state.tls = { caFile: tls.caFile, s3Endpoint: rgw.tlsEndpoint, hriUrl: hri.tlsUrl, accessUrl: access.tlsUrl };
      log(`sandbox: TLS on (CA ${tls.caFile}): S3/STS ${rgw.tlsEndpoint}, HRI ${hri.tlsUrl}, access ${access.tlsUrl}`);
    }
    writeFileSync(join(dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    log(`sandbox: ready in ${Date.now() - started} ms`);

    let stopping: Promise<void> | null = null;
    return { state, stop: () => (stopping ??= stop()) };
  } catch (e) {
    await stop();
    throw e;
  }
}

function buildState(
  dir: string,
  rgw: S3Server,
  accounts: ProvisionedAccounts,
  hri: HriServer,
  shl: ShlServer,
  access: SandboxState['access'],
): SandboxState {
  return {
    version: 1,
    dir,
    startedAt: new Date().toISOString(),
    s3: {
      endpoint: rgw.endpoint,
      region: SANDBOX_REGION,
      server: rgw.kind,
      admin: { accessKey: accounts.admin.accessKey, secretKey: accounts.admin.secretKey },
    },
    workstation: {
      accessKey: accounts.workstation.accessKey,
      secretKey: accounts.workstation.secretKey,
      roleArn: accounts.workstation.roleArn,
      stsEndpoint: rgw.endpoint,
    },
    patient: { accessKey: accounts.patient.accessKey, secretKey: accounts.patient.secretKey },
    buckets: accounts.buckets,
    hri: { url: hri.url, registrationToken: hri.registrationToken },
    shl: { url: shl.url, caFile: shl.caFile, adminToken: shl.adminToken, issuer: shl.issuer },
    access,
    pids: { owner: process.pid, ...rgw.pids },
  };
}

/** The state.json of a sandbox directory, or null when there is none (or it is unreadable). */
export function readSandboxState(dir: string): SandboxState | null {
  const file = join(resolve(dir), STATE_FILE);
  if (!existsSync(file)) return null;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as SandboxState;
    return parsed.version === 1 ? parsed : null;
  } catch {
    return null;
  }
}

/** Whether the process that started this sandbox is still running. */
export function sandboxOwnerAlive(state: SandboxState): boolean {
  try {
    process.kill(state.pids.owner, 0);
  } catch {
    return false;
  }
  // A live owner keeps its daemons running; a recycled PID would not have them.
  return pidMatches(state.pids.mon, join(state.dir, state.s3.server === 'minio' ? MINIO_SUBDIR : CEPH_SUBDIR));
}

/**
 * Cleans up after a sandbox whose owner died without stopping it (e.g. SIGKILL): kills the Ceph
 * daemons recorded in the directory (only those still naming it) and removes state.json.
 */
export async function cleanUpDeadSandbox(dir: string): Promise<number[]> {
  const killed = await killRecordedDaemons(join(resolve(dir), CEPH_SUBDIR));
  await killRecordedMinio(join(resolve(dir), MINIO_SUBDIR));
  rmSync(join(resolve(dir), STATE_FILE), { force: true });
  return killed;
}

export { registerCitizen, unregisterCitizen, hriTokenSha256, type CitizenRegistration } from './hri-client';
export { startHriServer, type HriServer, type HriServerOptions } from './hri-server';
export {
  startShlServer,
  createShlViaAdmin,
  type ShlServer,
  type ShlServerOptions,
  type ShlLink,
  type ShlLinkOptions,
} from './shl-server';
export {
  startAccessServer,
  emergencySessionPolicy,
  workstationSessionPolicy,
  ACCESS_DURATION_SECONDS,
  type AccessServer,
  type AccessServerOptions,
  type AccessTrust,
  type AccessAuditEntry,
} from './access-server';
export { sandboxS3Client, type BucketNames, type S3Keys } from './provision';
export { createSandboxTls, type SandboxTls } from './tls';
