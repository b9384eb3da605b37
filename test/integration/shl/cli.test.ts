/**
 * `cli open --qr <SMART Health Link QR image>`: the CLI input path of a link, with the passcode
 * from a file, against the sandbox SHL server (the image is the simulator's, decoded by main).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createOpenCommand } from '../../../main/cli/commands/open';
import { makeTrainingShls, type TrainingShl } from '../../../scripts/simulator/shl';
import { createFlowFixture, type FlowFixture } from '../../support/flow';

let fx: FlowFixture;
let config: string;
let passFile: string;
let links: TrainingShl[];

beforeAll(async () => {
  const sandbox = inject('sandbox');
  fx = await createFlowFixture({
    sandbox,
    samples: ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json'],
    documents: false,
  });
  config = fx.writeConfig();
  passFile = join(fx.dir, 'passphrase');
  writeFileSync(passFile, `${fx.pki.passphrase}\n`, { mode: 0o600 });
  links = await makeTrainingShls({ sandbox, patients: fx.patients, outDir: join(fx.dir, 'shl') });
});
afterAll(async () => fx?.close());

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await createOpenCommand({}).run(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cli open with a SMART Health Link', () => {
  it('a plain link from its QR image opens: "SMART Health Link from <host>"', async () => {
    const plain = links.find((l) => l.kind === 'plain')!;
    const r = await cli([
      '--qr',
      plain.pngFile,
      '--credential',
      fx.pki.files.clinician,
      '--passphrase-file',
      passFile,
      '--config',
      config,
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(
      r.out.startsWith(`OPENED   SMART Health Link from ${new URL(inject('sandbox').shl!.url).host}, fetched `),
    ).toBe(true);
    expect(r.out.split('\n')[0]).toContain('decrypted and intact');
    expect(r.out).toContain('PATIENT  Martha DeLarosa');
  });

  it('a passcode link: without the passcode file SHL_PASSCODE_REQUIRED; wrong passcode SHL_PASSCODE_WRONG with the attempts; right opens', async () => {
    const p = links.find((l) => l.kind === 'passcode')!;
    const args = [
      '--qr',
      p.txtFile,
      '--credential',
      fx.pki.files.clinician,
      '--passphrase-file',
      passFile,
      '--config',
      config,
    ];
    const none = await cli(args);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^SHL_PASSCODE_REQUIRED: /m);
    const wrongFile = join(fx.dir, 'wrong-passcode');
    writeFileSync(wrongFile, 'nope\n');
    const wrong = await cli([...args, '--passcode-file', wrongFile]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('SHL_PASSCODE_WRONG: Wrong passcode. The server allows 4 more attempt(s).');
    const rightFile = join(fx.dir, 'passcode');
    writeFileSync(rightFile, `${p.passcode}\n`);
    const right = await cli([...args, '--passcode-file', rightFile, '--json']);
    expect(right.err).toBe('');
    expect(JSON.parse(right.out)).toMatchObject({ source: 'shl', shl: { label: p.label } });
    expect(readFileSync(p.txtFile, 'utf8').startsWith('shlink:/')).toBe(true);
  });

  it('as a real child process: exits 0 once the link is read (no socket keeps it alive)', async () => {
    const plain = links.find((l) => l.kind === 'plain')!;
    const { stdout } = await promisify(execFile)(
      'npm',
      [
        'run',
        '-s',
        'cli',
        '--',
        'open',
        '--qr',
        plain.pngFile,
        '--credential',
        fx.pki.files.clinician,
        '--config',
        config,
        '--data-dir',
        join(fx.dir, 'cli-child'),
      ],
      {
        cwd: join(import.meta.dirname, '../../..'),
        env: { ...process.env, HCP_PASSPHRASE: fx.pki.passphrase },
        timeout: 60_000,
      },
    );
    expect(stdout).toMatch(/^OPENED {3}SMART Health Link from 127\.0\.0\.1:\d+, fetched .*; decrypted and intact\n/);
    expect(stdout).toContain('PATIENT  Martha DeLarosa');
  });
});
