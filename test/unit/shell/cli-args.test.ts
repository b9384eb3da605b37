import { describe, expect, it } from 'vitest';
import { cliArgsOf } from '../../../main/shell/cli-args';

describe('hcp-workstation --cli', () => {
  it('takes everything after --cli as the CLI argv (installed app and electron .)', () => {
    expect(
      cliArgsOf(['/opt/HCP Workstation/hcp-workstation', '--cli', 'verify-cert', '--credential', 'x.p12']),
    ).toEqual(['verify-cert', '--credential', 'x.p12']);
    expect(cliArgsOf(['electron', '.', '--cli', 'help'])).toEqual(['help']);
    expect(cliArgsOf(['electron', '.', '--cli'])).toEqual([]);
  });
  it('is a normal start without --cli', () => {
    expect(cliArgsOf(['/opt/HCP Workstation/hcp-workstation'])).toBeNull();
    expect(cliArgsOf(['electron', '.', '--user-data-dir=/tmp/x'])).toBeNull();
  });
});
