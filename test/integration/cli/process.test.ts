import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createChain, makeTempDir, writePkiFiles } from '../../support/test-ca';
import { createTrainingPki, TRAINING_PKCS12_PASSPHRASE } from '../../support/test-ca/training';
import { scratch } from '../../unit/config/helpers';
import { sample } from '../../unit/fhir/helpers';

/**
 * The IT CLI as a real process (`npm run -s cli -- ...`): exit statuses and output as a shell sees
 * them. Each run starts Node with tsx (seconds on a loaded machine), so these live in the
 * integration project; the commands' behaviour is tested in-process in test/unit (runCli).
 */
const REPO = resolve(import.meta.dirname, '../../..');

/** The CLI from the sources, as `npm run -s cli` runs it in a checkout. */
function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'main/cli/index.ts'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
  });
}

describe('the CLI as a process', () => {
  it('config check: exit 0 with "OK: <file>", 1 naming every key that breaks production mode', () => {
    const s = scratch();
    const good = s.write('good.json', { hospital: { name: 'H', workstationId: 'w' } });
    const bad = s.write('bad.json', { mode: 'production' });
    const ok = cli('config', 'check', good);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toBe(`OK: ${good}\n`);
    const refused = cli('config', 'check', bad);
    expect(refused.status).toBe(1);
    // Every key that breaks production mode is named (issue 12 §5).
    expect(refused.stdout).toBe(
      [
        `${bad}: cloud.credentials.kind: static credentials are refused in production mode; use "emergency-access" or "minio-certificate"`,
        `${bad}: hri.url: production mode requires an https:// URL (found "http://127.0.0.1:7490")`,
        `${bad}: pki.revocation: production mode requires "hard-fail" (found "warn"): a certificate whose revocation cannot be checked is refused`,
      ].join('\n') + '\n',
    );
  });

  it('summary: exit 0 for an IPS document, 1 with the typed code for a non-document', () => {
    const good = cli('summary', '--ips', sample('IPS_IG_bundle-minimal.json'));
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('Martha DeLarosa');
    const bad = cli('summary', '--ips', join(REPO, 'package.json'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('FHIR_INVALID_BUNDLE');
  });

  it('verify-cert: exit 0 for a valid chain (--json), 1 for an expired one, 2 on a usage error', () => {
    const dir = makeTempDir();
    const c = createChain({ levels: 4, key: 'p256', slot: 11 });
    const expired = createChain({
      levels: 3,
      key: 'p256',
      slot: 12,
      leaf: { notAfter: new Date(Date.now() - 86_400_000) },
    });
    const f = writePkiFiles(dir, {
      'leaf.pem': c.leaf.pem,
      'intermediates.pem': c.intermediates.map((i) => i.pem),
      'root.pem': c.root.pem,
      'expired.pem': [expired.leaf.pem, ...expired.intermediates.map((i) => i.pem)],
      'expired-root.pem': expired.root.pem,
    });
    const ok = cli(
      'verify-cert',
      '--leaf',
      f['leaf.pem'],
      '--intermediates',
      f['intermediates.pem'],
      '--trust',
      f['root.pem'],
      '--json',
    );
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout.trim())).toMatchObject({ valid: true, code: 'OK' });
    const bad = cli('verify-cert', '--leaf', f['expired.pem'], '--trust', f['expired-root.pem'], '--json');
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout.trim())).toMatchObject({ valid: false });
    expect(cli('verify-cert').status).toBe(2);
  });

  it('the compiled CLI (out/cli/index.js, as npm run -s cli runs it) verifies a PKCS#12 credential', () => {
    const dir = makeTempDir('hcp-cli-cred-');
    const pki = createTrainingPki(join(dir, 'training'));
    const pass = join(dir, 'pass.txt');
    writeFileSync(pass, `${TRAINING_PKCS12_PASSPHRASE}\nignored second line\n`);
    const run = spawnSync(
      process.execPath,
      [
        join(REPO, 'scripts/cli/run.mjs'),
        'verify-cert',
        '--credential',
        pki.files.clinician,
        '--passphrase-file',
        pass,
        '--trust',
        pki.files.root,
        '--json',
      ],
      { encoding: 'utf8', env: { ...process.env, HCP_PASSPHRASE: undefined } },
    );
    expect(run.stderr.replace(/^\(building the CLI.*\n/m, '')).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({ valid: true });
  });
});
