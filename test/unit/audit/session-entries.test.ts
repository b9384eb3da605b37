import { afterEach, describe, expect, it } from 'vitest';
import type { AuditClinician } from '../../../main/audit/index';
import { auditFixture, clinician, type AuditFixture } from './helpers';

const other: AuditClinician = { name: 'Dr Petros Second', registration: 'GR-MED-2', certFingerprint: 'CD'.repeat(32) };
let fx: AuditFixture;
afterEach(() => fx?.close());

describe('AuditTrail.sessionEntries (SQL, by index)', () => {
  it("lists the clinician's own entries since the latest sign-in, newest first; an unlock does not start a session", () => {
    fx = auditFixture();
    const t = fx.trail;
    // An earlier session, then another clinician's entries in between.
    t.certificateChecked({ clinician });
    t.qrScanned({ clinician, source: 'manual' });
    t.certificateChecked({ clinician: other });
    t.qrScanned({ clinician: other, source: 'wedge' });
    // A failed check does not start a session; the successful one after it does.
    t.certificateChecked({ clinician, failure: { code: 'PKI_EXPIRED', severity: 'serious' } });
    fx.advance(1000);
    const signIn = t.certificateChecked({ clinician });
    t.qrScanned({ clinician, source: 'wedge' });
    t.sessionLocked({ clinician, trigger: 'idle', grantsKept: 0 });
    // The unlock re-checks the certificate: the session goes on.
    t.certificateChecked({ clinician });
    t.sessionUnlocked({ clinician });
    t.qrScanned({ clinician: null, source: 'paste' }); // nobody's
    t.qrScanned({ clinician, source: 'serial', failure: { code: 'QR_TRUNCATED', severity: 'minor' } });

    const mine = t.sessionEntries(clinician.certFingerprint, 500);
    expect(mine.since).toBe(signIn.event.recorded);
    expect(mine.entries.map((e) => [e.step, e.ok, e.detail])).toEqual([
      ['qr-scan', false, 'serial'],
      ['session-unlock', true, null],
      ['certificate-check', true, null],
      ['session-lock', true, 'idle'],
      ['qr-scan', true, 'wedge'],
      ['certificate-check', true, null],
    ]);
    expect(mine.entries[0]!.errorCode).toBe('QR_TRUNCATED');
    expect(mine.entries.at(-1)!.seq).toBe(signIn.seq);
    // At most `limit`, the newest; the fingerprint in any case.
    expect(t.sessionEntries(clinician.certFingerprint.toLowerCase(), 2).entries.map((e) => e.step)).toEqual([
      'qr-scan',
      'session-unlock',
    ]);
    expect(t.sessionEntries(other.certFingerprint, 500).entries.map((e) => e.step)).toEqual([
      'qr-scan',
      'certificate-check',
    ]);
    expect(t.sessionEntries('EF'.repeat(32), 500)).toEqual({ since: null, entries: [] });
  });

  it('the emergency reason is opened for the review, and the lookup walks the clinician index', () => {
    fx = auditFixture();
    fx.trail.certificateChecked({ clinician });
    fx.trail.emergencyAccessStarted({
      clinician,
      patientRef: 'pref-1',
      reasonCode: 'unconscious-patient',
      reasonText: 'found on the floor',
      until: new Date(fx.now().getTime() + 60_000),
    });
    const [start] = fx.trail.sessionEntries(clinician.certFingerprint, 10).entries;
    expect(start).toMatchObject({ step: 'emergency-start', patientRef: 'pref-1' });
    expect(start!.detail).toMatch(/found on the floor|unconscious-patient/);
    const plan = fx.db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT seq FROM audit_log WHERE json_extract(entry, '$.event.agent[0].altId') = ? ORDER BY seq DESC`,
      )
      .all('x') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('audit_log_clinician');
  });
});
