/** The record layout: manifest, objects, the patient's signature; writing (patient) and opening (workstation). */
export {
  MANIFEST_FORMAT,
  MANIFEST_SCHEMA_VERSION,
  KNOWN_ROLES,
  manifestSchema,
  manifestObjectSchema,
  ipsSummaryEntry,
  type KnownRole,
  type ManifestObject,
  type RecordManifest,
  type PublicJwk,
} from './manifest';
export {
  manifestObjectKey,
  recordObjectKey,
  manifestAssociatedData,
  objectAssociatedData,
  auditObjectName,
  CONTAINER_CONTENT_TYPE,
} from './layout';
export { jwkThumbprint, signerPublicJwk, algorithmFor, type PatientSigner, type SignatureAlgorithm } from './signature';
export {
  RecordWriter,
  writeRecord,
  type RecordWriterOptions,
  type NewObject,
  type Upload,
  type BufferUpload,
  type StreamUpload,
  type FinishedRecord,
  type WriteRecordInput,
} from './writer';
export {
  openManifest,
  openRecordObject,
  createObjectDecryptStream,
  openObjectReader,
  type RecordKey,
  type OpenManifestOptions,
  type VerifiedManifest,
} from './reader';
export { RecordFreshness, checkFreshness, type FreshnessEntry } from './freshness';
