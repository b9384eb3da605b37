/**
 * Shared setup for whole-flow tests (integration and e2e): on a running sandbox, the training PKI,
 * synthetic patients seeded from chosen IPS samples, a training hospital configuration pointing at
 * the sandbox (STS role credentials) and workstations built by the real composition root with a
 * real SQLite file each. Nothing here is mocked; tests change the world (HRI registrations, S3
 * objects, local stand-in servers), not the code.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Minio from 'minio';
import type { HospitalConfig } from '../../common/config/schema';
import type { AccessReason, OpenRecord, ScanPreview, ScanSource } from '../../common/ipc/channels/emergency';
import type { SessionStatus } from '../../common/ipc/channels/session';
import { loadConfig, type LoadedConfig } from '../../main/config/index';
import { base64UrlDecode, sealHriLocation } from '../../main/crypto/index';
import { encodeEmergencyQr, parseEmergencyQr } from '../../main/emergency/index';
import { silentLogger, type Logger } from '../../main/log';
import { createWorkstation, type Workstation } from '../../main/workstation';
import { serveAttachment } from '../../main/viewer/index';
import { hriTokenSha256, registerCitizen } from '../../scripts/sandbox/hri-client';
import type { SandboxState } from '../../scripts/sandbox/index';
import { seedPatients, type SeededPatient } from '../../scripts/simulator/index';
import { SHARED_SAMPLES_DIR as DEFAULT_SAMPLES_DIR } from './samples';
import { trainingConfig } from '../../scripts/training/config';
import { createTrainingPki, type TrainingPki } from './test-ca/training';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const DEFAULTS_FILE = join(REPO, 'resources/config/defaults.json');
export const DEFAULT_REASON: AccessReason = { code: 'emergency-treatment', text: 'integration test' };

/** A shared IPS sample by file name (../shared/testdata/ips-samples). */
export function sampleFile(name: string): string {
  return join(DEFAULT_SAMPLES_DIR, name);
}

export interface FlowFixtureOptions {
  sandbox: SandboxState;
  /** IPS sample file names (or paths) to seed, one patient each. */
  samples: string[];
  /** Parent of the fixture's temp dir (default: the OS temp dir). */
  dir?: string;
  /** A small PNG photo and a PDF letter per patient (default true). */
  documents?: boolean;
  attachmentsMb?: number[];
  /** Large viewable PNG images (MB each), for the streamed viewer. */
  largeImagesMb?: number[];
  signManifest?: boolean;
  /**
   * The workstation talks https only (the sandbox must run with TLS): the records are sealed with the
   * sandbox's https S3 endpoint and the configuration trusts the sandbox CA (trainingConfig `tls`).
   */
  tls?: boolean;
}

export interface WorkstationOverrides {
  /** Edits the training configuration before it is written and loaded (mutate in place). */
  config?: (config: HospitalConfig) => void;
  /** The data directory (default: a fresh one per workstation); reuse one to share a cache. */
  dataDir?: string;
  clock?: () => Date;
  logger?: Logger;
}

export interface FlowFixture {
  dir: string;
  sandbox: SandboxState;
  pki: TrainingPki;
  /** Seeded patients, in the order of `samples`. */
  patients: SeededPatient[];
  /** Writes a training configuration (with overrides) and returns its file. */
  writeConfig(edit?: (config: HospitalConfig) => void): string;
  /** A workstation from the real composition root (background off), closed by `close()`. */
  workstation(overrides?: WorkstationOverrides): Workstation;
  /** Closes every workstation and removes the temp dir. */
  close(): Promise<void>;
}

let counter = 0;

