import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { HospitalConfig } from '../../common/config/schema';
import type { ConfigProblem } from '../../common/ipc/channels/app';

export interface ConfigSources {
  /** resources/config/defaults.json */
  defaultsFile: string;
  /** The machine-wide hospital file (absent: training mode on defaults). */
  machineFile?: string | null;
}

export interface LoadedConfig {
  config: HospitalConfig;
  /** Empty when valid. When not empty, `config` is the defaults and the UI shows the problems. */
  problems: ConfigProblem[];
  /** Files that were read, lowest precedence first. */
  sources: string[];
  /** Relative file paths in the configuration (trust anchors, CRLs) resolve against this. */
  baseDir: string;
}

type Json = Record<string, unknown>;

function readJson(file: string): { value?: Json; problem?: ConfigProblem } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    return { problem: { source: file, key: '(file)', message: `cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}` } };
  }
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { problem: { source: file, key: '(file)', message: 'must be a JSON object' } };
    return { value: value as Json };
  } catch (e) {
    return { problem: { source: file, key: '(file)', message: `is not valid JSON: ${(e as Error).message}` } };
  }
}

/** Objects merge key by key; arrays and scalars replace. */
export function mergeConfig(base: Json, override: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b) ? mergeConfig(b as Json, v as Json) : v;
  }
  return out;
}

export function validateConfig(value: unknown, source: string): { config?: HospitalConfig; problems: ConfigProblem[] } {
  const parsed = HospitalConfig.safeParse(value);
  if (parsed.success) return { config: parsed.data, problems: [] };
  return {
    problems: parsed.error.issues.map((i) => ({
      source,
      key: i.path.length ? i.path.join('.') : (i.code === 'unrecognized_keys' ? (i as { keys?: string[] }).keys?.join(', ') ?? '(root)' : '(root)'),
      message: i.message,
    })),
  };
}

export function loadConfig(sources: ConfigSources): LoadedConfig {
  const defaults = readJson(sources.defaultsFile);
  if (!defaults.value) throw new Error(`built-in defaults unreadable: ${defaults.problem?.message}`);
  const base = validateConfig(defaults.value, sources.defaultsFile);
  if (!base.config) throw new Error(`built-in defaults invalid: ${JSON.stringify(base.problems)}`);
  const fallback: LoadedConfig = { config: base.config, problems: [], sources: [sources.defaultsFile], baseDir: dirname(sources.defaultsFile) };

  const machine = sources.machineFile;
  if (!machine || !existsSync(machine)) return fallback;
  const read = readJson(machine);
  if (!read.value) return { ...fallback, problems: [read.problem!] };
  const merged = validateConfig(mergeConfig(defaults.value, read.value), machine);
  if (!merged.config) return { ...fallback, problems: merged.problems };
  return { config: merged.config, problems: [], sources: [sources.defaultsFile, machine], baseDir: dirname(machine) };
}

/** Resolve a path from the configuration against the file that named it. */
export function resolveConfigPath(loaded: LoadedConfig, p: string): string {
  return isAbsolute(p) ? p : resolve(loaded.baseDir, p);
}
