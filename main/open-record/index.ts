/** Opening an emergency record: scan -> break the glass -> open -> attachments -> close. */
export { EmergencyService, type EmergencyServiceDeps, type ExternalRecord } from './emergency-service';
export { PendingScans, SCAN_TTL_MS, MAX_PENDING_SCANS, type PendingScansOptions } from './pending-scans';
export { EmergencyGrants, type EmergencyGrantsDeps } from './grants';
export { RecordAccess, type OpenState, type RecordAccessDeps } from './record-access';
export {
  openEmergencyRecord,
  OPEN_STEP_CHANNEL,
  type OpenRecordDeps,
  type OpenRecordInput,
  type OpenedRecord,
} from './open-record';
export { cacheBindingCheck, cacheBindingMatches } from './cache-binding';
export { parseCachedManifest, requireCachedManifest } from './cached-manifest';
