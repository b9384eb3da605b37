import { WorkstationError } from '../../common/errors';
import { manifestSchema, type RecordManifest } from '../record/index';

/**
 * The manifest of a cached record, parsed again with its schema (the cache stores it as opaque
 * JSON, and an SHL copy stores its provenance there instead): null when it is not a record manifest.
 */
export function parseCachedManifest(manifest: unknown): RecordManifest | null {
  const parsed = manifestSchema.safeParse(manifest);
  return parsed.success ? parsed.data : null;
}

/** The same, for a copy about to be shown: one that is not a valid record manifest is CACHE_CORRUPT. */
export function requireCachedManifest(manifest: unknown): RecordManifest {
  const parsed = parseCachedManifest(manifest);
  if (!parsed) throw new WorkstationError('CACHE_CORRUPT', { reason: 'manifest' });
  return parsed;
}
