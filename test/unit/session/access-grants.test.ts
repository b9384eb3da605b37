import { describe, expect, it } from 'vitest';
import { AccessGrants } from '../../../main/session/access-grants';

function setup(minutes = 60) {
  let t = new Date('2026-11-21T10:00:00Z').getTime();
  let n = 0;
  const grants = new AccessGrants(minutes, () => new Date(t), () => `g${++n}`);
  return { grants, advance: (ms: number) => (t += ms) };
}
const reason = { code: 'emergency-treatment' as const, text: '' };
const clinician = (fp: string) => ({ name: `Dr ${fp}`, registration: 'R1', certFingerprint: fp });

describe('break-the-glass access grants', () => {
  it('grants time-limited access and refuses it after expiry', () => {
    const { grants, advance } = setup(30);
    const g = grants.start('P1', clinician('fp-a'), reason);
    expect(g.expiresAt.toISOString()).toBe('2026-11-21T10:30:00.000Z');
    expect(grants.require(g.grantId, 'fp-a').patientRef).toBe('P1');
    advance(30 * 60_000);
    expect(() => grants.require(g.grantId, 'fp-a')).toThrow(/ACCESS_EXPIRED/);
  });

  it('is bound to the clinician who broke the glass', () => {
    const { grants } = setup();
    const g = grants.start('P1', clinician('fp-a'), reason);
    expect(() => grants.require(g.grantId, 'fp-b')).toThrow(/ACCESS_EXPIRED/);
    expect(grants.end(g.grantId)?.clinician.name).toBe('Dr fp-a');
  });

  it('sweeps expired grants and ends all on lock', () => {
    const { grants, advance } = setup(10);
    grants.start('P1', clinician('fp'), reason);
    advance(5 * 60_000);
    grants.start('P2', clinician('fp'), reason);
    advance(6 * 60_000);
    expect(grants.sweepExpired().map((g) => g.patientRef)).toEqual(['P1']);
    expect(grants.endAll().map((g) => g.patientRef)).toEqual(['P2']);
    expect(grants.endAll()).toEqual([]);
  });
});
