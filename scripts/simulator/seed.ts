/**
 * The patient side, simulated: for each IPS bundle, a synthetic patient whose phone encrypts the
 * record, uploads it to the sandbox's `ehr` bucket, registers the sealed location at the HRI and
 * prints the emergency QR. Everything a workstation needs to open the record is in the QR.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as Minio from 'minio';
import { isWorkstationError } from '../../common/errors';
import { base64UrlEncode, generateMasterKey, sealHriLocation } from '../../main/crypto/index';
import { encodeEmergencyQr, randomPseudonym, renderEmergencyQrPng } from '../../main/emergency/index';
import { emergencyViewOf } from '../../main/fhir/index';
import { RecordWriter, type BufferUpload, type StreamUpload } from '../../main/record/index';
import { hriTokenSha256, registerCitizen } from '../sandbox/hri-client';
import type { SandboxState } from '../sandbox/index';
import { randomByteStream, syntheticLargePng, syntheticLetterPdf, syntheticPhotoPng } from './assets';
import { generateTrainingPatients, type TrainingFeature } from './generate';
import { expandSamples, patientNames } from './samples';

export interface SeedOptions {
  sandbox: SandboxState;
  /**
   * IPS bundle files, directories (every *.json) or last-segment globs. Default (none given): the
   * generated training patients (./generate.ts, `generateTrainingPatients({ seed })`).
   */
  samples?: string[];
  /** Seed of the generated training patients when no samples are given (default 1). */
  seed?: number;
  /** Where the QR images, payload texts, index.json and README.md go (created). */
  outDir: string;
  /** One random-bytes "imaging" attachment per size, in MB (1 MB = 2^20 bytes), streamed. */
  attachmentsMb?: number[];
  /** One synthetic, viewable PNG image ("attachment", image/png) of at least this many MB per entry (the viewer's streamed path). */
  largeImagesMb?: number[];
  /** Add a small real PNG photo and a small PDF letter (for the UI's document viewers). */
  documents?: boolean;
  /** Sign each manifest with a fresh patient key (ES256); the private key goes into the index. */
  signManifest?: boolean;
  /** QR validity; default 365 days. */
  qrValidDays?: number;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
  /**
   * The S3 endpoint the workstation reaches the record at, sealed into the HRI location and the QR's
   * cloud hint (e.g. the sandbox's https endpoint, `state.tls.s3Endpoint`); the upload itself goes
   * to `sandbox.s3.endpoint`. Default: `sandbox.s3.endpoint`.
   */
  locationEndpoint?: string;
}

export interface SeededObject {
  id: string;
  key: string;
  role: string;
  title: string;
  contentType: string;
  /** Plaintext bytes. */
  size: number;
}

export interface SeededPatient {
  /** File-name-safe name: outDir/<name>.png and <name>.txt. */
  name: string;
  /** The IPS bundle file it was made from, or `generated:<name>` for a generated training patient. */
  sample: string;
  /** What a generated training patient demonstrates (null for a sample file). */
  scenario: string | null;
  /** Tags of a generated training patient ('dnr', 'high-criticality-allergy', 'pregnancy', ...); [] for a sample. */
  features: TrainingFeature[];
  /** The patient's name as the bundle gives it (first name of Patient), or null. */
  displayName: string | null;
  /** The emergency QR payload text (HCPE...): holds the master key. */
  qrText: string;
  qrPng: string;
  qrTxt: string;
  citizenId: string;
  hriToken: string;
  /** base64url of the 32-byte master key (also inside the QR). */
  masterKey: string;
  bucket: string;
  prefix: string;
  manifestKey: string;
  manifestVersion: number;
  /** SHA-256 (hex) of the manifest payload: what the next version names as `previous`. */
  manifestPayloadSha256: string;
  objects: SeededObject[];
  /** PKCS#8 PEM of the patient's manifest-signing key (ES256), when signed. */
  signingKeyPem: string | null;
  issuedAt: string;
  expiresAt: string;
}

export interface SeedFailure {
  sample: string;
  error: string;
}

export interface SeedIndex {
  warning: string;
  generatedAt: string;
  sandbox: { dir: string; startedAt: string; s3Endpoint: string; hriUrl: string };
  patients: SeededPatient[];
  failures: SeedFailure[];
}

export interface SeedResult extends SeedIndex {
  indexFile: string;
  readmeFile: string;
}

export const INDEX_FILE = 'index.json';
export const README_FILE = 'README.md';
const KEY_MATERIAL_WARNING =
  'TRAINING/TEST DATA ONLY: this directory holds key material (QR payloads with master keys, HRI tokens, patient signing keys) for synthetic patients in a throw-away sandbox. Never use it for real patients.';
const MB = 1 << 20;
/** Multipart part size for streamed objects: memory per upload stays around one part. */
const PART_SIZE = 16 * MB;

function patientClient(sandbox: SandboxState): Minio.Client {
  const url = new URL(sandbox.s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    useSSL: url.protocol === 'https:',
    accessKey: sandbox.patient.accessKey,
    secretKey: sandbox.patient.secretKey,
    region: sandbox.s3.region,
    partSize: PART_SIZE,
  });
}

