import { join, posix, win32 } from 'node:path';

export interface MachineConfigLocation {
  file: string;
  /**
   * True when HCP_CONFIG named the file. A file named on purpose must exist; a missing file
   * at the platform location means the app is not configured (main/config/startup.ts).
   */
  explicit: boolean;
}

/** Where hospital IT puts the machine-wide configuration file. HCP_CONFIG overrides it. */
export function machineConfigLocation(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): MachineConfigLocation {
  if (env.HCP_CONFIG) return { file: env.HCP_CONFIG, explicit: true };
  switch (platform) {
    case 'win32':
      return { file: win32.join(env.ProgramData ?? 'C:\\ProgramData', 'HCP Workstation', 'config.json'), explicit: false };
    case 'darwin':
      return { file: posix.join('/Library/Application Support', 'HCP Workstation', 'config.json'), explicit: false };
    default:
      return { file: posix.join('/etc', 'hcp-workstation', 'config.json'), explicit: false };
  }
}

/** The machine-wide configuration file's path (see machineConfigLocation). */
export function machineConfigPath(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  return machineConfigLocation(platform, env).file;
}

/** The per-user file, in the app's data directory (Electron: app.getPath('userData')). */
export function userConfigPath(dataDir: string): string {
  return join(dataDir, 'user-config.json');
}
