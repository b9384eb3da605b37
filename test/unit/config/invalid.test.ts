import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/config/index';
import { DEFAULTS_FILE, productionMachine, scratch, withKey, type JsonObject } from './helpers';

/** Load `machine` as the machine file; return its problems as "key: message". */
function problemsOf(machine: JsonObject | string): string[] {
  const s = scratch();
  const file = s.write('config.json', machine);
  const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file });
  for (const p of loaded.problems) expect(p.source).toBe(file);
  if (loaded.problems.length) expect(loaded.config).toEqual(loadConfig({ defaultsFile: DEFAULTS_FILE }).config);
  return loaded.problems.map((p) => `${p.key}: ${p.message}`);
}

describe('every invalid machine file gives a problem naming file, key and what is wrong', () => {
  const valid = (): JsonObject => ({ hospital: { name: 'General Hospital', workstationId: 'er-1' } });

  it.each([
    ['unknown top-level key', withKey(valid(), 'hopsital', {}), 'hopsital: unknown key'],
    ['unknown nested key', withKey(valid(), 'hri.urll', 'https://x.example'), 'hri.urll: unknown key'],
    [
      'unknown key in the credential provider',
      withKey(valid(), 'cloud.credentials.password', 'x'),
      'cloud.credentials.password: unknown key',
    ],
    [
      'wrong type (string for number)',
      withKey(valid(), 'hri.timeoutMs', '3000'),
      'hri.timeoutMs: wrong type: must be a number, found string',
    ],
    [
      'wrong type (number for boolean)',
      withKey(valid(), 'cache.purgeOnSignOut', 1),
      'cache.purgeOnSignOut: wrong type: must be a boolean, found integer',
    ],
    [
      'wrong type (object for array)',
      withKey(valid(), 'pki.crlFiles', {}),
      'pki.crlFiles: wrong type: must be an array, found object',
    ],
    [
      'out of range (too big)',
      withKey(valid(), 'hri.retries', 9),
      'hri.retries: out of range: must be at most 5 (found 9)',
    ],
    [
      'out of range (too small)',
      withKey(valid(), 'cache.retentionHours', 0.1),
      'cache.retentionHours: out of range: must be at least 0.25 (found 0.1)',
    ],
    [
      'not an integer',
      withKey(valid(), 'cloud.concurrency', 2.5),
      'cloud.concurrency: must be a whole number (found 2.5)',
    ],
    ['empty string', withKey(valid(), 'hospital.name', ''), 'hospital.name: must not be empty (found "")'],
    [
      'empty trust anchor list',
      withKey(valid(), 'pki.trustAnchors', []),
      'pki.trustAnchors: must list at least 1 entry (found [])',
    ],
    [
      'bad URL',
      withKey(valid(), 'hri.url', 'hri.example.org'),
      'hri.url: must be an http:// or https:// URL (found "hri.example.org")',
    ],
    [
      'URL with another scheme',
      withKey(valid(), 'cloud.defaultEndpoint', 'ftp://s3.example.org'),
      'cloud.defaultEndpoint: must be an http:// or https:// URL (found "ftp://s3.example.org")',
    ],
    [
      'bad OID',
      withKey(valid(), 'pki.requiredPolicy', '1.2.abc'),
      'pki.requiredPolicy: must be a dotted OID such as 1.3.6.1.5.5.7.3.2 (found "1.2.abc")',
    ],
    [
      'bad OID or "any"',
      withKey(valid(), 'pki.clinicianEku', 'clientAuth'),
      'pki.clinicianEku: must be a dotted OID such as 1.3.6.1.5.5.7.3.2 (found "clientAuth")',
    ],
    [
      'bad enum',
      withKey(valid(), 'pki.revocation', 'strict'),
      'pki.revocation: must be one of "hard-fail", "warn" (found "strict")',
    ],
    [
      'unknown credential provider',
      withKey(valid(), 'cloud.credentials', { kind: 'iam' }),
      'cloud.credentials.kind: must be one of "emergency-access", "sts-assume-role", "minio-certificate", "static" (found "iam")',
    ],
    [
      'missing key of a provider',
      withKey(valid(), 'cloud.credentials', {
        kind: 'sts-assume-role',
        stsEndpoint: 'https://sts.example.org',
        accessKey: 'a',
        secretKey: 'b',
      }),
      'cloud.credentials.roleArn: is required (string)',
    ],
    [
      'default language not offered',
      withKey(withKey(valid(), 'ui.languages', ['el']), 'ui.defaultLanguage', 'en'),
      'ui.defaultLanguage: must be one of ui.languages (el)',
    ],
  ])('%s', (_name, machine, expected) => {
    expect(problemsOf(machine)).toEqual([expect.stringContaining(expected)]);
  });

  it('static credentials in production mode are refused', () => {
    expect(problemsOf(withKey(valid(), 'mode', 'production'))).toEqual([
      'cloud.credentials.kind: static credentials are refused in production mode; use "emergency-access" or "minio-certificate"',
      'hri.url: production mode requires an https:// URL (found "http://127.0.0.1:7490")',
      'pki.revocation: production mode requires "hard-fail" (found "warn"): a certificate whose revocation cannot be checked is refused',
    ]);
    const s = scratch();
    const file = s.write(
      'c.json',
      withKey(productionMachine(s), 'cloud.credentials', { kind: 'static', accessKey: 'a', secretKey: 'b' }),
    );
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file }).problems.map((p) => p.key)).toEqual([
      'cloud.credentials.kind',
    ]);
  });

  it.each([
    [
      'an http:// HRI',
      'hri.url',
      'http://hri.example.org',
      'hri.url: production mode requires an https:// URL (found "http://hri.example.org")',
    ],
    [
      'an http:// default cloud endpoint',
      'cloud.defaultEndpoint',
      'http://s3.example.org',
      'cloud.defaultEndpoint: production mode requires an https:// URL (found "http://s3.example.org")',
    ],
    [
      'an http:// STS endpoint',
      'cloud.credentials.stsEndpoint',
      'http://sts.example.org',
      'cloud.credentials.stsEndpoint: production mode requires an https:// URL (found "http://sts.example.org")',
    ],
    [
      'an http:// emergency-access endpoint',
      'cloud.credentials',
      { kind: 'emergency-access', endpoint: 'http://access.example.org' },
      'cloud.credentials.endpoint: production mode requires an https:// URL (found "http://access.example.org")',
    ],
    [
      'revocation "warn"',
      'pki.revocation',
      'warn',
      'pki.revocation: production mode requires "hard-fail" (found "warn"): a certificate whose revocation cannot be checked is refused',
    ],
    [
      'clinicianEku "any"',
      'pki.clinicianEku',
      'any',
      'pki.clinicianEku: production mode requires an extended key usage OID (clientAuth is 1.3.6.1.5.5.7.3.2), not "any"',
    ],
  ])('production mode refuses %s, naming the key', (_name, key, value, expected) => {
    const s = scratch();
    const file = s.write('c.json', withKey(productionMachine(s), key, value));
    expect(
      loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file }).problems.map((p) => `${p.key}: ${p.message}`),
    ).toEqual([expected]);
  });

  it('sts-assume-role (a long-lived workstation secret in the file) is refused in production mode, accepted in training', () => {
    const s = scratch();
    const sts = {
      kind: 'sts-assume-role',
      stsEndpoint: 'https://sts.example.org',
      accessKey: 'a',
      secretKey: 'b',
      roleArn: 'arn:aws:iam:::role/er',
    };
    const prod = s.write('p.json', withKey(productionMachine(s), 'cloud.credentials', sts));
    expect(
      loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: prod }).problems.map((p) => `${p.key}: ${p.message}`),
    ).toEqual([
      'cloud.credentials.kind: "sts-assume-role" keeps a long-lived cloud secret in the configuration file and is refused in production mode; use "emergency-access" or "minio-certificate"',
    ]);
    expect(
      problemsOf(withKey({ hospital: { name: 'General Hospital', workstationId: 'er-1' } }, 'cloud.credentials', sts)),
    ).toEqual([]);
  });

  it('a production file with https:// everywhere, hard-fail and an EKU has no problems (emergency-access)', () => {
    const s = scratch();
    const file = s.write(
      'c.json',
      withKey(productionMachine(s), 'cloud.credentials', {
        kind: 'emergency-access',
        endpoint: 'https://access.example.org',
      }),
    );
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file }).problems).toEqual([]);
  });

  it('secrets are never echoed back in a message', () => {
    const [problem] = problemsOf(
      withKey(valid(), 'cloud.credentials', { kind: 'static', accessKey: 'a', secretKey: '' }),
    );
    expect(problem).toBe('cloud.credentials.secretKey: must not be empty');
  });

  it('several problems are all reported, one per key', () => {
    const machine = withKey(
      withKey(withKey(valid(), 'hri.url', 'nope'), 'hri.retries', -1),
      'scanner.wedge.suffx',
      'Enter',
    );
    expect(problemsOf(machine).map((p) => p.split(':')[0])).toEqual(['hri.url', 'hri.retries', 'scanner.wedge.suffx']);
  });

  it('invalid JSON', () => {
    expect(problemsOf('{ "mode": "production", }')).toEqual([expect.stringMatching(/^\(file\): is not valid JSON: /)]);
  });

  it('JSON that is not an object', () => {
    expect(problemsOf('["mode"]')).toEqual(['(file): must be a JSON object ({ ... })']);
  });

  it('a byte-order mark (Notepad) is accepted', () => {
    expect(problemsOf('\uFEFF{ "hri": { "retries": 1 } }')).toEqual([]);
  });

  it('unreadable file: a directory in its place', () => {
    const s = scratch();
    const dir = join(s.dir, 'config.json');
    mkdirSync(dir);
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: dir }).problems).toEqual([
      { source: dir, key: '(file)', message: 'cannot be read: is a directory, not a file' },
    ]);
  });

  it.skipIf(process.platform === 'win32' || process.getuid?.() === 0)('unreadable file: no permission', () => {
    const s = scratch();
    const file = s.write('config.json', {});
    chmodSync(file, 0o000);
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file }).problems).toEqual([
      { source: file, key: '(file)', message: 'cannot be read: permission denied' },
    ]);
  });

  it('a machine file named on purpose (HCP_CONFIG) must exist; at the platform location its absence means training mode', () => {
    const missing = '/nonexistent/hcp/config.json';
    expect(
      loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: missing, machineFileRequired: true }).problems,
    ).toEqual([{ source: missing, key: '(file)', message: 'cannot be read: file not found' }]);
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: missing }).problems).toEqual([]);
  });

  it('a trust anchor, intermediate or CRL file that does not exist is named by its index', () => {
    const s = scratch();
    const file = s.write('etc/config.json', withKey(productionMachine(s), 'pki.crlFiles', ['crl/missing.crl']));
    s.write('etc/anchors/root.pem', 'pem');
    const withDir = s.write('etc/config2.json', withKey(productionMachine(s), 'pki.intermediates', ['anchors']));
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file }).problems).toEqual([
      { source: file, key: 'pki.crlFiles.0', message: `file not found: ${join(s.dir, 'etc/crl/missing.crl')}` },
    ]);
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: withDir }).problems).toEqual([
      { source: withDir, key: 'pki.intermediates.0', message: `is not a file: ${join(s.dir, 'etc/anchors')}` },
    ]);
  });
});
