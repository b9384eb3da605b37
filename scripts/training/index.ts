/**
 * The training environment of `npm start` (dev only): a sandbox EHR cloud, the training PKI, the
 * generated synthetic training patients (scripts/simulator/generate.ts) with their QR codes, a
 * hospital configuration in training mode pointing at all of it, and a sheet for the trainer
 * (TRAINING.md). Self-contained: nothing outside the repository is read. See docs/simulator.md.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createTrainingPki, TRAINING_PKCS12_PASSPHRASE } from '../../test/support/test-ca/training';
import { readSandboxState, sandboxOwnerAlive, startSandbox, type SandboxState } from '../sandbox/index';
import { readSeedIndex, seedPatients, type SeedIndex, type SeededPatient } from '../simulator/index';
import { trainingConfig } from './config';
import { trainingSheet } from './sheet';
import { shlSheetSection } from './shl-sheet';
import { makeTrainingShls, readTrainingShls, type TrainingShl } from '../simulator/shl';

export interface TrainingOptions {
  /** The environment's directory: sandbox/, pki/, patients/, config.json, TRAINING.md (created). */
  dir: string;
  /** IPS sample files to seed instead of the generated training patients (tests use real samples). */
  samples?: string[];
  /** Seed of the generated training patients (default 1). */
  seed?: number;
  /** Random "imaging" attachments per patient, in MB (default [5]: small, quick to open). */
  attachmentsMb?: number[];
  /** Large viewable PNG images per patient, in MB (default none; tests of the streamed viewer). */
  largeImagesMb?: number[];
  log?: (line: string) => void;
}

export interface TrainingPkiFiles {
  dir: string;
  passphrase: string;
  root: string;
  intermediate: string;
  crl: string;
  clinician: string;
  revokedClinician: string;
}

export interface TrainingEnvironment {
  dir: string;
  /** The hospital configuration (mode "training"): set HCP_CONFIG to it. Holds the sandbox's keys. */
  configFile: string;
  /** TRAINING.md: clinician credentials, passphrase, the patients' QR images. */
  sheetFile: string;
  patientsDir: string;
  sandbox: SandboxState;
  /** True when this call started the sandbox (stop() stops it); false when a running one was reused. */
  startedSandbox: boolean;
  /** False when a running sandbox already held this directory's patients. */
  seededNow: boolean;
  pki: TrainingPkiFiles;
  patients: SeededPatient[];
  /** SMART Health Links of the same patients (one each, kinds cycling). */
  shls: TrainingShl[];
  /** Stops the sandbox if this call started it; otherwise does nothing. Idempotent. */
  stop(): Promise<void>;
}

const PKI_FILES = ['root.pem', 'intermediate.pem', 'crl.pem', 'clinician.p12', 'revoked-clinician.p12'] as const;

/** The training PKI in `dir`, made once and kept (so a trainer's copied credentials stay valid). */
function ensureTrainingPki(dir: string): TrainingPkiFiles {
  if (!PKI_FILES.every((f) => existsSync(join(dir, f)))) createTrainingPki(dir);
  return {
    dir,
    passphrase: TRAINING_PKCS12_PASSPHRASE,
    root: join(dir, 'root.pem'),
    intermediate: join(dir, 'intermediate.pem'),
    crl: join(dir, 'crl.pem'),
    clinician: join(dir, 'clinician.p12'),
    revokedClinician: join(dir, 'revoked-clinician.p12'),
  };
}

/** Patients seeded into this very sandbox (records live in its memory, so another start means none). */
function seededInto(index: SeedIndex | null, sandbox: SandboxState): index is SeedIndex {
  return (
    !!index &&
    index.patients.length > 0 &&
    index.sandbox.startedAt === sandbox.startedAt &&
    index.sandbox.s3Endpoint === sandbox.s3.endpoint
  );
}

export async function startTrainingEnvironment(options: TrainingOptions): Promise<TrainingEnvironment> {
  const dir = resolve(options.dir);
  const log = options.log ?? (() => {});
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const sandboxDir = join(dir, 'sandbox');
  const patientsDir = join(dir, 'patients');

  const running = readSandboxState(sandboxDir);
  let stopSandbox: (() => Promise<void>) | null = null;
  let sandbox: SandboxState;
  if (running && sandboxOwnerAlive(running)) {
    sandbox = running;
    log(`training: reusing the sandbox running in ${sandboxDir} (pid ${running.pids.owner})`);
  } else {
    const started = await startSandbox({ dir: sandboxDir, log });
    sandbox = started.state;
    stopSandbox = started.stop;
  }

  try {
    const pki = ensureTrainingPki(join(dir, 'pki'));
    const previous = readSeedIndex(patientsDir);
    let patients: SeededPatient[];
    let seededNow = false;
    if (seededInto(previous, sandbox)) {
      patients = previous.patients;
      log(`training: ${patients.length} patients already seeded in this sandbox`);
    } else {
      // Stale QR codes would point at records that no longer exist.
      rmSync(patientsDir, { recursive: true, force: true });
      const result = await seedPatients({
        sandbox,
        outDir: patientsDir,
        ...(options.samples?.length ? { samples: options.samples } : { seed: options.seed ?? 1 }),
        attachmentsMb: options.attachmentsMb ?? [5],
        largeImagesMb: options.largeImagesMb,
        documents: true,
        signManifest: true,
        log,
      });
      for (const f of result.failures) log(`training: sample skipped: ${f.sample}: ${f.error}`);
      patients = result.patients;
      seededNow = true;
    }

    const configFile = join(dir, 'config.json');
    const rel = (p: string) => relative(dir, p);
    const config = trainingConfig(sandbox, {
      root: rel(pki.root),
      intermediate: rel(pki.intermediate),
      crl: rel(pki.crl),
    });
    writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });

    const sheetFile = join(dir, 'TRAINING.md');
    // SMART Health Links of the same patients (they live in the sandbox's memory, like the records).
    const shls =
      (!seededNow && readTrainingShls(patientsDir, sandbox)) ||
      (await makeTrainingShls({ sandbox, patients, outDir: patientsDir, seed: options.seed ?? 1 }));
    writeFileSync(
      sheetFile,
      trainingSheet({ dir, configFile, sandbox, pki, patientsDir, patients }) + shlSheetSection(dir, shls),
    );

    let stopping: Promise<void> | null = null;
    return {
      dir,
      configFile,
      sheetFile,
      patientsDir,
      sandbox,
      startedSandbox: stopSandbox !== null,
      seededNow,
      pki,
      patients,
      shls,
      stop: () => (stopping ??= stopSandbox ? stopSandbox() : Promise.resolve()),
    };
  } catch (e) {
    await stopSandbox?.();
    throw e;
  }
}
