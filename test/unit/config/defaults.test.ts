import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HospitalConfig } from '../../../common/config/schema';
import { loadConfig } from '../../../main/config/index';
import { machineConfigLocation, userConfigPath } from '../../../main/config/paths';
import { DEFAULTS_FILE, REPO, readDefaults, scratch } from './helpers';

describe('built-in defaults', () => {
  it('are a complete, valid configuration in training mode', () => {
    const parsed = HospitalConfig.safeParse(readDefaults());
    expect(parsed.success).toBe(true);
    expect(parsed.data?.mode).toBe('training');
    expect(parsed.data?.cloud.credentials.kind).toBe('static');
  });

  it('load alone when there is no machine file: training mode, no problems', () => {
    const s = scratch();
    const loaded = loadConfig({
      defaultsFile: DEFAULTS_FILE,
      machineFile: join(s.dir, 'absent.json'),
      userFile: join(s.dir, 'absent-user.json'),
    });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.mode).toBe('training');
    expect(loaded.sources).toEqual([DEFAULTS_FILE]);
    expect(loaded.baseDir).toBe(join(REPO, 'resources/config'));
  });

  it('resolve their relative trust anchor against resources/config', () => {
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: null });
    expect(loaded.config.pki.trustAnchors).toEqual([join(REPO, 'resources/config/training/ca/root.pem')]);
  });

  it('throw when the built-in defaults are broken (a build defect, never a hospital file)', () => {
    const s = scratch();
    expect(() => loadConfig({ defaultsFile: s.write('defaults.json', '{ nope') })).toThrow(
      /built-in defaults unreadable/,
    );
    expect(() => loadConfig({ defaultsFile: s.write('defaults2.json', { mode: 'training' }) })).toThrow(
      /built-in defaults invalid: hospital: is required/,
    );
  });
});

describe('configuration file locations', () => {
  it('machine file: ProgramData on Windows, /Library on macOS, /etc on Linux', () => {
    expect(machineConfigLocation('win32', { ProgramData: 'D:\\ProgramData' }).file).toBe(
      'D:\\ProgramData\\HCP Workstation\\config.json',
    );
    expect(machineConfigLocation('win32', {}).file).toBe('C:\\ProgramData\\HCP Workstation\\config.json');
    expect(machineConfigLocation('darwin', {}).file).toBe('/Library/Application Support/HCP Workstation/config.json');
    expect(machineConfigLocation('linux', {}).file).toBe('/etc/hcp-workstation/config.json');
    expect(machineConfigLocation('linux', {}).explicit).toBe(false);
  });

  it('HCP_CONFIG overrides the machine file on every platform and makes it required', () => {
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      expect(machineConfigLocation(platform, { HCP_CONFIG: '/srv/hcp.json' })).toEqual({
        file: '/srv/hcp.json',
        explicit: true,
      });
    }
  });

  it('user file lives in the app data directory', () => {
    expect(userConfigPath('/home/u/.config/HCP Workstation')).toBe(
      join('/home/u/.config/HCP Workstation', 'user-config.json'),
    );
  });
});
