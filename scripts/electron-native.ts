/**
 * Builds the native modules for Electron's ABI into a directory of their own,
 * .electron-native/electron-<version>-<platform>-<arch>/, leaving node_modules' Node build for
 * the tests, the CLI and the harness. The app (run from the checkout) loads that copy through
 * better-sqlite3's `nativeBinding` (main/native/bindings.ts). `npm start` runs this when the
 * Electron binary is present; `npm run rebuild:electron` runs it by hand. Installers are rebuilt
 * per target by electron-builder itself (npmRebuild in electron-builder.yml).
 *
 * serialport's binding (@serialport/bindings-cpp) is a Node-API addon: ABI-stable, the same file
 * loads in Node and in Electron, so it needs no copy of its own.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { electronBuildProblem, electronNativeDir, sqliteBindingIn } from '../main/native/bindings';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(join(REPO, 'package.json'));

export interface ElectronNativeResult {
  dir: string;
  binding: string;
  rebuilt: boolean;
}

const versionOf = (pkg: string): string =>
  (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;

export async function ensureElectronNative(
  opts: {
    electronVersion?: string;
    platform?: NodeJS.Platform;
    arch?: string;
    force?: boolean;
    say?: (line: string) => void;
  } = {},
): Promise<ElectronNativeResult> {
  const electronVersion = opts.electronVersion ?? versionOf('electron');
  const platform = opts.platform ?? process.platform;
  const arch = opts.arch ?? process.arch;
  const say = opts.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const dir = electronNativeDir(REPO, electronVersion, platform, arch);
  const binding = sqliteBindingIn(dir);
  const stamp = join(dir, 'built-from.json');
  const wanted = JSON.stringify({
    electron: electronVersion,
    'better-sqlite3': versionOf('better-sqlite3'),
    platform,
    arch,
  });
  const sameTarget = platform === process.platform && arch === process.arch;
  if (
    !opts.force &&
    existsSync(binding) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === wanted &&
    !(sameTarget && checkElectronAbi(binding, electronVersion))
  ) {
    return { dir, binding, rebuilt: false };
  }

  say(`building better-sqlite3 for Electron ${electronVersion} (${platform}-${arch}) into ${dir} ...`);
  rmSync(dir, { recursive: true, force: true });
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  const target = join(dir, 'node_modules', 'better-sqlite3');
  mkdirSync(target, { recursive: true });
  // The sources and its package.json; not node_modules' Node build.
  cpSync(source, target, { recursive: true, filter: (p) => !p.startsWith(join(source, 'build')) });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      { name: 'hcp-electron-native', private: true, dependencies: { 'better-sqlite3': versionOf('better-sqlite3') } },
      null,
      2,
    ),
  );

  // An npm `nodedir` (e.g. /usr for Debian's Node headers) would make node-gyp compile against
  // Node's headers instead of Electron's: the result would load in Node and fail in the app.
  for (const k of Object.keys(process.env)) if (/^npm_config_nodedir$/i.test(k)) delete process.env[k];
  const { rebuild } = (await import('@electron/rebuild')) as typeof import('@electron/rebuild');
  await rebuild({
    buildPath: dir,
    electronVersion,
    platform,
    arch,
    onlyModules: ['better-sqlite3'],
    force: true,
    buildFromSource: true,
    mode: 'sequential',
  });
  if (!existsSync(binding)) throw new Error(`@electron/rebuild finished but ${binding} is missing`);
  if (sameTarget) {
    const problem = checkElectronAbi(binding, electronVersion);
    if (problem) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`the better-sqlite3 built for Electron ${electronVersion} is wrong: ${problem}`);
    }
  }
  writeFileSync(stamp, wanted);
  return { dir, binding, rebuilt: true };
}

/** Loads the file in this Node to see which ABI it was built for (main/native/bindings.ts decides). */
export function checkElectronAbi(binding: string, electronVersion: string): string | null {
  const { getAbi } = require('node-abi') as { getAbi(version: string, runtime: 'electron' | 'node'): string };
  const run = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(binding)})`], { encoding: 'utf8' });
  return electronBuildProblem(
    { loadedInNode: run.status === 0, error: run.stderr },
    { node: process.versions.modules, electron: getAbi(electronVersion, 'electron') },
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureElectronNative({ force: process.argv.includes('--force') }).then(
    (r) => process.stdout.write(`${r.rebuilt ? 'built' : 'up to date'}: ${r.binding}\n`),
    (e: unknown) => {
      process.stderr.write(
        `rebuild:electron: ${e instanceof Error ? e.message : String(e)}\n(needs python3, make and a C++ compiler, and Electron's headers from electronjs.org or ~/.electron-gyp)\n`,
      );
      process.exit(1);
    },
  );
}