export async function createFlowFixture(options: FlowFixtureOptions): Promise<FlowFixture> {
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'hcp-flow-'));
  const pki = createTrainingPki(join(dir, 'pki'));
  const seeded = await seedPatients({
    sandbox: options.sandbox,
    outDir: join(dir, 'patients'),
    samples: options.samples.map((s) => (s.includes('/') ? s : sampleFile(s))),
    documents: options.documents ?? true,
    attachmentsMb: options.attachmentsMb,
    largeImagesMb: options.largeImagesMb,
    signManifest: options.signManifest,
    ...(options.tls ? { locationEndpoint: requireTls(options.sandbox).s3Endpoint } : {}),
  });
  if (seeded.failures.length)
    throw new Error(`samples not seeded: ${seeded.failures.map((f) => `${f.sample}: ${f.error}`).join('; ')}`);
  const open: Workstation[] = [];

  const writeConfig = (edit?: (config: HospitalConfig) => void): string => {
    const rel = (p: string) => relative(dir, p);
    const config = trainingConfig(
      options.sandbox,
      { root: rel(pki.files.root), intermediate: rel(pki.files.intermediate), crl: rel(pki.files.crl) },
      { tls: options.tls },
    );
    // Tests want failures fast: one HRI retry with short timeouts.
    config.hri.timeoutMs = 2_000;
    config.hri.retries = 1;
    config.cloud.timeoutMs = 10_000;
    edit?.(config);
    const file = join(dir, `config-${++counter}.json`);
    writeFileSync(file, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
    return file;
  };

  return {
    dir,
    sandbox: options.sandbox,
    pki,
    patients: seeded.patients,
    writeConfig,
    workstation(overrides = {}) {
      const loaded = loadTrainingConfig(writeConfig(overrides.config));
      const dataDir = overrides.dataDir ?? join(dir, `data-${++counter}`);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const ws = createWorkstation({
        loaded,
        dataDir,
        version: 'test',
        background: false,
        clock: overrides.clock,
        logger: overrides.logger ?? silentLogger,
      });
      open.push(ws);
      return ws;
    },
    async close() {
      for (const ws of open.splice(0)) await ws.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The sandbox's https endpoints; the integration sandbox starts with them (test/integration/global-setup.ts). */
export function requireTls(sandbox: SandboxState): NonNullable<SandboxState['tls']> {
  if (!sandbox.tls) throw new Error('this test needs a sandbox started with TLS (npm run sandbox -- start --tls)');
  return sandbox.tls;
}

/** The configuration file layered on the built-in defaults, as the app loads it; throws on problems. */
export function loadTrainingConfig(file: string): LoadedConfig {
  const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file, machineFileRequired: true });
  if (loaded.problems.length)
    throw new Error(`configuration problems: ${loaded.problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`);
  return loaded;
}

/** Signs in with the demo clinician (or the revoked one) of the training PKI. */
export function signInDemoClinician(
  ws: Workstation,
  pki: TrainingPki,
  who: 'clinician' | 'revoked' = 'clinician',
): Promise<SessionStatus> {
  const file = who === 'clinician' ? pki.files.clinician : pki.files.revokedClinician;
  return ws.session.signIn(readFileSync(file), pki.passphrase);
}

/** Scan (as manual entry by default) then break the glass and open. */
export async function scanAndOpen(
  ws: Workstation,
  qrText: string,
  reason: AccessReason = DEFAULT_REASON,
  source: ScanSource = 'manual',
): Promise<{ preview: ScanPreview; record: OpenRecord }> {
  const preview = ws.emergency.scan(qrText, source);
  const record = await ws.emergency.open(preview.scanId, reason);
  return { preview, record };
}

/** The patient's QR text re-encoded with changes: another master key, no cloud hint, another citizen id. */
export function reencodeQr(
  patient: SeededPatient,
  changes: { masterKey?: Buffer; cloudHint?: string | null; citizenId?: string; hriToken?: string } = {},
): string {
  const original = parseEmergencyQr(patient.qrText).payload;
  const hint = changes.cloudHint === undefined ? original.cloudHint : changes.cloudHint;
  return encodeEmergencyQr({
    citizenId: changes.citizenId ?? original.citizenId,
    hriToken: changes.hriToken ?? original.hriToken,
    masterKey: changes.masterKey ?? original.masterKey,
    issuedAt: original.issuedAt,
    ...(original.expiresAt ? { expiresAt: original.expiresAt } : {}),
    ...(hint ? { cloudHint: hint } : {}),
  });
}

/** Registers (replaces) the patient's sealed location at the HRI: another endpoint, bucket or prefix. */
export async function registerLocation(
  sandbox: SandboxState,
  patient: SeededPatient,
  location: Partial<{ endpoint: string; region: string; bucket: string; prefix: string }> = {},
): Promise<void> {
  const sealed = sealHriLocation(masterKeyOf(patient), {
    v: 1,
    citizenId: patient.citizenId,
    endpoint: location.endpoint ?? sandbox.s3.endpoint,
    region: location.region ?? sandbox.s3.region,
    bucket: location.bucket ?? patient.bucket,
    prefix: location.prefix ?? patient.prefix,
    issuedAt: new Date().toISOString(),
  });
  await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, patient.citizenId, {
    hriTokenSha256: hriTokenSha256(patient.hriToken),
    sealed,
  });
}

/** The patient side's S3 client (writes, reads and deletes its own records in `ehr`): tampering in tests. */
export function patientS3Client(sandbox: SandboxState): Minio.Client {
  const url = new URL(sandbox.s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: sandbox.patient.accessKey,
    secretKey: sandbox.patient.secretKey,
    region: sandbox.s3.region,
  });
}

export async function readObject(client: Minio.Client, bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await client.getObject(bucket, key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The patient's master key (the seed index keeps it as base64url). */
export function masterKeyOf(patient: SeededPatient): Buffer {
  const key = base64UrlDecode(patient.masterKey);
  if (!key) throw new Error('bad master key in the seed index');
  return key;
}

/** One audit entry, flattened for assertions: its step (or DCM) code, outcome and failure code. */
export interface AuditStepView {
  seq: number;
  /** The last subtype code: an app step (qr-scan, hri-lookup, ...) or a DCM code (110127, 110138). */
  step: string;
  outcome: string;
  failure: string | null;
  /** entity details (type -> value), e.g. stop-reason, reason-code, offline. */
  details: Record<string, string>;
}

export function auditSteps(ws: Workstation, fromSeq = 1): AuditStepView[] {
  return ws.audit.entries(fromSeq, 10_000).map(({ seq, event }) => {
    const details: Record<string, string> = {};
    for (const e of event.entity ?? [])
      for (const d of e.detail ?? []) if (typeof d.valueString === 'string') details[d.type] = d.valueString;
    return {
      seq,
      step: event.subtype?.at(-1)?.code ?? event.type.code ?? '',
      outcome: event.outcome,
      failure: event.outcomeDesc ?? null,
      details,
    };
  });
}

/** The sequence number the next audit entry will get (to look only at what a step added). */
export function nextAuditSeq(ws: Workstation): number {
  return (ws.audit.entries(1, 1_000_000).at(-1)?.seq ?? 0) + 1;
}

/**
 * What the screen gets from the viewer's attachment route (main/viewer, the same code the app's
 * hcp-attachment scheme and the harness serve): status, headers and the streamed body.
 */
export async function viewAttachment(
  ws: Workstation,
  recordId: string,
  attachmentId: string,
  headers: { range?: string; method?: string } = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const res = serveAttachment(
    { method: headers.method ?? 'GET', ref: { recordId, attachmentId }, range: headers.range ?? null, ifRange: null },
    ws.attachments,
  );
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}
