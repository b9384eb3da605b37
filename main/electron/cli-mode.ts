import { app } from 'electron';
import { join } from 'node:path';
import { configureNativeRuntime } from '../native';

/** Runs the IT CLI inside the app (see main/shell/cli-args.ts) and exits with its status. */
export function runCliMode(args: string[]): void {
  app.dock?.hide();
  const exit = (code: number) => {
    // Let what was printed reach a pipe before the process ends.
    process.stdout.write('', () => process.stderr.write('', () => app.exit(code)));
  };
  (async () => {
    configureNativeRuntime({
      electronVersion: process.versions.electron,
      packaged: app.isPackaged,
      appPath: app.getAppPath(),
      platform: process.platform,
      arch: process.arch,
      abi: process.versions.modules,
    });
    // The installed layout: the defaults at <resources>/config (electron-builder extraResources), as main/index.ts reads them.
    const resources = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
    // The CLI is loaded only in CLI mode (and its commands with it): a dynamic import of its index.
    const { configureCliPaths, runCli } = await import('../cli');
    configureCliPaths({ defaultsFile: join(resources, 'config', 'defaults.json'), version: app.getVersion() });
    return runCli(args);
  })().then(exit, (e: unknown) => {
    process.stderr.write(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    exit(3);
  });
}
