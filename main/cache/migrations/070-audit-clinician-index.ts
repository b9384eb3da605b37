import type { Migration } from './index';

/**
 * The signed-in clinician's own audit entries (AuditTrail.sessionEntries, the review screen) are
 * found by index, not by parsing the whole log: the clinician is the first agent of every entry a
 * clinician made (main/audit/steps.ts), so an index on that agent's altId and seq answers "mine,
 * newest first" by a range walk. Outside the chain (nothing hashed changes).
 */
export const m070AuditClinicianIndex: Migration = {
  id: 70,
  name: 'audit-clinician-index',
  up: `
    CREATE INDEX audit_log_clinician ON audit_log (json_extract(entry, '$.event.agent[0].altId'), seq);
  `,
};
