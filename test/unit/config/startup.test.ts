/**
 * No fail-open (main/config/startup.ts): the app without a machine configuration is "not
 * configured" (per-OS path, the config check command) and refuses everything but app.info;
 * training mode only when the configuration says so (what npm start writes and names with
 * HCP_CONFIG). Real configuration files through the real loader.
 */
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../common/ipc/contract';
import { loadConfig } from '../../../main/config/index';
import { machineConfigLocation } from '../../../main/config/paths';
import { configCheckCommand, decideStartup } from '../../../main/config/startup';
import { createDispatcher, type Handlers } from '../../../main/ipc/dispatch';
import { gateForStartup } from '../../../main/ipc/handlers/index';
import { silentLogger } from '../../../main/log';
import { DEFAULTS_FILE, productionMachine, scratch } from './helpers';

const ELECTRON = '45.0.0';

/** Loads the configuration the way main/index.ts does for this platform and environment. */
function loadAsMain(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, userFile: string | null = null) {
  const machine = machineConfigLocation(platform, env);
  return loadConfig({
    defaultsFile: DEFAULTS_FILE,
    machineFile: machine.file,
    machineFileRequired: machine.explicit,
    userFile,
  });
}

describe('decideStartup', () => {
  it.each([
    ['linux', {}, '/etc/hcp-workstation/config.json'],
    ['darwin', {}, '/Library/Application Support/HCP Workstation/config.json'],
    ['win32', { ProgramData: 'D:\\PD' }, 'D:\\PD\\HCP Workstation\\config.json'],
  ] as const)(
    'the app on %s with no machine file: not configured, naming %s and the check command',
    (platform, env, file) => {
      const loaded = loadAsMain(platform, env);
      expect(loaded.problems).toEqual([]);
      // The built-in defaults say "training": that must not be enough to run.
      expect(loaded.config.mode).toBe('training');
      const decision = decideStartup({ loaded, platform, env, electron: ELECTRON });
      expect(decision).toEqual({
        kind: 'not-configured',
        notConfigured: { machineFile: file, platform, checkCommand: configCheckCommand(platform, file) },
      });
      if (decision.kind !== 'not-configured') throw new Error('unreachable');
      expect(decision.notConfigured.checkCommand).toContain(`config check "${file}"`);
    },
  );

  it('a user file alone does not configure the machine', () => {
    const s = scratch();
    const user = s.write('user-config.json', { ui: { defaultLanguage: 'el' } });
    const loaded = loadAsMain('linux', {}, user);
    expect(loaded.problems).toEqual([]);
    expect(loaded.sources).toContain(user);
    expect(decideStartup({ loaded, platform: 'linux', env: {}, electron: ELECTRON }).kind).toBe('not-configured');
  });

  it('npm start: HCP_CONFIG names the training configuration, which says "mode": "training" -> training', () => {
    const s = scratch();
    const file = s.write('config.json', {
      mode: 'training',
      hospital: { name: 'Training Hospital', workstationId: 'training-ws-01' },
    });
    const env = { HCP_CONFIG: file };
    const loaded = loadAsMain('linux', env);
    expect(loaded.problems).toEqual([]);
    expect(decideStartup({ loaded, platform: 'linux', env, electron: ELECTRON })).toEqual({
      kind: 'configured',
      mode: 'training',
      machineFile: file,
    });
  });

  it('a valid production machine file -> production', () => {
    const s = scratch();
    const file = s.write('config.json', productionMachine(s));
    const env = { HCP_CONFIG: file };
    const loaded = loadAsMain('linux', env);
    expect(loaded.problems).toEqual([]);
    expect(decideStartup({ loaded, platform: 'linux', env, electron: ELECTRON })).toEqual({
      kind: 'configured',
      mode: 'production',
      machineFile: file,
    });
  });

  it('a machine file with problems, or HCP_CONFIG naming a missing file -> the configuration-error screen, never training', () => {
    const s = scratch();
    const bad = s.write('config.json', { hri: { url: 'ftp://wrong' } });
    for (const file of [bad, `${s.dir}/missing.json`]) {
      const env = { HCP_CONFIG: file };
      const loaded = loadAsMain('linux', env);
      expect(loaded.problems.length).toBeGreaterThan(0);
      expect(decideStartup({ loaded, platform: 'linux', env, electron: ELECTRON })).toEqual({ kind: 'config-error' });
    }
  });

  it('plain-Node tools (harness, tests) on the built-in defaults keep training mode', () => {
    const loaded = loadAsMain('linux', {});
    expect(decideStartup({ loaded, platform: 'linux', env: {}, electron: undefined })).toEqual({
      kind: 'built-in-defaults',
    });
  });
});

describe('gateForStartup', () => {
  const handlers = Object.fromEntries(CHANNELS.map((c) => [c, () => `answer of ${c}`])) as unknown as Handlers;

  it('not configured: app.info answers, every other channel is refused with CONFIG_NOT_CONFIGURED naming the file', async () => {
    const loaded = loadAsMain('linux', {});
    const decision = decideStartup({ loaded, platform: 'linux', env: {}, electron: ELECTRON });
    const dispatch = createDispatcher(gateForStartup(handlers, decision), silentLogger);
    expect(await dispatch('app.info', {})).toEqual({ ok: true, value: 'answer of app.info' });
    const signIn = await dispatch('session.signIn', { fileName: 'c.p12', credentialBase64: 'AAAA', passphrase: 'x' });
    expect(signIn).toEqual({
      ok: false,
      error: { code: 'CONFIG_NOT_CONFIGURED', details: { file: '/etc/hcp-workstation/config.json' } },
    });
    for (const c of CHANNELS.filter((x) => x !== 'app.info')) {
      expect(() => (gateForStartup(handlers, decision)[c] as () => unknown)(), c).toThrow(/CONFIG_NOT_CONFIGURED/);
    }
  });

  it('configured, config-error and built-in defaults: the handlers as they are', () => {
    for (const decision of [
      { kind: 'configured', mode: 'training', machineFile: '/x' },
      { kind: 'config-error' },
      { kind: 'built-in-defaults' },
    ] as const) {
      expect(gateForStartup(handlers, decision)).toBe(handlers);
    }
  });
});
