import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The tests of the built app (out/main, out/preload, out/renderer) test what `npm run build` makes
 * from the sources as they are now: never a file left over from an older checkout. When the
 * output is missing or older than any of its inputs, the app is built as `npm run build` builds
 * it (electron-vite build, then the CLI: scripts/cli/build.mjs).
 */
export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** What electron-vite's build reads. */
const INPUT_DIRS = ['main', 'preload', 'common', 'renderer'];
const INPUT_FILES = [
  'electron.vite.config.ts',
  'scripts/cli/build.mjs',
  'package.json',
  'package-lock.json',
  'tsconfig.base.json',
  'tsconfig.node.json',
  'tsconfig.web.json',
  'node_modules/.package-lock.json',
];
export const APP_OUTPUTS = [
  'out/main/index.js',
  'out/preload/index.cjs',
  'out/renderer/index.html',
  'out/cli/index.js',
];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Why the app build must be (re)made, or null when out/ is up to date. */
export function appBuildStaleness(repo = REPO): string | null {
  const missing = APP_OUTPUTS.filter((f) => !existsSync(join(repo, f)));
  if (missing.length) return `missing ${missing.join(', ')}`;
  const built = Math.min(...APP_OUTPUTS.map((f) => statSync(join(repo, f)).mtimeMs));
  const inputs = [
    ...INPUT_DIRS.filter((d) => existsSync(join(repo, d))).map((d) => ({
      name: `${d}/`,
      t: newestMtime(join(repo, d)),
    })),
    ...INPUT_FILES.filter((f) => existsSync(join(repo, f))).map((f) => ({
      name: f,
      t: statSync(join(repo, f)).mtimeMs,
    })),
  ];
  const newer = inputs.filter((i) => i.t > built).map((i) => i.name);
  return newer.length ? `older than ${newer.join(', ')}` : null;
}

/** Builds the app (electron-vite build) unless out/ is up to date; throws with the build's output when it fails. */
export function ensureAppBuild(repo = REPO, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const why = appBuildStaleness(repo);
  if (!why) return;
  log(`out/ is ${why}: building the app (electron-vite build)`);
  const bin = join(
    dirname(createRequire(join(repo, 'package.json')).resolve('electron-vite/package.json')),
    'bin/electron-vite.js',
  );
  const run = spawnSync(process.execPath, [bin, 'build', '--logLevel', 'warn'], {
    cwd: repo,
    encoding: 'utf8',
    env: process.env,
  });
  if (run.status !== 0)
    throw new Error(`electron-vite build failed (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
  const cli = spawnSync(process.execPath, [join(repo, 'scripts/cli/build.mjs')], {
    cwd: repo,
    encoding: 'utf8',
    env: process.env,
  });
  if (cli.status !== 0) throw new Error(`the CLI build failed (exit ${cli.status}):\n${cli.stdout}\n${cli.stderr}`);
  const still = appBuildStaleness(repo);
  if (still) throw new Error(`electron-vite build succeeded but out/ is still ${still}`);
}
