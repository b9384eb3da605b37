import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/config/index';
import { MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH } from '../../../main/config/layers';
import { DEFAULTS_FILE, scratch } from './helpers';

/** Hostile or broken files: a clear problem, never a stack overflow or a long parse. */
describe('configuration input limits', () => {
  it('a file nested 100,000 levels deep is a problem, not a stack overflow', () => {
    const s = scratch();
    const depth = 100_000;
    const file = s.write(
      'deep.json',
      `{"hospital":{"name":"H","workstationId":"w"},"x":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    );
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file });
    expect(loaded.problems).toEqual([
      { source: file, key: '(file)', message: `is nested more than ${MAX_CONFIG_DEPTH} levels deep` },
    ]);
  });

  it('a deep object chain is refused the same way; a normal file still loads', () => {
    const s = scratch();
    let nested = '1';
    for (let i = 0; i < 40; i++) nested = `{"a":${nested}}`;
    const deep = s.write('deep2.json', `{"hospital":${nested}}`);
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: deep }).problems[0]?.message).toMatch(
      /nested more than/,
    );
    const ok = s.write('ok.json', { hospital: { name: 'General Hospital', workstationId: 'er-1' } });
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: ok }).problems).toEqual([]);
  });

  it('a file larger than the limit is refused before it is parsed', () => {
    const s = scratch();
    const file = s.write('big.json', `{"hospital":{"name":"${'x'.repeat(MAX_CONFIG_BYTES)}","workstationId":"w"}}`);
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile: file }).problems).toEqual([
      { source: file, key: '(file)', message: `is larger than ${MAX_CONFIG_BYTES} bytes: not a configuration file` },
    ]);
  });
});
