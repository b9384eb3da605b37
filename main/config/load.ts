import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { HospitalConfig } from '../../common/config/schema';
import type { ConfigProblem } from '../../common/ipc/channels/app';
import {
  mergeConfig,
  readConfigFile,
  referencedFileProblems,
  resolveLayerPaths,
  userLayerProblems,
  type Json,
} from './layers';
import { validateConfig } from './problems';

export interface ConfigSources {
  /** resources/config/defaults.json */
  defaultsFile: string;
  /** The machine-wide hospital file (absent: training mode on defaults). */
  machineFile?: string | null;
  /** The machine file was named on purpose (HCP_CONFIG, the CLI): a missing file is a problem, not training mode. */
  machineFileRequired?: boolean;
  /** The per-user file (allowed keys only, see USER_CONFIGURABLE_KEYS); absent is normal. */
  userFile?: string | null;
}

export interface LoadedConfig {
  /**
   * The configuration in force. When `problems` is not empty it is the last layer that was
   * valid (the defaults for a bad machine file, the machine configuration for a bad user file)
   * and the UI shows the configuration-error screen.
   */
  config: HospitalConfig;
  /** Empty when valid; each names the file, the dotted key and what is wrong. */
  problems: ConfigProblem[];
  /** Files that were applied, lowest precedence first. */
  sources: string[];
  /**
   * Directory of the highest-precedence file that may name paths (machine file, else defaults).
   * The loader already makes configured paths absolute against the file that named them.
   */
  baseDir: string;
}

/**
 * Defaults < machine-wide file < user file. Built-in defaults that do not load are a build
 * defect and throw; every problem in a file an administrator or user wrote is returned instead.
 */
export function loadConfig(sources: ConfigSources): LoadedConfig {
  const defaultsFile = sources.defaultsFile;
  const defaults = readConfigFile(defaultsFile);
  if (!defaults.value) throw new Error(`built-in defaults unreadable: ${defaults.problem?.message}`);
  const defaultsLayer = resolveLayerPaths(defaults.value, defaultsFile);
  const base = validateConfig(defaultsLayer, defaultsFile);
  if (!base.config)
    throw new Error(`built-in defaults invalid: ${base.problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`);

  let result: LoadedConfig = {
    config: base.config,
    problems: [],
    sources: [defaultsFile],
    baseDir: dirname(defaultsFile),
  };
  let merged: Json = defaultsLayer;

  const machineFile = sources.machineFile;
  if (machineFile && (sources.machineFileRequired || existsSync(machineFile))) {
    const layer = applyLayer(merged, machineFile, (value) => referencedFileProblems(value, machineFile));
    if (layer.problems.length) return { ...result, problems: layer.problems };
    merged = layer.merged!;
    result = {
      config: layer.config!,
      problems: [],
      sources: [...result.sources, machineFile],
      baseDir: dirname(machineFile),
    };
  }

  const userFile = sources.userFile;
  if (userFile && existsSync(userFile)) {
    const machineConfig = result.config;
    const layer = applyLayer(merged, userFile, (value) => userLayerProblems(value, machineConfig, userFile));
    if (layer.problems.length) return { ...result, problems: layer.problems };
    result = { ...result, config: layer.config!, sources: [...result.sources, userFile] };
  }
  return result;
}

function applyLayer(
  below: Json,
  file: string,
  rules: (layer: Json) => ConfigProblem[],
): { merged?: Json; config?: HospitalConfig; problems: ConfigProblem[] } {
  const read = readConfigFile(file);
  if (!read.value) return { problems: [read.problem!] };
  const layer = resolveLayerPaths(read.value, file);
  const merged = mergeConfig(below, layer);
  const validated = validateConfig(merged, file);
  const problems = [...rules(layer), ...validated.problems];
  // One problem per key: a rule's message is more specific than the schema's.
  const unique = problems.filter((p, i) => problems.findIndex((q) => q.key === p.key) === i);
  return unique.length ? { problems: unique } : { merged, config: validated.config!, problems: [] };
}

/** Resolve a path from the configuration against the file that named it (already absolute after loading). */
export function resolveConfigPath(loaded: LoadedConfig, p: string): string {
  return isAbsolute(p) ? p : resolve(loaded.baseDir, p);
}
