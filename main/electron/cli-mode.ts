import { app } from 'electron';
import { configureElectronNative, defaultsFile } from './runtime';

/** Runs the IT CLI inside the app (see main/shell/cli-args.ts) and exits with its status. */
export function runCliMode(args: string[]): void {
  app.dock?.hide();
  const exit = (code: number) => {
    // Let what was printed reach a pipe before the process ends.
    process.stdout.write('', () => process.stderr.write('', () => app.exit(code)));
  };
  (async () => {
    configureElectronNative();
    // The CLI is loaded only in CLI mode (and its commands with it): a dynamic import of its index.
    const { configureCliPaths, runCli } = await import('../cli');
    // The installed layout, as main/index.ts reads it.
    configureCliPaths({ defaultsFile: defaultsFile(), version: app.getVersion() });
    return runCli(args);
  })().then(exit, (e: unknown) => {
    process.stderr.write(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    exit(3);
  });
}
