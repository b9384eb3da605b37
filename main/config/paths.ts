import { join } from 'node:path';

/** Where hospital IT puts the machine-wide configuration file. HCP_CONFIG overrides it. */
export function machineConfigPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (env.HCP_CONFIG) return env.HCP_CONFIG;
  switch (platform) {
    case 'win32':
      return join(env.ProgramData ?? 'C:\\ProgramData', 'HCP Workstation', 'config.json');
    case 'darwin':
      return '/Library/Application Support/HCP Workstation/config.json';
    default:
      return '/etc/hcp-workstation/config.json';
  }
}
