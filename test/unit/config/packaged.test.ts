/**
 * A packaged build ignores HCP_CONFIG (issue 12 §5): only the admin-owned machine file counts, so a
 * user cannot bring their own trust anchors. Development, training and tests keep the override.
 */
import { describe, expect, it } from 'vitest';
import { isPackagedBuild, machineConfigLocation } from '../../../main/config/paths';

describe('HCP_CONFIG in packaged builds', () => {
  const env = { HCP_CONFIG: '/home/user/my-anchors-config.json' };

  it('is ignored by the installed app, which says it ignored it', () => {
    expect(machineConfigLocation('linux', env, true)).toEqual({
      file: '/etc/hcp-workstation/config.json',
      explicit: false,
      ignoredOverride: env.HCP_CONFIG,
    });
    expect(machineConfigLocation('win32', { ...env, ProgramData: 'C:\\ProgramData' }, true)).toMatchObject({
      file: 'C:\\ProgramData\\HCP Workstation\\config.json',
      explicit: false,
    });
    expect(machineConfigLocation('darwin', env, true).file).toBe(
      '/Library/Application Support/HCP Workstation/config.json',
    );
  });

  it('still names the file in development, training and tests', () => {
    expect(machineConfigLocation('linux', env, false)).toEqual({ file: env.HCP_CONFIG, explicit: true });
    expect(machineConfigLocation('linux', {}, true)).toEqual({
      file: '/etc/hcp-workstation/config.json',
      explicit: false,
    });
  });

  it('knows a packaged build the way Electron does (an Electron binary not named electron)', () => {
    expect(isPackagedBuild(undefined, '/usr/bin/node', 'linux')).toBe(false);
    expect(isPackagedBuild('38.0.0', '/repo/node_modules/electron/dist/electron', 'linux')).toBe(false);
    expect(isPackagedBuild('38.0.0', 'C:\\repo\\node_modules\\electron\\dist\\electron.exe', 'win32')).toBe(false);
    expect(isPackagedBuild('38.0.0', '/opt/HCP Workstation/hcp-workstation', 'linux')).toBe(true);
    expect(isPackagedBuild('38.0.0', 'C:\\Program Files\\HCP Workstation\\HCP Workstation.exe', 'win32')).toBe(true);
    // This test process is plain Node.
    expect(isPackagedBuild()).toBe(false);
  });
});