function describeError(e: unknown): string {
  if (isWorkstationError(e)) return e.details ? `${e.code} ${JSON.stringify(e.details)}` : e.code;
  return e instanceof Error ? e.message : String(e);
}

/** Reads and checks a bundle: it must build an emergency view (what the workstation will show). */
function loadSample(bytes: Buffer): { bytes: Buffer; displayName: string | null } {
  const view = emergencyViewOf(bytes);
  return { bytes, displayName: view.patient.names[0] ?? null };
}

async function putBuffer(client: Minio.Client, bucket: string, upload: BufferUpload): Promise<void> {
  await client.putObject(bucket, upload.key, upload.body, upload.contentLength, { 'Content-Type': upload.contentType });
}

/** Streams `size` random bytes through the encrypting transform into a multipart upload. */
async function putRandomStream(
  client: Minio.Client,
  bucket: string,
  upload: StreamUpload,
  size: number,
): Promise<void> {
  const source = randomByteStream(size);
  const feeding = pipeline(source, upload.body);
  try {
    await Promise.all([
      feeding,
      client.putObject(bucket, upload.key, upload.body, upload.contentLength, { 'Content-Type': upload.contentType }),
    ]);
  } catch (e) {
    source.destroy();
    upload.body.destroy();
    await feeding.catch(() => {});
    throw e;
  }
}

interface Attachment {
  role: string;
  title: string;
  contentType: string;
}

async function seedOne(
  client: Minio.Client,
  options: SeedOptions,
  source: Source,
  bytes: Buffer,
  displayName: string | null,
  index: number,
): Promise<SeededPatient> {
  const { name, sample } = source;
  const { sandbox, outDir } = options;
  const bucket = sandbox.buckets.ehr;
  const citizenId = randomPseudonym();
  const hriToken = randomPseudonym();
  const masterKey = generateMasterKey();
  // The citizen id as prefix: what the workstation assumes when it falls back to the QR's cloud hint.
  const prefix = citizenId;
  const signer: { privateKey: KeyObject } | null = options.signManifest
    ? { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }
    : null;

  const writer = new RecordWriter({ masterKey, citizenId, prefix });
  const objects: SeededObject[] = [];
  const addBuffer = async (object: Attachment, data: Buffer): Promise<void> => {
    const upload = writer.addBuffer({ ...object, data });
    await putBuffer(client, bucket, upload);
    objects.push({ id: upload.id, key: upload.key, ...object, size: data.length });
  };

  await addBuffer({ role: 'ips-summary', title: 'Patient summary', contentType: 'application/fhir+json' }, bytes);
  if (options.documents) {
    await addBuffer(
      { role: 'attachment', title: 'Wound photo (synthetic)', contentType: 'image/png' },
      syntheticPhotoPng(index * 37),
    );
    const letter = [
      'Training Hospital - Discharge letter (SYNTHETIC TRAINING DATA)',
      '',
      `Patient: ${displayName ?? 'unknown'}`,
      source.scenario ? `Training scenario: ${source.scenario}` : `Generated from sample: ${basename(sample)}`,
      '',
      'This letter was produced by the HCP Workstation patient simulator.',
      'It contains no information about a real person.',
    ];
    await addBuffer(
      { role: 'attachment', title: 'Discharge letter (synthetic)', contentType: 'application/pdf' },
      syntheticLetterPdf(letter),
    );
  }
  for (const mb of options.largeImagesMb ?? []) {
    options.log?.(`simulator: ${name}: ${mb} MB PNG image`);
    await addBuffer(
      { role: 'attachment', title: `Chest X-ray, ${mb} MB (synthetic)`, contentType: 'image/png' },
      syntheticLargePng(Math.round(mb * MB)),
    );
  }
  for (const mb of options.attachmentsMb ?? []) {
    const size = Math.round(mb * MB);
    const object: Attachment = {
      role: 'imaging',
      title: `Imaging study, ${mb} MB (synthetic random bytes)`,
      contentType: 'application/octet-stream',
    };
    const upload = writer.addStream({ ...object, size });
    options.log?.(`simulator: ${name}: streaming ${mb} MB attachment`);
    await putRandomStream(client, bucket, upload, size);
    objects.push({ id: upload.id, key: upload.key, ...object, size });
  }

  // The manifest last: it makes the record visible.
  const finished = writer.finish(signer ? { signer } : {});
  await putBuffer(client, bucket, finished.upload);

  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const expiresAt = new Date(issuedAt.getTime() + (options.qrValidDays ?? 365) * 86_400_000);
  const locationEndpoint = options.locationEndpoint ?? sandbox.s3.endpoint;
  const sealed = sealHriLocation(masterKey, {
    v: 1,
    citizenId,
    endpoint: locationEndpoint,
    region: sandbox.s3.region,
    bucket,
    prefix,
    issuedAt: issuedAt.toISOString(),
  });
  await registerCitizen(sandbox.hri.url, sandbox.hri.registrationToken, citizenId, {
    hriTokenSha256: hriTokenSha256(hriToken),
    sealed,
  });

  const cloudHint = locationEndpoint.length <= 64 ? locationEndpoint : undefined;
  const qrText = encodeEmergencyQr({
    citizenId,
    hriToken,
    masterKey,
    issuedAt,
    expiresAt,
    ...(cloudHint ? { cloudHint } : {}),
  });
  const qrPng = join(outDir, `${name}.png`);
  const qrTxt = join(outDir, `${name}.txt`);
  writeFileSync(qrPng, await renderEmergencyQrPng(qrText), { mode: 0o600 });
  writeFileSync(qrTxt, `${qrText}\n`, { mode: 0o600 });

  return {
    name,
    sample,
    scenario: source.scenario,
    features: source.features,
    displayName,
    qrText,
    qrPng,
    qrTxt,
    citizenId,
    hriToken,
    masterKey: base64UrlEncode(masterKey),
    bucket,
    prefix,
    manifestKey: finished.upload.key,
    manifestVersion: finished.manifest.version,
    manifestPayloadSha256: finished.payloadSha256,
    objects,
    signingKeyPem: signer ? (signer.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string) : null,
    issuedAt: issuedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
  };
}

