import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, mergeConfig, resolveConfigPath } from '../../../main/config/index';
import { DEFAULTS_FILE, productionMachine, scratch, withKey } from './helpers';

describe('defaults < machine file', () => {
  it('machine keys override, objects merge key by key, arrays replace', () => {
    const s = scratch();
    const machine = s.write('etc/config.json', productionMachine(s));
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: machine });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.mode).toBe('production');
    expect(loaded.config.hri.url).toBe('https://hri.example.org');
    expect(loaded.config.hri.retries).toBe(2);
    // Untouched siblings come from the defaults.
    expect(loaded.config.pki.clockSkewSeconds).toBe(300);
    expect(loaded.config.cloud.region).toBe('us-east-1');
    expect(loaded.config.pki.revocation).toBe('hard-fail');
    expect(loaded.sources).toEqual([DEFAULTS_FILE, machine]);
    expect(loaded.baseDir).toBe(join(s.dir, 'etc'));
  });

  it('switching the credential provider replaces the whole object (no keys inherited from the defaults)', () => {
    const s = scratch();
    const loaded = loadConfig({
      defaultsFile: DEFAULTS_FILE,
      machineFile: s.write('etc/config.json', productionMachine(s)),
    });
    expect(loaded.config.cloud.credentials).toEqual({
      kind: 'minio-certificate',
      stsEndpoint: 'https://sts.example.org',
      durationSeconds: 900,
    });
    expect(mergeConfig({ c: { kind: 'a', x: 1 } }, { c: { kind: 'a', y: 2 } })).toEqual({
      c: { kind: 'a', x: 1, y: 2 },
    });
    expect(mergeConfig({ c: { kind: 'a', x: 1 } }, { c: { kind: 'b', y: 2 } })).toEqual({ c: { kind: 'b', y: 2 } });
  });

  it('relative paths resolve against the file that named them; absolute paths stay', () => {
    const s = scratch();
    s.write('etc/crl/ca.crl', 'crl');
    s.write('shared/intermediate.pem', 'pem');
    const absolute = s.write('abs/anchor.pem', 'pem');
    const machine = s.write('etc/config.json', {
      ...productionMachine(s),
      pki: {
        trustAnchors: ['../pki/root.pem', absolute],
        intermediates: ['../shared/intermediate.pem'],
        crlFiles: ['crl/ca.crl'],
        revocation: 'hard-fail',
      },
    });
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: machine });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.pki.trustAnchors).toEqual([join(s.dir, 'pki/root.pem'), absolute]);
    expect(loaded.config.pki.intermediates).toEqual([join(s.dir, 'shared/intermediate.pem')]);
    expect(loaded.config.pki.crlFiles).toEqual([join(s.dir, 'etc/crl/ca.crl')]);
    expect(resolveConfigPath(loaded, 'x.pem')).toBe(join(s.dir, 'etc/x.pem'));
    expect(resolveConfigPath(loaded, absolute)).toBe(absolute);
  });

  it('a training machine file with static credentials validates (what the training sandbox writes)', () => {
    const s = scratch();
    s.write('sandbox/ca/root.pem', 'pem');
    const machine = s.write('sandbox/config.json', {
      mode: 'training',
      hospital: { name: 'Sandbox Hospital', workstationId: 'sandbox-ws' },
      hri: { url: 'http://127.0.0.1:7490', timeoutMs: 3000, retries: 1 },
      cloud: {
        defaultEndpoint: 'http://127.0.0.1:9000',
        credentials: { kind: 'static', accessKey: 'minio', secretKey: 'minio-secret' },
      },
      pki: { trustAnchors: ['ca/root.pem'] },
    });
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: machine, machineFileRequired: true });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.mode).toBe('training');
    expect(loaded.config.cloud.credentials).toEqual({ kind: 'static', accessKey: 'minio', secretKey: 'minio-secret' });
  });

  it("a training machine file with the sandbox's STS credentials validates", () => {
    const s = scratch();
    const credentials = {
      kind: 'sts-assume-role',
      stsEndpoint: 'http://127.0.0.1:7480',
      accessKey: 'ws',
      secretKey: 'ws-secret',
      roleArn: 'arn:aws:iam:::role/workstation',
      durationSeconds: 900,
    };
    const loaded = loadConfig({
      defaultsFile: DEFAULTS_FILE,
      machineFile: s.write('c.json', { mode: 'training', cloud: { credentials } }),
    });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.cloud.credentials).toEqual(credentials);
  });

  it('a "$schema" key (for editors) is not configuration', () => {
    const s = scratch();
    const loaded = loadConfig({
      defaultsFile: DEFAULTS_FILE,
      machineFile: s.write('c.json', { $schema: './hcp.schema.json', hri: { retries: 0 } }),
    });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.hri.retries).toBe(0);
  });

  it('a machine file with problems leaves the defaults in force and reports them', () => {
    const s = scratch();
    const machine = s.write('c.json', { hri: { retries: 99 } });
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: machine });
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.config).toEqual(loadConfig({ defaultsFile: DEFAULTS_FILE }).config);
    expect(loaded.sources).toEqual([DEFAULTS_FILE]);
  });
});

