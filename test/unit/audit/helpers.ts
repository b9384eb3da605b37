import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../main/cache/database';
import { AuditTrail, type AuditClinician } from '../../../main/audit/index';

export const clinician: AuditClinician = {
  name: 'Dr Eleni Papadopoulou',
  registration: 'GR-MED-12345',
  certFingerprint: 'AB'.repeat(32),
};

export interface AuditFixture {
  dir: string;
  file: string;
  db: Db;
  trail: AuditTrail;
  advance(ms: number): void;
  now(): Date;
  close(): void;
}

/** A real SQLite file in a temp directory with an audit trail on a fake clock. */
export function auditFixture(): AuditFixture {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-audit-'));
  const file = join(dir, 'workstation.sqlite');
  const { db } = openDatabase(file);
  let clock = new Date('2026-03-01T10:00:00.000Z');
  const trail = new AuditTrail({ db, workstationId: 'ws-er-01', site: 'General Hospital', now: () => clock });
  return {
    dir,
    file,
    db,
    trail,
    advance: (ms) => (clock = new Date(clock.getTime() + ms)),
    now: () => clock,
    close: () => {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One entry of every step of the flow. */
export function recordWholeFlow(trail: AuditTrail): void {
  const patientRef = '0123456789abcdef0123456789abcdef';
  trail.qrScanned({ clinician, source: 'wedge' });
  trail.certificateChecked({ clinician });
  trail.hriLookup({ clinician, patientRef });
  trail.emergencyAccessStarted({
    clinician,
    patientRef,
    reasonCode: 'unconscious',
    reasonText: 'Brought in unresponsive',
    until: new Date('2026-03-01T11:00:00Z'),
  });
  trail.credentialsObtained({
    clinician,
    patientRef,
    provider: 'sts-assume-role',
    expiresAt: new Date('2026-03-01T10:15:00Z'),
  });
  trail.objectDownloaded({ clinician, patientRef, bucket: 'ehr', objectKey: 'citizen-x/manifest.hcpc', bytes: 1234 });
  trail.objectDownloaded({
    clinician,
    patientRef,
    bucket: 'ehr',
    objectKey: 'citizen-x/ips.hcpc',
    failure: { code: 'OBJECT_INTEGRITY_FAILED' },
  });
  trail.cacheOpened({ clinician, patientRef, recordId: 'rec-1', ageMs: 3_600_000, offline: true });
  trail.additionSubmitted({ clinician, patientRef, bucket: 'pending', objectKey: 'citizen-x/addition-1.hcpc' });
  trail.emergencyAccessStopped({
    clinician,
    patientRef,
    reason: 'closed',
    startedAt: new Date('2026-03-01T10:00:00Z'),
  });
  trail.cachePurged({ clinician: null, trigger: 'retention', records: 1, attachments: 2 });
}
