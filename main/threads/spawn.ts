import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts one of main's worker threads (main/fhir/view-worker.ts, main/pki/kdf-worker.ts) from
 * source or from the build, whichever is running:
 *
 * - From source (tsx, vitest): the .ts worker needs a TypeScript loader. On Node 20 a worker does
 *   not inherit the parent's module hooks and ignores --import in execArgv, so the worker first
 *   registers tsx's ESM hooks itself, then imports the worker module.
 * - Built (out/main, out/cli): the worker is its own entry (`builtFile`, e.g. fhir-view-worker.js)
 *   beside the entry bundle, i.e. beside this code or one level up when this code sits in a shared
 *   chunk (out/cli/chunks/).
 *
 * `source` is the worker module's path under main/ (e.g. 'pki/kdf-worker.ts'); only used when
 * running from source.
 */
export function spawnWorker(source: string, builtFile: string): Worker {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsxApi = pathToFileURL(
      join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs'),
    ).href;
    const entry = pathToFileURL(join(dirname(here), '..', source)).href;
    return new Worker(
      `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true },
    );
  }
  const dir = dirname(here);
  const file = [join(dir, builtFile), join(dir, '..', builtFile)].find((f) => existsSync(f)) ?? join(dir, builtFile);
  return new Worker(file);
}