describe('machine < user file', () => {
  function setup(machineOverrides: Record<string, unknown> = {}) {
    const s = scratch();
    let machine = productionMachine(s);
    machine = withKey(machine, 'session', {
      idleLockMinutes: 10,
      emergencyAccessMinutes: 60,
      userMayShortenIdleLock: true,
    });
    machine = withKey(machine, 'cache', { retentionHours: 12, purgeOnSignOut: true });
    for (const [k, v] of Object.entries(machineOverrides)) machine = withKey(machine, k, v);
    const machineFile = s.write('etc/config.json', machine);
    const load = (user: unknown) =>
      loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile, userFile: s.write('user/user-config.json', user) });
    return { s, machineFile, load };
  }

  it('applies the allowed keys within bounds', () => {
    const { load, machineFile } = setup();
    const loaded = load({
      ui: { defaultLanguage: 'el' },
      session: { idleLockMinutes: 3 },
      cache: { retentionHours: 2 },
    });
    expect(loaded.problems).toEqual([]);
    expect(loaded.config.ui.defaultLanguage).toBe('el');
    expect(loaded.config.session.idleLockMinutes).toBe(3);
    expect(loaded.config.cache.retentionHours).toBe(2);
    expect(loaded.sources.slice(0, 2)).toEqual([DEFAULTS_FILE, machineFile]);
    expect(loaded.sources).toHaveLength(3);
    expect(loaded.config.mode).toBe('production');
  });

  it('a missing user file is normal', () => {
    const { machineFile } = setup();
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile, userFile: '/nonexistent/user-config.json' });
    expect(loaded.problems).toEqual([]);
  });

  it('refuses a disallowed key, naming it; the machine configuration stays in force', () => {
    const { load } = setup();
    const loaded = load({ hri: { url: 'https://evil.example.org' }, session: { userMayShortenIdleLock: true } });
    expect(loaded.problems.map((p) => p.key)).toEqual(['hri.url', 'session.userMayShortenIdleLock']);
    expect(loaded.problems[0]!.message).toMatch(/may not be set in the user file/);
    expect(loaded.problems[0]!.source).toMatch(/user-config\.json$/);
    expect(loaded.config.hri.url).toBe('https://hri.example.org');
    expect(loaded.sources).toHaveLength(2);
  });

  it('idle lock: only shorter, only when the machine allows it', () => {
    expect(setup().load({ session: { idleLockMinutes: 30 } }).problems).toEqual([
      expect.objectContaining({
        key: 'session.idleLockMinutes',
        message: expect.stringMatching(/only be shorter than the workstation's 10 minutes/),
      }),
    ]);
    const locked = setup({ 'session.userMayShortenIdleLock': false });
    expect(locked.load({ session: { idleLockMinutes: 3 } }).problems).toEqual([
      expect.objectContaining({
        key: 'session.idleLockMinutes',
        message: expect.stringMatching(/userMayShortenIdleLock is false/),
      }),
    ]);
    expect(locked.load({ ui: { defaultLanguage: 'el' } }).problems).toEqual([]);
  });

  it('cache retention: only shorter', () => {
    expect(setup().load({ cache: { retentionHours: 48 } }).problems).toEqual([
      expect.objectContaining({
        key: 'cache.retentionHours',
        message: expect.stringMatching(/only be shorter than the workstation's 12 hours/),
      }),
    ]);
  });

  it('allowed keys are still type- and range-checked by the schema', () => {
    const { load } = setup();
    expect(load({ session: { idleLockMinutes: 0 } }).problems).toEqual([
      expect.objectContaining({ key: 'session.idleLockMinutes', message: expect.stringMatching(/at least 1/) }),
    ]);
    expect(load({ ui: { defaultLanguage: 'fr' } }).problems).toEqual([
      expect.objectContaining({ key: 'ui.defaultLanguage', message: expect.stringMatching(/"en", "el"/) }),
    ]);
    expect(load('{ broken').problems).toEqual([
      expect.objectContaining({ key: '(file)', message: expect.stringMatching(/not valid JSON/) }),
    ]);
  });

  it('the user default language must be one the machine offers', () => {
    const { load } = setup({ 'ui.languages': ['en'], 'ui.defaultLanguage': 'en' });
    expect(load({ ui: { defaultLanguage: 'el' } }).problems).toEqual([
      expect.objectContaining({ key: 'ui.defaultLanguage', message: 'must be one of ui.languages (en)' }),
    ]);
  });
});
