import { describe, expect, it, vi } from 'vitest';
import { AccessGrants } from '../../../main/session/access-grants';

function setup(minutes = 60) {
  let t = new Date('2026-11-21T10:00:00Z').getTime();
  let n = 0;
  const grants = new AccessGrants(
    minutes,
    () => new Date(t),
    () => `g${++n}`,
  );
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

describe('the expiry timer in main', () => {
  it('calls onExpire at each grant limit without anyone asking, and not for a grant that ended', () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T10:00:00Z') });
    try {
      let fired = 0;
      let n = 0;
      const grants = new AccessGrants(
        10,
        () => new Date(),
        () => `g${++n}`,
        () => fired++,
      );
      const a = grants.start('P1', clinician('fp'), reason);
      const b = grants.start('P2', clinician('fp'), reason);
      grants.end(b.grantId);
      vi.advanceTimersByTime(10 * 60_000 - 1);
      expect(fired).toBe(0);
      vi.advanceTimersByTime(1);
      expect(fired).toBe(1);
      expect(grants.sweepExpired().map((g) => g.grantId)).toEqual([a.grantId]);
      vi.advanceTimersByTime(60 * 60_000);
      expect(fired).toBe(1);
      expect(grants.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('waits again when the timer fires before the limit (the wall clock moved back)', () => {
    vi.useFakeTimers({ now: new Date('2026-11-21T10:00:00Z') });
    try {
      let skew = 0;
      let fired = 0;
      const grants = new AccessGrants(
        10,
        () => new Date(Date.now() - skew),
        () => 'g',
        () => fired++,
      );
      grants.start('P1', clinician('fp'), reason);
      skew = 60_000;
      vi.advanceTimersByTime(10 * 60_000);
      expect(fired).toBe(0);
      vi.advanceTimersByTime(60_000);
      expect(fired).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
