/**
 * `npm run -s cli -- open`: the whole flow headless against the sandbox — in-process for the
 * cases, once as a real child process for the entry point and exit code.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OpenRecord } from '../../../common/ipc/channels/emergency';
import { verifyAuditChain } from '../../../main/audit/index';
import { createOpenCommand } from '../../../main/cli/commands/open';
import { createFlowFixture, registerLocation, type FlowFixture } from '../../support/flow';
import { closedPort } from './stand-ins';

let fx: FlowFixture;
let config: string;
let passFile: string;

beforeAll(async () => {
  fx = await createFlowFixture({
    sandbox: inject('sandbox'),
    samples: ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json'],
  });
  config = fx.writeConfig();
  passFile = join(fx.dir, 'passphrase');
  writeFileSync(passFile, `${fx.pki.passphrase}\n`, { mode: 0o600 });
});
afterAll(async () => fx?.close());

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await createOpenCommand(env).run(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const base = () => ['--credential', fx.pki.files.clinician, '--config', config];

describe('cli open', () => {
  it('a QR image, passphrase from a file: prints the summary, exit 0; the data dir holds an intact audit trail', async () => {
    const dataDir = join(fx.dir, 'cli-data');
    const r = await cli([
      '--qr',
      fx.patients[0]!.qrPng,
      ...base(),
      '--passphrase-file',
      passFile,
      '--data-dir',
      dataDir,
      '--reason',
      'smoke test after install',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^OPENED {3}from the cloud/);
    expect(r.out).toContain('PATIENT  Martha DeLarosa');
    expect(r.out).toMatch(/ALLERGIES AND INTOLERANCES\n {2}- Substance with penicillin/);
    const db = new Database(join(dataDir, 'workstation.sqlite'), { readonly: true });
    try {
      expect(verifyAuditChain(db)).toMatchObject({ intact: true });
      const entries = (db.prepare('SELECT entry FROM audit_log ORDER BY seq').pluck().all() as string[]).join('\n');
      // The break-the-glass free text is in the trail sealed with the workstation key, never in clear.
      expect(entries).toContain('"reason-text-sealed"');
      expect(entries).not.toContain('smoke test after install');
      expect(entries).toContain('"110138"');
    } finally {
      db.close();
    }
  });

  it('the payload text, passphrase from HCP_PASSPHRASE, --json: the OpenRecord; no data dir left behind', async () => {
    const temps = () => readdirSync(tmpdir()).filter((f) => f.startsWith('hcp-cli-open-'));
    const before = temps();
    const r = await cli(['--qr', fx.patients[1]!.qrText, ...base(), '--json'], { HCP_PASSPHRASE: fx.pki.passphrase });
    expect(r.code).toBe(0);
    expect(temps().filter((f) => !before.includes(f))).toEqual([]);
    const record = OpenRecord.parse(JSON.parse(r.out));
    expect(record).toMatchObject({ source: 'cloud', integrity: { verified: true } });
    expect(record.view.patient.names.join(' ')).toMatch(/Andreas/);
  });

  it('a text file holding the payload works as well', async () => {
    const r = await cli(['--qr', fx.patients[1]!.qrTxt, ...base()], { HCP_PASSPHRASE: fx.pki.passphrase });
    expect(r.code).toBe(0);
  });

  it('failures are typed with the message, exit 1: revoked clinician, wrong passphrase, cloud down', async () => {
    const revoked = await cli([
      '--qr',
      fx.patients[0]!.qrPng,
      '--credential',
      fx.pki.files.revokedClinician,
      '--config',
      config,
      '--passphrase-file',
      passFile,
    ]);
    expect(revoked).toMatchObject({ code: 1, out: '' });
    expect(revoked.err).toMatch(/^PKI_REVOKED: \S.+/);

    const wrong = await cli(['--qr', fx.patients[0]!.qrPng, ...base()], { HCP_PASSPHRASE: 'nope' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/^PKI_CREDENTIAL_WRONG_PASSPHRASE: /);

    await registerLocation(fx.sandbox, fx.patients[1]!, { endpoint: `http://127.0.0.1:${await closedPort()}` });
    const down = await cli(['--qr', fx.patients[1]!.qrTxt, ...base()], { HCP_PASSPHRASE: fx.pki.passphrase });
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^CLOUD_UNAVAILABLE: /);

    const badQr = await cli(['--qr', 'HCPE1NOTAQR', ...base()], { HCP_PASSPHRASE: fx.pki.passphrase });
    expect(badQr.code).toBe(1);
    expect(badQr.err).toMatch(/^QR_[A-Z_]+: /);
  });

  it('usage errors exit 2: missing --qr, a passphrase on the command line, no passphrase, a short reason, a missing config', async () => {
    expect((await cli(base(), { HCP_PASSPHRASE: 'x' })).code).toBe(2);
    const argvPass = await cli(['--qr', 'x', ...base(), '--passphrase', 'training']);
    expect(argvPass.code).toBe(2);
    expect(argvPass.err).toMatch(/passphrase/);
    const none = await cli(['--qr', 'x', ...base()]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/HCP_PASSPHRASE/);
    expect((await cli(['--qr', 'x', ...base(), '--reason', 'x'], { HCP_PASSPHRASE: 'x' })).code).toBe(2);
    const missingConfig = await cli(
      ['--qr', 'x', '--credential', fx.pki.files.clinician, '--config', join(fx.dir, 'nope.json')],
      { HCP_PASSPHRASE: 'x' },
    );
    expect(missingConfig.code).toBe(1);
    expect(missingConfig.err).toMatch(/CONFIG_INVALID/);
  });

  it('npm run -s cli -- open: the real entry point, exit 0 and the summary on stdout', async () => {
    const dataDir = join(fx.dir, 'cli-child');
    const { stdout } = await promisify(execFile)(
      'npm',
      ['run', '-s', 'cli', '--', 'open', '--qr', fx.patients[0]!.qrPng, ...base(), '--data-dir', dataDir],
      {
        cwd: join(import.meta.dirname, '../../..'),
        env: { ...process.env, HCP_PASSPHRASE: fx.pki.passphrase },
        timeout: 60_000,
      },
    );
    expect(stdout).toContain('PATIENT  Martha DeLarosa');
    expect(existsSync(join(dataDir, 'workstation.sqlite'))).toBe(true);
  });
});
