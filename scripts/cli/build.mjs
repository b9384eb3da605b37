// The IT CLI, compiled: main/cli/index.ts -> out/cli/index.js (ESM, with chunks loaded on demand
// in out/cli/chunks, and the emergency-view worker thread out/cli/fhir-view-worker.js; node_modules stay
// external, so Node loads the same better-sqlite3 build as the tests). `npm run build` makes it;
// `npm run -s cli` (scripts/cli/run.mjs) makes it first when it is missing or older than a source.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const CLI_OUT = join(REPO, 'out/cli/index.js');
/** The emergency-view worker thread (main/fhir/off-thread.ts) beside it. */
export const CLI_VIEW_WORKER = join(REPO, 'out/cli/fhir-view-worker.js');
/** The PKCS#12 KDF worker thread (main/pki/kdf-pool.ts) beside it. */
export const CLI_KDF_WORKER = join(REPO, 'out/cli/pkcs12-kdf-worker.js');
const INPUTS = ['main', 'common'].map((d) => join(REPO, d));
const INPUT_FILES = ['package.json', 'scripts/cli/build.mjs'].map((f) => join(REPO, f));

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** Why out/cli must be rebuilt, or null. */
export function cliStaleness() {
  if (!existsSync(CLI_OUT) || !existsSync(CLI_VIEW_WORKER) || !existsSync(CLI_KDF_WORKER)) return 'missing';
  const built = statSync(CLI_OUT).mtimeMs;
  const newer = [
    ...INPUTS.filter((d) => newest(d) > built),
    ...INPUT_FILES.filter((f) => existsSync(f) && statSync(f).mtimeMs > built),
  ];
  return newer.length ? `older than ${newer.map((p) => p.slice(REPO.length + 1)).join(', ')}` : null;
}

export async function buildCli() {
  const { build } = await import('esbuild');
  // Chunks are loaded on demand (a record open loads the workstation; help does not).
  rmSync(join(REPO, 'out/cli'), { recursive: true, force: true });
  await build({
    entryPoints: {
      index: join(REPO, 'main/cli/index.ts'),
      'fhir-view-worker': join(REPO, 'main/fhir/view-worker.ts'),
      'pkcs12-kdf-worker': join(REPO, 'main/pki/kdf-worker.ts'),
    },
    outdir: join(REPO, 'out/cli'),
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    packages: 'external',
    sourcemap: false,
    logLevel: 'warning',
    legalComments: 'none',
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCli();
}
