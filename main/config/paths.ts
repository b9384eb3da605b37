import { basename, join, posix, win32 } from 'node:path';

export interface MachineConfigLocation {
  file: string;
  /**
   * True when HCP_CONFIG named the file. A file named on purpose must exist; a missing file
   * at the platform location means the app is not configured (main/config/startup.ts).
   */
  explicit: boolean;
  /** A packaged build was started with HCP_CONFIG: it was ignored (only the admin-owned machine file counts). */
  ignoredOverride?: string;
}

/**
 * Whether this process is the installed app (or its CLI entry): Electron's own rule for
 * `app.isPackaged`, an Electron binary not named "electron". Plain Node (tests, tools) is not.
 */
export function isPackagedBuild(
  electron: string | undefined = process.versions.electron,
  execPath: string = process.execPath,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (!electron) return false;
  const exe = (platform === 'win32' ? win32.basename(execPath) : basename(execPath)).toLowerCase();
  return exe !== (platform === 'win32' ? 'electron.exe' : 'electron');
}

/**
 * Where hospital IT puts the machine-wide configuration file. HCP_CONFIG overrides it in
 * development, training and tests only: a packaged build ignores it, so that a user who may not
 * write the admin-owned file cannot bring their own trust anchors or endpoints (issue 12 §5).
 */
export function machineConfigLocation(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  packaged: boolean = isPackagedBuild(),
): MachineConfigLocation {
  if (env.HCP_CONFIG && !packaged) return { file: env.HCP_CONFIG, explicit: true };
  const location = platformLocation(platform, env);
  return env.HCP_CONFIG ? { ...location, ignoredOverride: env.HCP_CONFIG } : location;
}

function platformLocation(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): MachineConfigLocation {
  switch (platform) {
    case 'win32':
      return {
        file: win32.join(env.ProgramData ?? 'C:\\ProgramData', 'HCP Workstation', 'config.json'),
        explicit: false,
      };
    case 'darwin':
      return { file: posix.join('/Library/Application Support', 'HCP Workstation', 'config.json'), explicit: false };
    default:
      return { file: posix.join('/etc', 'hcp-workstation', 'config.json'), explicit: false };
  }
}

/** The per-user file, in the app's data directory (Electron: app.getPath('userData')). */
export function userConfigPath(dataDir: string): string {
  return join(dataDir, 'user-config.json');
}
