import { describe, expect, it } from 'vitest';
import { createChain, issueCrl, makeTempDir, writePkiFiles } from '../../support/test-ca';
import { runCli } from '../../../main/cli/index';
import { runVerifyCert } from '../../../main/cli/commands/verify-cert';

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runVerifyCert(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('verify-cert CLI', () => {
  const dir = makeTempDir();
  const c = createChain({ levels: 4, key: 'p256', slot: 11 });
  const [i1, i2] = c.intermediates as [(typeof c.intermediates)[0], (typeof c.intermediates)[0]];
  const expired = createChain({
    levels: 3,
    key: 'p256',
    slot: 12,
    leaf: { notAfter: new Date(Date.now() - 86_400_000) },
  });
  const revokedCrl = issueCrl({ issuer: i2, revoked: [{ serial: c.leaf.serial }] });
  const f = writePkiFiles(dir, {
    'leaf.pem': c.leaf.pem,
    'leaf-with-chain.pem': [c.leaf.pem, i2.pem, i1.pem],
    'intermediates.pem': [i1.pem, i2.pem],
    'root.pem': c.root.pem,
    'crls.pem': [issueCrl({ issuer: c.root }).pem, issueCrl({ issuer: i1 }).pem, issueCrl({ issuer: i2 }).pem],
    'revoked.pem': [issueCrl({ issuer: c.root }).pem, issueCrl({ issuer: i1 }).pem, revokedCrl.pem],
    'leaf.der': c.leaf.der,
    'expired.pem': expired.leaf.pem,
    'expired-int.pem': expired.intermediates[0]!.pem,
    'expired-root.pem': expired.root.pem,
    'empty.pem': '',
  });

  it('exits 0 and prints exactly valid/code/message/chain with --json', async () => {
    const r = await run([
      '--leaf',
      f['leaf.pem'],
      '--intermediates',
      f['intermediates.pem'],
      '--trust',
      f['root.pem'],
      '--crl',
      f['crls.pem'],
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    const json = JSON.parse(r.out[0]!);
    expect(Object.keys(json)).toEqual(['valid', 'code', 'message', 'chain']);
    expect(json).toMatchObject({
      valid: true,
      code: 'OK',
      chain: [c.leaf.subject, i2.subject, i1.subject, c.root.subject],
    });
  });

  it('uses extra certificates in the leaf file and DER input', async () => {
    expect((await run(['--leaf', f['leaf-with-chain.pem'], '--trust', f['root.pem']])).code).toBe(0);
    expect(
      (await run(['--leaf', f['leaf.der'], '--intermediates', f['intermediates.pem'], '--trust', f['root.pem']])).code,
    ).toBe(0);
  });

  it('exits 1 with the code and the English message when invalid', async () => {
    const r = await run([
      '--leaf',
      f['expired.pem'],
      '--intermediates',
      f['expired-int.pem'],
      '--trust',
      f['expired-root.pem'],
      '--json',
    ]);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out[0]!);
    expect(json).toMatchObject({ valid: false, code: 'PKI_EXPIRED' });
    expect(json.message).toMatch(/has expired \(CN=Dr/);
    const revoked = await run([
      '--leaf',
      f['leaf.pem'],
      '--intermediates',
      f['intermediates.pem'],
      '--trust',
      f['root.pem'],
      '--crl',
      f['revoked.pem'],
      '--json',
    ]);
    expect(revoked.code).toBe(1);
    expect(JSON.parse(revoked.out[0]!)).toMatchObject({ code: 'PKI_REVOKED' });
    const noPath = await run(['--leaf', f['leaf.pem'], '--trust', f['root.pem'], '--json']);
    expect(JSON.parse(noPath.out[0]!)).toMatchObject({ valid: false, code: 'PKI_NO_PATH_TO_TRUST_ANCHOR' });
  });

  it('honours --time, --eku and --revocation', async () => {
    const base = [
      '--leaf',
      f['leaf.pem'],
      '--intermediates',
      f['intermediates.pem'],
      '--trust',
      f['root.pem'],
      '--json',
    ];
    const future = await run([...base, '--time', new Date(Date.now() + 400 * 86_400_000).toISOString()]);
    expect(JSON.parse(future.out[0]!)).toMatchObject({ code: 'PKI_EXPIRED' });
    expect((await run([...base, '--eku', '1.3.6.1.5.5.7.3.1'])).code).toBe(1);
    expect((await run([...base, '--eku', 'any'])).code).toBe(0);
    expect((await run([...base, '--revocation', 'hard-fail'])).code).toBe(1);
    expect((await run([...base, '--revocation', 'warn'])).code).toBe(0);
  });

  it('exits 2 on usage errors', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--leaf', f['leaf.pem']])).code).toBe(2);
    expect((await run(['--leaf', f['leaf.pem'], '--trust', f['root.pem'], '--time', 'yesterday'])).code).toBe(2);
    expect((await run(['--leaf', f['leaf.pem'], '--trust', f['root.pem'], '--eku', 'clientAuth'])).code).toBe(2);
    expect((await run(['--leaf', f['leaf.pem'], '--trust', f['root.pem'], '--bogus'])).code).toBe(2);
    expect((await run(['--leaf', '/nonexistent.pem', '--trust', f['root.pem']])).code).toBe(2);
    expect((await run(['--leaf', f['empty.pem'], '--trust', f['root.pem']])).code).toBe(2);
  });

  it('is registered in the CLI registry', async () => {
    const out: string[] = [];
    await runCli(['help'], { out: (l) => out.push(l), err: () => {} });
    expect(out.join('\n')).toContain('verify-cert');
  });
});
