import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createChain, makeTempDir, writePkiFiles } from '../../support/test-ca';
import { createTrainingPki, TRAINING_PKCS12_PASSPHRASE } from '../../support/test-ca/training';
import { exportPkcs12 } from '../../support/test-ca/pkcs12';
import { runVerifyCert } from '../../../main/cli/commands/verify-cert';

/** verify-cert with what IT has in hand: the clinician's credential file and its passphrase. */
async function run(
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = process.env.HCP_PASSPHRASE;
  if ('HCP_PASSPHRASE' in env) process.env.HCP_PASSPHRASE = env.HCP_PASSPHRASE;
  else delete process.env.HCP_PASSPHRASE;
  try {
    const code = await runVerifyCert(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  } finally {
    if (saved === undefined) delete process.env.HCP_PASSPHRASE;
    else process.env.HCP_PASSPHRASE = saved;
  }
}

describe('verify-cert --credential', () => {
  const dir = makeTempDir('hcp-cli-cred-');
  const pki = createTrainingPki(join(dir, 'training'));
  const pass = join(dir, 'pass.txt');
  writeFileSync(pass, `${TRAINING_PKCS12_PASSPHRASE}\nignored second line\n`);
  const wrong = join(dir, 'wrong.txt');
  writeFileSync(wrong, 'not the passphrase\n');
  // A PEM credential: certificate, its CA and the (unencrypted PKCS#8) key in one file.
  const c = createChain({ levels: 3, key: 'p256', slot: 31 });
  const keyPem = c.leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  const f = writePkiFiles(dir, {
    'cred.pem': [c.leaf.pem, c.intermediates[0]!.pem, keyPem],
    'other-root.pem': c.root.pem,
    'lonely.p12': exportPkcs12(c.leaf, 'pw'),
    'pw.txt': 'pw\n',
  });

  it('a PKCS#12 credential: its certificate is the leaf, the certificates inside it the intermediates', async () => {
    const r = await run([
      '--credential',
      pki.files.clinician,
      '--passphrase-file',
      pass,
      '--trust',
      pki.files.root,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out[0]!) as { valid: boolean; chain: string[] };
    expect(json.valid).toBe(true);
    expect(json.chain[0]).toMatch(/Dr Eleni Training/);
    expect(json.chain).toHaveLength(3);
  });

  it('a PEM credential, and the passphrase from HCP_PASSPHRASE', async () => {
    const r = await run(['--credential', f['cred.pem'], '--trust', f['other-root.pem']], { HCP_PASSPHRASE: '' });
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^VALID/);
  });

  it('with the revocation list: the revoked clinician is refused with the reason', async () => {
    const r = await run([
      '--credential',
      pki.files.revokedClinician,
      '--passphrase-file',
      pass,
      '--trust',
      pki.files.root,
      '--crl',
      pki.files.crl,
      '--json',
    ]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out[0]!)).toMatchObject({ valid: false, code: 'PKI_REVOKED' });
  });

  it('a wrong passphrase is a typed refusal (exit 1), not a crash', async () => {
    const r = await run([
      '--credential',
      pki.files.clinician,
      '--passphrase-file',
      wrong,
      '--trust',
      pki.files.root,
      '--json',
    ]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out[0]!) as { code: string; message: string };
    expect(json.code).toMatch(/^PKI_/);
    expect(json.message.length).toBeGreaterThan(10);
  });

  it('a credential without its intermediate takes it from --intermediates', async () => {
    expect(
      (await run(['--credential', f['lonely.p12'], '--passphrase-file', f['pw.txt'], '--trust', f['other-root.pem']]))
        .code,
    ).toBe(1);
    expect(
      (
        await run([
          '--credential',
          f['lonely.p12'],
          '--passphrase-file',
          f['pw.txt'],
          '--intermediates',
          writePkiFiles(dir, { 'i.pem': c.intermediates[0]!.pem })['i.pem'],
          '--trust',
          f['other-root.pem'],
        ])
      ).code,
    ).toBe(0);
  });

  it('usage errors: --leaf with --credential, no passphrase, unreadable files', async () => {
    expect(
      (
        await run([
          '--credential',
          pki.files.clinician,
          '--leaf',
          pki.files.root,
          '--passphrase-file',
          pass,
          '--trust',
          pki.files.root,
        ])
      ).code,
    ).toBe(2);
    const none = await run(['--credential', pki.files.clinician, '--trust', pki.files.root]);
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toMatch(/no passphrase/);
    expect(
      (await run(['--credential', join(dir, 'absent.p12'), '--passphrase-file', pass, '--trust', pki.files.root])).code,
    ).toBe(2);
    expect(
      (
        await run([
          '--credential',
          pki.files.clinician,
          '--passphrase-file',
          join(dir, 'absent.txt'),
          '--trust',
          pki.files.root,
        ])
      ).code,
    ).toBe(2);
  });
});
