/**
 * Which IPS bundles to turn into patients: a directory (every *.json in it), a file, or a simple
 * glob whose wildcards (`*`, `?`) are in the last path segment only, e.g. `samples/CY_*.json`.
 * Samples are always named explicitly (tests, the simulator's --samples): by default the
 * simulator seeds the generated training patients (./generate.ts).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** Expands one argument (directory, file or last-segment glob) to sorted absolute file paths. */
export function expandSamples(spec: string): string[] {
  const path = resolve(spec);
  if (existsSync(path) && statSync(path).isDirectory()) {
    return readdirSync(path)
      .filter((f) => f.toLowerCase().endsWith('.json'))
      .sort()
      .map((f) => join(path, f));
  }
  if (/[*?]/.test(basename(path))) {
    const dir = dirname(path);
    if (!existsSync(dir)) return [];
    const re = globToRegExp(basename(path));
    return readdirSync(dir)
      .filter((f) => re.test(f))
      .sort()
      .map((f) => join(dir, f));
  }
  return [path];
}

/** A file-name-safe, unique name for each sample ("cy-andreas-ioannou-01"). */
export function patientNames(files: string[]): string[] {
  const used = new Map<string, number>();
  return files.map((file) => {
    const base =
      basename(file)
        .replace(/\.json$/i, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 60) || 'patient';
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    return n === 1 ? base : `${base}-${n}`;
  });
}