function readme(index: SeedIndex): string {
  const lines = [
    '# Simulated patients',
    '',
    KEY_MATERIAL_WARNING,
    '',
    `Seeded ${index.generatedAt} into the sandbox at ${index.sandbox.s3Endpoint} (HRI ${index.sandbox.hriUrl}).`,
    "The records live in the sandbox's memory: they are gone when it stops.",
    '',
    '| name | patient | sample or scenario | QR image | QR text |',
    '| --- | --- | --- | --- | --- |',
    ...index.patients.map(
      (p) =>
        `| ${p.name} | ${p.displayName ?? '—'} | ${p.scenario ?? basename(p.sample)} | ${basename(p.qrPng)} | ${basename(p.qrTxt)} |`,
    ),
  ];
  if (index.failures.length)
    lines.push(
      '',
      '## Samples that could not be used',
      '',
      ...index.failures.map((f) => `- ${basename(f.sample)}: ${f.error}`),
    );
  return lines.join('\n') + '\n';
}

/** One patient to seed: a sample file, or a generated training patient's bundle. */
interface Source {
  name: string;
  sample: string;
  scenario: string | null;
  features: TrainingFeature[];
  read(): Buffer;
}

function sources(options: SeedOptions): Source[] {
  if (options.samples?.length) {
    const files = options.samples.flatMap(expandSamples);
    const names = patientNames(files);
    return files.map((file, i) => ({
      name: names[i]!,
      sample: file,
      scenario: null,
      features: [],
      read: () => readFileSync(file),
    }));
  }
  return generateTrainingPatients({ seed: options.seed ?? 1 }).map((p) => ({
    name: p.name,
    sample: `generated:${p.name}`,
    scenario: p.scenario,
    features: p.features,
    read: () => Buffer.from(JSON.stringify(p.bundle), 'utf8'),
  }));
}

/**
 * Seeds one synthetic patient per sample (or per generated training patient). A sample that does
 * not read or does not build an emergency view is reported in `failures`; a sandbox that refuses
 * an upload or registration throws (nothing sensible can follow).
 */
export async function seedPatients(options: SeedOptions): Promise<SeedResult> {
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const client = patientClient(options.sandbox);
  const patients: SeededPatient[] = [];
  const failures: SeedFailure[] = [];

  for (const [i, source] of sources(options).entries()) {
    const { sample } = source;
    let loaded: { bytes: Buffer; displayName: string | null };
    try {
      loaded = loadSample(source.read());
    } catch (e) {
      failures.push({ sample, error: describeError(e) });
      options.log?.(`simulator: skipped ${basename(sample)}: ${describeError(e)}`);
      continue;
    }
    const patient = await seedOne(client, { ...options, outDir }, source, loaded.bytes, loaded.displayName, i);
    patients.push(patient);
    options.log?.(
      `simulator: ${patient.name} (${patient.displayName ?? 'no name'}) -> ${patient.prefix}/, QR ${patient.qrPng}`,
    );
  }

  const index: SeedIndex = {
    warning: KEY_MATERIAL_WARNING,
    generatedAt: new Date().toISOString(),
    sandbox: {
      dir: options.sandbox.dir,
      startedAt: options.sandbox.startedAt,
      s3Endpoint: options.sandbox.s3.endpoint,
      hriUrl: options.sandbox.hri.url,
    },
    patients,
    failures,
  };
  const indexFile = join(outDir, INDEX_FILE);
  const readmeFile = join(outDir, README_FILE);
  writeFileSync(indexFile, JSON.stringify(index, null, 2) + '\n', { mode: 0o600 });
  chmodSync(indexFile, 0o600);
  writeFileSync(readmeFile, readme(index));
  return { ...index, indexFile, readmeFile };
}

/** The index.json of an earlier seeding, or null. */
export function readSeedIndex(outDir: string): SeedIndex | null {
  try {
    const parsed = JSON.parse(readFileSync(join(resolve(outDir), INDEX_FILE), 'utf8')) as SeedIndex;
    return Array.isArray(parsed.patients) ? parsed : null;
  } catch {
    return null;
  }
}
