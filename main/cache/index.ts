/** The workstation database and the encrypted record cache. */
export { openDatabase, type Db, type OpenDatabaseResult } from './database';
export { FileKeyStore, WORKSTATION_KEY_BYTES, type WorkstationKeyStore } from './key-store';
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
