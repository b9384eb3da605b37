import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { loadConfig } from '../../main/config/index';
import { createWorkstation, type Workstation } from '../../main/workstation';
import { createDispatcher } from '../../main/ipc/dispatch';
import { createHandlers } from '../../main/ipc/handlers/index';
import { createLogger, type Logger } from '../../main/log';
import { startHarness, type Harness } from './server';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface LaunchOptions {
  /** Hospital configuration file (the training sandbox writes one); null = built-in defaults. */
  configFile: string | null;
  dataDir: string;
  /** Build the renderer bundle first (skip when a fresh one exists). */
  build?: boolean;
  port?: number;
  logger?: Logger;
}

export interface LaunchedHarness extends Harness {
  workstation: Workstation;
}

export async function buildHarnessBundle(): Promise<void> {
  await build({ configFile: resolve(REPO, 'scripts/harness/vite.config.ts'), logLevel: 'warn' });
}

/** The same composition as main/index.ts, with the loopback bridge in place of Electron IPC. */
export async function launchHarness(opts: LaunchOptions): Promise<LaunchedHarness> {
  if (opts.build !== false) await buildHarnessBundle();
  const version = (JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  // A configuration file that was named must exist: a missing one is a configuration error, not training mode.
  const loaded = loadConfig({
    defaultsFile: resolve(REPO, 'resources/config/defaults.json'),
    machineFile: opts.configFile,
    machineFileRequired: opts.configFile !== null,
  });
  const workstation = createWorkstation({
    loaded,
    dataDir: opts.dataDir,
    version,
    logger: opts.logger ?? createLogger('harness'),
  });
  const harness = await startHarness({
    dispatch: createDispatcher(createHandlers(workstation), workstation.log),
    events: workstation.events,
    attachments: workstation.attachments,
    staticDir: resolve(REPO, 'out/harness'),
    port: opts.port,
  });
  return {
    ...harness,
    workstation,
    async close() {
      await harness.close();
      await workstation.close();
    },
  };
}
