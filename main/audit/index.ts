/** The audit trail: FHIR AuditEvent entries, hash-chained in SQLite, shipped to the audit bucket. */
export { AuditTrail, type AuditEntry, type AuditTrailOptions } from './trail';
export { verifyAuditChain, assertAuditChain, entryHash, GENESIS_HASH, type AuditChainReport, type ChainProblem } from './chain';
export { AuditShipper, auditBatchKey, type AuditObjectStore, type AuditShipperOptions, type ShipResult, type AuditBatchObject } from './shipper';
export { AuditEvent, AuditAgent, AuditEntity, DCM, SYSTEMS, EMERGENCY_PURPOSE } from './event';
export { canonicalJson } from './canonical';
export {
  auditSteps,
  type AuditClinician,
  type AuditContext,
  type AuditFailure,
  type AuditSeverity,
  type AuditStep,
  type ScanSource,
  type PurgeTrigger,
  type EmergencyStopReason,
  type QrScannedInput,
  type CertificateCheckedInput,
  type HriLookupInput,
  type CredentialsObtainedInput,
  type ObjectDownloadedInput,
  type CacheOpenedInput,
  type CachePurgedInput,
  type EmergencyAccessStartedInput,
  type EmergencyAccessStoppedInput,
  type AdditionSubmittedInput,
} from './steps';
