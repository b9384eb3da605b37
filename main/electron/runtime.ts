import { app } from 'electron';
import { join } from 'node:path';
import { configureNativeRuntime } from '../native';

/**
 * This Electron process as the plain-Node services need to know it, for the app and the CLI mode
 * alike: which better-sqlite3 binary it loads (main/native/bindings.ts), where its files are.
 */
export function configureElectronNative(): ReturnType<typeof configureNativeRuntime> {
  return configureNativeRuntime({
    electronVersion: process.versions.electron,
    packaged: app.isPackaged,
    appPath: app.getAppPath(),
    platform: process.platform,
    arch: process.arch,
    abi: process.versions.modules,
  });
}

/** The built-in defaults: <resources>/config when installed (electron-builder extraResources), resources/config in a checkout. */
export function defaultsFile(): string {
  const resources = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
  return join(resources, 'config', 'defaults.json');
}
