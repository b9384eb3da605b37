/**
 * What the app may start as, decided once from where the configuration came from. No fail-open:
 * the installed app (Electron) without a machine configuration is "not configured" — it shows
 * what IT must provide and nothing else — instead of falling into training mode on the built-in
 * defaults (whose sandbox is not part of any installer). Training mode runs only when the machine
 * configuration says `"mode": "training"`, which is what `npm start` writes and names with
 * HCP_CONFIG. Plain-Node tools (the browser harness, tests) keep the built-in training defaults.
 * Pure: every input is a parameter (main passes process.platform/env/versions).
 */
import type { NotConfigured } from '../../common/ipc/channels/app';
import type { LoadedConfig } from './load';
import { machineConfigLocation } from './paths';

export type StartupDecision =
  /** The machine file (or HCP_CONFIG) was applied: run in the mode it says. */
  | { kind: 'configured'; mode: 'training' | 'production'; machineFile: string }
  /** A configuration file has problems: the configuration-error screen. */
  | { kind: 'config-error' }
  /** The app with no machine configuration: the "not configured" screen, nothing else. */
  | { kind: 'not-configured'; notConfigured: NotConfigured }
  /** A plain-Node tool (harness, tests) on the built-in defaults: training mode. */
  | { kind: 'built-in-defaults' };

export interface StartupInput {
  loaded: Pick<LoadedConfig, 'config' | 'problems' | 'sources'>;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** process.versions.electron: the app itself (packaged or `npm run dev`), not a Node tool. */
  electron: string | undefined;
}

/** The `config check` command IT runs on the machine (the installed app's CLI entry). */
export function configCheckCommand(platform: NodeJS.Platform, file: string): string {
  const exe = platform === 'win32' ? '"HCP Workstation.exe"' : 'hcp-workstation';
  return `${exe} --cli config check "${file}"`;
}

export function decideStartup({ loaded, platform, env, electron }: StartupInput): StartupDecision {
  if (loaded.problems.length > 0) return { kind: 'config-error' };
  const machine = machineConfigLocation(platform, env);
  if (loaded.sources.includes(machine.file))
    return { kind: 'configured', mode: loaded.config.mode, machineFile: machine.file };
  if (!electron) return { kind: 'built-in-defaults' };
  return {
    kind: 'not-configured',
    notConfigured: { machineFile: machine.file, platform, checkCommand: configCheckCommand(platform, machine.file) },
  };
}

/** The decision for this process (what app.info reports). */
export function currentStartupDecision(loaded: StartupInput['loaded']): StartupDecision {
  return decideStartup({ loaded, platform: process.platform, env: process.env, electron: process.versions.electron });
}
