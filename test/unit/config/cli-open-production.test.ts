/**
 * `cli open` in production mode refuses to run unless its audit trail persists (a data directory)
 * and ships (cloud.defaultEndpoint): a headless open must not leave the break-the-glass unaudited
 * (issue 12 §5). The refusal comes before any sign-in or network use.
 */
import { describe, expect, it } from 'vitest';
import { createOpenCommand } from '../../../main/cli/commands/open';
import { productionMachine, scratch, withKey } from './helpers';

async function open(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await createOpenCommand({ HCP_PASSPHRASE: 'x', ...env }).run(argv, {
    out: () => {},
    err: (l) => err.push(l),
  });
  return { code, err: err.join('\n') };
}

describe('cli open in production mode', () => {
  const s = scratch();
  const credential = s.write('clinician.p12', 'not read before the check');
  const machine = withKey(
    withKey(productionMachine(s), 'cloud.credentials', {
      kind: 'emergency-access',
      endpoint: 'https://access.ehr.example',
    }),
    'cloud.defaultEndpoint',
    'https://s3.ehr.example',
  );
  const config = s.write('production.json', machine);
  const noCloud = s.write('no-cloud.json', withKey(machine, 'cloud.defaultEndpoint', null));
  const args = (file: string) => ['--qr', 'HCPEAAAA', '--credential', credential, '--config', file];

  it('refuses without a data directory (the audit would be deleted with the temporary one)', async () => {
    const r = await open(args(config));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^CLI_AUDIT_NOT_DURABLE: In production mode a headless open must leave an audit trail that persists and ships: give --data-dir/,
    );
  });

  it('refuses without a cloud to ship the audit to, even with a data directory', async () => {
    const r = await open([...args(noCloud), '--data-dir', s.dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^CLI_AUDIT_NOT_DURABLE: .*give cloud\.defaultEndpoint/);
  });

  it('goes past the check with both (and then fails on the fake credential, not on the check)', async () => {
    const r = await open(args(config), { HCP_DATA_DIR: s.dir });
    expect(r.err).not.toMatch(/CLI_AUDIT_NOT_DURABLE/);
    expect(r.code).toBe(1);
  });
});
