import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CONFIG_PATH_KEYS, USER_CONFIGURABLE_KEYS, type HospitalConfig } from '../../common/config/schema';
import type { ConfigProblem } from '../../common/ipc/channels/app';

export type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A configuration file larger than this, or nested deeper, is refused (no real configuration comes close). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_CONFIG_DEPTH = 32;

/** How deeply a parsed JSON value nests, counted without recursion (a hostile file cannot overflow the stack). */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Json))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Read one configuration file as a JSON object; every failure is a problem naming the file. */
export function readConfigFile(file: string): { value?: Json; problem?: ConfigProblem } {
  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES)
      return {
        problem: {
          source: file,
          key: '(file)',
          message: `is larger than ${MAX_CONFIG_BYTES} bytes: not a configuration file`,
        },
      };
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    const why =
      code === 'ENOENT'
        ? 'file not found'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : code;
    return { problem: { source: file, key: '(file)', message: `cannot be read: ${why}` } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: { source: file, key: '(file)', message: `is not valid JSON: ${(e as Error).message}` } };
  }
  if (!isObject(value)) return { problem: { source: file, key: '(file)', message: 'must be a JSON object ({ ... })' } };
  if (jsonDepthExceeds(value, MAX_CONFIG_DEPTH))
    return { problem: { source: file, key: '(file)', message: `is nested more than ${MAX_CONFIG_DEPTH} levels deep` } };
  // "$schema" lets an editor validate the file; it is not configuration.
  const rest: Json = { ...value };
  delete rest.$schema;
  return { value: rest };
}

/**
 * Objects merge key by key; arrays and scalars replace. An object whose "kind" differs from the
 * base's replaces it whole, so that switching the credential provider does not inherit the
 * other provider's keys.
 */
export function mergeConfig(base: Json, override: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = out[k];
    const sameKind = !isObject(v) || !isObject(b) || !('kind' in v) || v.kind === b.kind;
    out[k] = isObject(v) && isObject(b) && sameKind ? mergeConfig(b, v) : v;
  }
  return out;
}

function pathArray(layer: Json, dotted: string): { parent: Json; key: string; list: unknown[] } | undefined {
  const parts = dotted.split('.');
  let node: unknown = layer;
  for (const p of parts.slice(0, -1)) node = isObject(node) ? node[p] : undefined;
  const key = parts[parts.length - 1]!;
  if (!isObject(node) || !Array.isArray(node[key])) return undefined;
  return { parent: node, key, list: node[key] as unknown[] };
}

/** Make the file paths a layer names absolute, relative to the directory of the file that named them. */
export function resolveLayerPaths(layer: Json, file: string): Json {
  const out = structuredClone(layer);
  for (const dotted of CONFIG_PATH_KEYS) {
    const found = pathArray(out, dotted);
    if (!found) continue;
    found.parent[found.key] = found.list.map((p) =>
      typeof p === 'string' && p !== '' && !isAbsolute(p) ? resolve(dirname(file), p) : p,
    );
  }
  return out;
}

/** Every file a layer names must exist and be a file, so a typo shows at start, not at the first scan. */
export function referencedFileProblems(layer: Json, source: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const dotted of CONFIG_PATH_KEYS) {
    const found = pathArray(layer, dotted);
    found?.list.forEach((p, i) => {
      if (typeof p !== 'string' || p === '') return;
      let isFile = false;
      try {
        isFile = statSync(p).isFile();
      } catch {
        problems.push({ source, key: `${dotted}.${i}`, message: `file not found: ${p}` });
        return;
      }
      if (!isFile) problems.push({ source, key: `${dotted}.${i}`, message: `is not a file: ${p}` });
    });
  }
  return problems;
}

function leafKeys(value: Json, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    return isObject(v) ? leafKeys(v, key) : [key];
  });
}

function numberAt(layer: Json, dotted: string): number | undefined {
  let v: unknown = layer;
  for (const p of dotted.split('.')) v = isObject(v) ? v[p] : undefined;
  return typeof v === 'number' ? v : undefined;
}

/**
 * The per-user file may only set USER_CONFIGURABLE_KEYS, and may only make the workstation
 * stricter: a shorter idle lock (when the machine allows it) and a shorter cache retention.
 * Types and ranges are left to the schema, which validates the merged result.
 */
export function userLayerProblems(user: Json, machine: HospitalConfig, source: string): ConfigProblem[] {
  const allowed: readonly string[] = USER_CONFIGURABLE_KEYS;
  const problems: ConfigProblem[] = [];
  for (const key of leafKeys(user)) {
    if (!allowed.includes(key))
      problems.push({
        source,
        key,
        message: `may not be set in the user file (only ${USER_CONFIGURABLE_KEYS.join(', ')})`,
      });
  }
  const idle = numberAt(user, 'session.idleLockMinutes');
  if (idle !== undefined) {
    if (!machine.session.userMayShortenIdleLock) {
      problems.push({
        source,
        key: 'session.idleLockMinutes',
        message: 'may not be changed on this workstation (session.userMayShortenIdleLock is false)',
      });
    } else if (idle > machine.session.idleLockMinutes) {
      problems.push({
        source,
        key: 'session.idleLockMinutes',
        message: `may only be shorter than the workstation's ${machine.session.idleLockMinutes} minutes (found ${idle})`,
      });
    }
  }
  const retention = numberAt(user, 'cache.retentionHours');
  if (retention !== undefined && retention > machine.cache.retentionHours) {
    problems.push({
      source,
      key: 'cache.retentionHours',
      message: `may only be shorter than the workstation's ${machine.cache.retentionHours} hours (found ${retention})`,
    });
  }
  return problems;
}
