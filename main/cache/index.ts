/** The workstation database and the encrypted record cache. */
export { openDatabase, type Db, type OpenDatabaseResult, isCorruption, quarantineDatabase } from './database';
export {
  FileKeyStore,
  WORKSTATION_KEY_BYTES,
  type WorkstationKeyStore,
  checkKeyLength,
  writeFileOnce,
} from './key-store';
export {
  RecordCache,
  type RecordCacheOptions,
  type RecordContent,
  type StoreRecordInput,
  type CachedRecord,
  type CachedRecordSummary,
  type CachedAttachmentInfo,
  type CacheStats,
  type PurgeResult,
  type PurgeReason,
} from './records';
export { asStorageError, withStorageErrors } from './errors';
export { blobAad, deriveSubkey, openBlob, sealBlob } from './seal';
export { type Migration } from './migrations/index';
