/** The audit trail: FHIR AuditEvent entries, hash-chained in SQLite, shipped to the audit bucket. */
export { AuditTrail, type AuditEntry, type AuditTrailOptions } from './trail';
export { type SessionEntries } from './session-entries';
export {
  verifyAuditChain,
  verifyAuditChainAsync,
  entryHash,
  GENESIS_HASH,
  type AuditChainReport,
  type ChainProblem,
} from './chain';
export {
  AuditShipper,
  auditBatchKey,
  auditHeadKey,
  auditPrefix,
  HEAD_IDLE_INTERVAL_MS,
  type AuditObjectStore,
  type AuditShipperOptions,
  type ShipResult,
  type AuditBatchObject,
} from './shipper';
export {
  auditSignerFromWorkstationKey,
  auditSignerFromSeed,
  checkAuditSignature,
  chainIdOf,
  chainResets,
  currentHead,
  readAnchorFile,
  verifyAgainstHead,
  writeAnchorFile,
  type AuditHeadObject,
  type AuditSignature,
  type AuditSigner,
  type ChainResetRecord,
  type HeadCheck,
  type HeadProblem,
} from './anchor';
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
  type LockTrigger,
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
  type ChainResetInput,
  type SessionLockedInput,
  type SessionUnlockedInput,
  type RecordPrintedInput,
} from './steps';
export { startAuditChain, type AuditChainStatus } from './startup';
