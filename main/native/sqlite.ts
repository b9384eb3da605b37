import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { chooseSqliteBinding, nativeLoadError, type BindingChoice, type NativeRuntime } from './bindings';

/**
 * Every better-sqlite3 database of the app is opened here, so that the binding for this runtime
 * (main/native/bindings.ts) is used and a binding that cannot load is a clear error.
 */
let runtime: NativeRuntime = {
  packaged: false,
  appPath: process.cwd(),
  platform: process.platform,
  arch: process.arch,
  abi: process.versions.modules,
  electronVersion: process.versions.electron,
};
let choice: BindingChoice | null = null;

/** Electron's main sets this once, before any database opens (main/index.ts). */
export function configureNativeRuntime(rt: NativeRuntime): BindingChoice {
  runtime = rt;
  choice = chooseSqliteBinding(rt, existsSync);
  return choice;
}

export function openSqlite(file: string, options: Database.Options = {}): Database.Database {
  try {
    choice ??= chooseSqliteBinding(runtime, existsSync);
    return new Database(file, choice.kind === 'file' ? { ...options, nativeBinding: choice.path } : options);
  } catch (e) {
    throw nativeLoadError(e, 'better-sqlite3', runtime) ?? e;
  }
}
