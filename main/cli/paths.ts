import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the CLI finds the app's files, wherever it runs: from the sources (tsx), compiled
 * (out/cli/index.js), or inside the app (`hcp-workstation --cli`, where main/electron/cli-mode.ts
 * configures the installed layout: <resources>/config, the app's version).
 */
export interface CliPaths {
  defaultsFile: string;
  version: string;
}

let configured: CliPaths | null = null;

export function configureCliPaths(paths: CliPaths): void {
  configured = paths;
}

/** The checkout: the nearest directory above this file whose package.json is the app's. */
function checkout(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hcp-workstation')
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the HCP Workstation checkout (package.json) above the CLI');
    dir = up;
  }
}

export function cliPaths(): CliPaths {
  if (!configured) {
    const repo = checkout();
    configured = {
      defaultsFile: join(repo, 'resources', 'config', 'defaults.json'),
      version: (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version,
    };
  }
  return configured;
}
