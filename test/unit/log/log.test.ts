import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileSink, createLogger, logFileIn, redact, teeSink } from '../../../main/log';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hcp-log-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('redact', () => {
  it('redacts sensitive field names at the top level and in nested objects and arrays', () => {
    const out = redact({
      code: 'CLOUD_DENIED',
      passphrase: 'p',
      nested: { recordId: 'r1', inner: { accessKeyId: 'AK', secretKey: 'S', ok: 1 } },
      list: [{ token: 't', n: 2 }, 'plain'],
      err: Object.assign(new Error('boom'), { code: 'X' }),
    });
    expect(out).toMatchObject({
      code: 'CLOUD_DENIED',
      passphrase: '[redacted]',
      nested: { recordId: '[redacted]', inner: { accessKeyId: '[redacted]', secretKey: '[redacted]', ok: 1 } },
      list: [{ token: '[redacted]', n: 2 }, 'plain'],
      err: { name: 'Error', message: 'boom', code: 'X' },
    });
    expect(JSON.stringify(out)).not.toMatch(/"AK"|"S"|"t"|"p"/);
  });

  it('survives cycles, deep nesting and buffers without writing their bytes', () => {
    const a: Record<string, unknown> = { n: 1 };
    a.self = a;
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const out = redact({ a, deep, bytes: Buffer.from('secret plaintext') }) as Record<string, unknown>;
    expect((out.a as Record<string, unknown>).self).toBe('[circular]');
    expect(JSON.stringify(out.deep)).toContain('[nested too deep]');
    expect(out.bytes).toBe('[16 bytes]');
  });

  it('is applied by the logger to every line', () => {
    const lines: string[] = [];
    createLogger('t', (l) => lines.push(l))
      .child('c')
      .warn('w', { detail: { password: 'x' } });
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'warn',
      scope: 't.c',
      msg: 'w',
      detail: { password: '[redacted]' },
    });
  });
});

describe('rotating log file', () => {
  it('lives in <user data>/logs/main.log', () => {
    expect(logFileIn(join('u', 'd'))).toBe(join('u', 'd', 'logs', 'main.log'));
  });

  it('writes the JSON lines as they are, creating the directory', () => {
    const file = logFileIn(tmp());
    const sink = createFileSink(file, { sync: true });
    const log = createLogger('hcp', teeSink(sink.write));
    log.info('hello %s %% 100%', { n: 1, key: 'k' });
    log.error('second');
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual(['hello %s %% 100%', 'second']);
    expect(lines[0]).toMatchObject({ n: 1, key: '[redacted]' });
  });

  it('rotates by size and keeps the newest N files', () => {
    const dir = tmp();
    const file = logFileIn(dir);
    const sink = createFileSink(file, { sync: true, maxBytes: 200, keep: 2 });
    for (let i = 0; i < 40; i++) sink.write(JSON.stringify({ i, pad: 'x'.repeat(40) }));
    expect(readdirSync(join(dir, 'logs')).sort()).toEqual(['main.1.log', 'main.2.log', 'main.log']);
    const ids = (f: string) =>
      readFileSync(join(dir, 'logs', f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { i: number }).i);
    // Newest in main.log, then main.1.log, then main.2.log; nothing older than that is kept.
    expect(ids('main.log').at(-1)).toBe(39);
    expect(Math.max(...ids('main.1.log'))).toBeLessThan(Math.min(...ids('main.log')));
    expect(Math.max(...ids('main.2.log'))).toBeLessThan(Math.min(...ids('main.1.log')));
    expect(Math.min(...ids('main.2.log'))).toBeGreaterThan(0);
  });

  it('does not block: the default sink writes asynchronously and the line arrives', async () => {
    const file = logFileIn(tmp());
    const sink = createFileSink(file);
    sink.write('{"msg":"async"}');
    await expect
      .poll(() => {
        try {
          return readFileSync(file, 'utf8');
        } catch {
          return '';
        }
      })
      .toContain('"async"');
  });
});

describe('rotating log file: switching modes', () => {
  it('writes synchronously after setSync(true), asynchronously after setSync(false)', async () => {
    const file = logFileIn(tmp());
    const sink = createFileSink(file);
    sink.setSync(true);
    sink.write('{"msg":"now"}');
    expect(readFileSync(file, 'utf8')).toContain('"now"');
    sink.setSync(false);
    sink.write('{"msg":"later"}');
    await expect.poll(() => readFileSync(file, 'utf8')).toContain('"later"');
  });
});
