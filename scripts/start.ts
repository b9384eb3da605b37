/**
 * `npm start`: the workstation on this machine.
 *
 * Configuration: the hospital file (HCP_CONFIG, or the platform's machine path) when there is
 * one; otherwise the training environment in .sandbox/training (sandbox EHR cloud, training PKI,
 * synthetic patients, a training-mode configuration and the trainer's sheet).
 * UI: Electron when its binary is available; otherwise the browser harness (one line says why).
 * Ctrl-C / SIGTERM stops what this process started (Electron or the harness, and the sandbox) —
 * a sandbox that was already running is left alone.
 *
 * `npm start -- --smoke`: the same start of the training environment, then instead of a UI one
 * training patient is opened through the IPC dispatcher and handlers (scripts/training/smoke.ts);
 * prints `smoke ok` and exits 0, or prints the cause and exits 1. Everything it started is stopped.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineConfigLocation } from '../main/config/paths';
import { startTrainingEnvironment, type TrainingEnvironment } from './training/index';
import { runSmoke } from './training/smoke';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
/** HCP_TRAINING_DIR moves it (tests: a short temporary path; Unix socket paths are limited). */
const TRAINING_DIR = resolve(process.env.HCP_TRAINING_DIR || join(REPO, '.sandbox/training'));

type ElectronLookup = { path: string; error?: undefined } | { path?: undefined; error: string };

async function findElectron(): Promise<ElectronLookup> {
  const mod = (await import(pathToFileURL(join(REPO, 'scripts/electron-binary.mjs')).href)) as {
    findElectronBinary: () => ElectronLookup;
  };
  return mod.findElectronBinary();
}

const SMOKE = process.argv.slice(2).includes('--smoke');

const say = (line: string) => process.stdout.write(`${line}\n`);
const show = (p: string) => relative(process.cwd(), p) || '.';

async function main(): Promise<void> {
  // Listen first: a Ctrl-C while the sandbox starts must still stop it once it is up.
  let stopRequested: NodeJS.Signals | null = null;
  let onStop: (() => void) | null = null;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (stopRequested) return;
      stopRequested = sig;
      onStop?.();
    });
  }
  const stopped = new Promise<void>((done) => (onStop = done));

  let training: TrainingEnvironment | null = null;
  let configFile: string;
  const machine = machineConfigLocation();
  if (machine.explicit || existsSync(machine.file)) {
    if (SMOKE)
      throw new Error(
        `--smoke runs the training environment, but a hospital configuration is set (${machine.file}); run it where there is none`,
      );
    configFile = machine.file;
    say(`Hospital configuration: ${configFile}`);
  } else {
    say(
      `No hospital configuration (HCP_CONFIG or ${machine.file}): starting the training environment in ${show(TRAINING_DIR)} ...`,
    );
    training = await startTrainingEnvironment({ dir: TRAINING_DIR });
    configFile = training.configFile;
    say(
      `TRAINING MODE — synthetic patients only (${training.patients.length} ${training.seededNow ? 'seeded' : 'already seeded'}, sandbox ${training.startedSandbox ? 'started' : 'reused'}); trainer's sheet: ${show(training.sheetFile)}`,
    );
  }
  try {
    if (SMOKE && training && !stopRequested) {
      const result = await runSmoke({ repo: REPO, training, log: say });
      say(`opened ${result.patient} (${result.displayName ?? 'no name'}) through the IPC handlers in ${result.ms} ms`);
      say('smoke ok');
    } else if (!stopRequested)
      await runUi(
        configFile,
        training,
        stopped,
        (stop) => (onStop = stop),
        () => stopRequested !== null,
      );
  } finally {
    if (training?.startedSandbox) say('stopping the training sandbox...');
    await training?.stop();
  }
}

/** Electron (until it exits) or the browser harness (until a signal). */
async function runUi(
  configFile: string,
  training: TrainingEnvironment | null,
  signalled: Promise<void>,
  setOnStop: (stop: () => void) => void,
  stopRequested: () => boolean,
): Promise<void> {
  const electron = await findElectron();
  if (electron.path) {
    const build = spawnSync(join(REPO, 'node_modules/.bin/electron-vite'), ['build'], { cwd: REPO, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('electron-vite build failed');
    if (stopRequested()) return;
    // better-sqlite3 for Electron's ABI, in .electron-native/ (node_modules keeps the Node build).
    const { ensureElectronNative } = await import('./electron-native');
    await ensureElectronNative({ say }).catch((e: unknown) => {
      throw new Error(
        `could not build the native modules for Electron (${e instanceof Error ? e.message : String(e)}); needs python3, make, g++ and Electron's headers — retry with npm run rebuild:electron`,
      );
    });
    if (stopRequested()) return;
    const env = { ...process.env, HCP_CONFIG: configFile, ...(training ? { HCP_TRAINING_DIR: training.dir } : {}) };
    const app: ChildProcess = spawn(electron.path, [REPO], { cwd: REPO, stdio: 'inherit', env });
    const exited = new Promise<number | null>((done) => app.once('exit', (code) => done(code)));
    setOnStop(() => app.kill('SIGTERM'));
    const code = await exited;
    if (code && !stopRequested())
      say(`Electron exited with status ${code} (the app's log: <user data>/logs/main.log, see docs/deployment.md)`);
    return;
  }

  say(`Electron's binary is not available here (${electron.error}): serving the UI in the browser harness instead`);
  const { launchHarness } = await import('./harness/launch');
  const harness = await launchHarness({
    configFile,
    dataDir: training ? join(training.dir, 'workstation') : resolve(REPO, '.sandbox/harness-data'),
    port: process.env.HCP_HARNESS_PORT ? Number(process.env.HCP_HARNESS_PORT) : 0,
  });
  try {
    say(`HCP Workstation (browser harness): ${harness.url}`);
    say('Ctrl-C stops it.');
    await signalled;
  } finally {
    await harness.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${SMOKE ? 'smoke failed' : 'npm start'}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
