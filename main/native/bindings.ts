import { join } from 'node:path';
import { WorkstationError } from '../../common/errors';

/**
 * Which compiled better-sqlite3 the process loads. `npm ci` compiles it for Node's ABI, which
 * the tests, the CLI and the browser harness use. Electron has an ABI of its own:
 *  - `npm start` rebuilds it for Electron into a directory of its own (.electron-native/<tag>,
 *    scripts/electron-native.ts) and the app loads that copy (better-sqlite3's `nativeBinding`);
 *  - an installed app loads node_modules' copy, which electron-builder rebuilt for the target.
 * serialport's binding is a Node-API addon (ABI-stable): the same file loads in Node and Electron.
 * Pure logic: main/index.ts passes the runtime in, main/native/sqlite.ts applies the choice.
 */
export interface NativeRuntime {
  /** process.versions.electron; absent in Node. */
  electronVersion?: string;
  /** app.isPackaged (an installed app). */
  packaged: boolean;
  /** app.getAppPath(): the checkout under `npm start`. */
  appPath: string;
  platform: NodeJS.Platform;
  arch: string;
  /** process.versions.modules: the ABI this process needs. */
  abi: string;
}

export const ELECTRON_NATIVE_DIR = '.electron-native';

export const electronNativeTag = (electronVersion: string, platform: string, arch: string): string =>
  `electron-${electronVersion}-${platform}-${arch}`;

/** Where `npm start` builds the Electron copies of the native modules (one directory per Electron version and target). */
export const electronNativeDir = (appPath: string, electronVersion: string, platform: string, arch: string): string =>
  join(appPath, ELECTRON_NATIVE_DIR, electronNativeTag(electronVersion, platform, arch));

export const sqliteBindingIn = (nativeDir: string): string =>
  join(nativeDir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');

export type BindingChoice = { kind: 'default' } | { kind: 'file'; path: string };

/** The runtime as the messages name it. */
export const runtimeName = (rt: Pick<NativeRuntime, 'electronVersion' | 'abi'>): string =>
  rt.electronVersion
    ? `Electron ${rt.electronVersion} (NODE_MODULE_VERSION ${rt.abi})`
    : `Node ${process.versions.node} (NODE_MODULE_VERSION ${rt.abi})`;

/** The command that fixes a missing or foreign binding in this runtime. */
export function fixCommand(rt: Pick<NativeRuntime, 'electronVersion' | 'packaged'>): string {
  if (!rt.electronVersion) return 'npm rebuild better-sqlite3';
  if (rt.packaged) return 'reinstall HCP Workstation (IT: rebuild the installer with npm run dist)';
  return 'npm run rebuild:electron (npm start runs it)';
}

export function chooseSqliteBinding(rt: NativeRuntime, exists: (path: string) => boolean): BindingChoice {
  if (!rt.electronVersion || rt.packaged) return { kind: 'default' };
  const path = sqliteBindingIn(electronNativeDir(rt.appPath, rt.electronVersion, rt.platform, rt.arch));
  if (!exists(path)) {
    throw new WorkstationError('NATIVE_MODULE_UNAVAILABLE', {
      module: 'better-sqlite3',
      runtime: runtimeName(rt),
      reason: `no build for this Electron at ${path}`,
      command: fixCommand(rt),
    });
  }
  return { kind: 'file', path };
}

const WRONG_ABI = /NODE_MODULE_VERSION (\d+)\.[\s\S]*?requires\s+NODE_MODULE_VERSION (\d+)/;
const NOT_LOADABLE =
  /Could not locate the bindings file|Cannot find module|ERR_DLOPEN_FAILED|invalid ELF header|not a valid Win32 application|wrong ELF class|mach-o|cannot open shared object|file too short|undefined symbol|slice is not valid mach-o/i;

/**
 * A native module that failed to load, as a clear error naming the fix; null when the error is
 * something else (e.g. the database file itself), which the caller handles as before.
 */
export function nativeLoadError(
  error: unknown,
  module: string,
  rt: Pick<NativeRuntime, 'electronVersion' | 'packaged' | 'abi'>,
): WorkstationError | null {
  if (!(error instanceof Error)) return null;
  const text = `${error.message} ${(error as { code?: string }).code ?? ''}`;
  const abi = WRONG_ABI.exec(text);
  let reason: string | null = null;
  if (abi) reason = `it was built for NODE_MODULE_VERSION ${abi[1]}, this runtime needs ${abi[2]}`;
  else if (NOT_LOADABLE.test(text))
    reason = `it is missing or not a build for this platform: ${error.message.split('\n')[0]!.slice(0, 200)}`;
  if (!reason) return null;
  return new WorkstationError(
    'NATIVE_MODULE_UNAVAILABLE',
    { module, runtime: runtimeName(rt), reason, command: fixCommand(rt) },
    { cause: error },
  );
}

/**
 * Is a file that was built for Electron really of Electron's ABI? It is tried in plain Node: a
 * true Electron build is refused there naming Electron's NODE_MODULE_VERSION. A file that loads
 * in Node was compiled against Node's headers (e.g. an npm `nodedir` setting pointing at
 * /usr/include/node) and would fail in the app. Returns the problem, or null when it is right.
 */
export function electronBuildProblem(
  probe: { loadedInNode: boolean; error: string },
  abis: { node: string; electron: string },
): string | null {
  if (abis.node === abis.electron) return null;
  if (probe.loadedInNode)
    return `it loads in Node (NODE_MODULE_VERSION ${abis.node}): it was compiled against Node's headers, not Electron's (is npm's nodedir set? npm config get nodedir)`;
  const m = WRONG_ABI.exec(probe.error);
  if (!m) return `it cannot be loaded at all: ${probe.error.split('\n')[0]!.slice(0, 200)}`;
  if (m[1] !== abis.electron) return `it was built for NODE_MODULE_VERSION ${m[1]}, Electron needs ${abis.electron}`;
  return null;
}
