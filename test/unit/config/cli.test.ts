import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, runCli } from '../../../main/cli/index';
import { createConfigCommand } from '../../../main/cli/commands/config-check';
import type { CliIo } from '../../../main/cli/types';
import { productionMachine, scratch, withKey } from './helpers';

function capture(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('npm run -s cli -- config check [FILE]', () => {
  it('is registered as "config" in the CLI registry', () => {
    expect(COMMANDS.map((c) => c.name)).toContain('config');
  });

  it('prints "OK: <file>" and exits 0 for a valid file', async () => {
    const s = scratch();
    const file = s.write('config.json', productionMachine(s));
    const io = capture();
    expect(await runCli(['config', 'check', file], io)).toBe(0);
    expect(io.stdout).toEqual([`OK: ${file}`]);
  });

  it('prints "<file>: <key>: <message>" per problem and exits 1', async () => {
    const s = scratch();
    const file = s.write(
      'config.json',
      withKey(withKey(productionMachine(s), 'hri.url', 'not a url'), 'audit.batchSize', 0),
    );
    const io = capture();
    expect(await runCli(['config', 'check', file], io)).toBe(1);
    expect(io.stdout).toEqual([
      `${file}: hri.url: must be an http:// or https:// URL (found "not a url")`,
      `${file}: audit.batchSize: out of range: must be at least 1 (found 0)`,
    ]);
  });

  it('reports invalid JSON and a missing file', async () => {
    const s = scratch();
    const broken = s.write('broken.json', '{');
    let io = capture();
    expect(await runCli(['config', 'check', broken], io)).toBe(1);
    expect(io.stdout[0]).toMatch(
      new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\(file\\): is not valid JSON`),
    );
    io = capture();
    const missing = join(s.dir, 'missing.json');
    expect(await runCli(['config', 'check', missing], io)).toBe(1);
    expect(io.stdout).toEqual([`${missing}: (file): cannot be read: file not found`]);
  });

  it('without FILE checks the machine file (HCP_CONFIG honoured)', async () => {
    const s = scratch();
    const file = s.write('machine.json', productionMachine(s));
    const io = capture();
    expect(await createConfigCommand({ HCP_CONFIG: file }).run(['check'], io)).toBe(0);
    expect(io.stdout).toEqual([`OK: ${file}`]);
    const absent = capture();
    expect(await createConfigCommand({ HCP_CONFIG: join(s.dir, 'none.json') }).run(['check'], absent)).toBe(1);
    expect(absent.stdout[1]).toMatch(/shows "This workstation is not configured"/);
  });

  it('--user checks a per-user file on top of the machine file', async () => {
    const s = scratch();
    const machine = s.write('machine.json', productionMachine(s));
    const good = s.write('user-good.json', { ui: { defaultLanguage: 'el' } });
    const bad = s.write('user-bad.json', { hri: { retries: 0 } });
    let io = capture();
    expect(await runCli(['config', 'check', machine, '--user', good], io)).toBe(0);
    expect(io.stdout).toEqual([`OK: ${machine} + ${good}`]);
    io = capture();
    expect(await runCli(['config', 'check', machine, '--user', bad], io)).toBe(1);
    expect(io.stdout).toEqual([
      `${bad}: hri.retries: may not be set in the user file (only ui.defaultLanguage, session.idleLockMinutes, cache.retentionHours)`,
    ]);
    io = capture();
    expect(await runCli(['config', 'check', machine, '--user', join(s.dir, 'nope.json')], io)).toBe(1);
  });

  it('usage errors exit 2', async () => {
    const io = capture();
    expect(await runCli(['config'], io)).toBe(2);
    expect(await runCli(['config', 'validate'], io)).toBe(2);
    expect(await runCli(['config', 'check', 'a.json', 'b.json'], io)).toBe(2);
    expect(await runCli(['config', 'check', '--bogus'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/usage: npm run -s cli -- config check/);
  });
});
