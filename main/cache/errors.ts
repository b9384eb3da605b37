import { storageErrorCode, WorkstationError } from '../../common/errors';

/**
 * Storage failures as typed errors: SQLite's BUSY/LOCKED, FULL, IOERR, READONLY, CORRUPT and the
 * disk errnos (ENOSPC, EROFS, EIO) become STORAGE_* (common/errors.ts storageErrorCode, the one
 * mapping, which toErrorInfo also applies at every boundary). The original error stays the cause
 * (main process only). Anything else is returned unchanged.
 */
export function asStorageError(e: unknown): unknown {
  if (e instanceof WorkstationError) return e;
  const code = storageErrorCode(e);
  return code ? new WorkstationError(code, undefined, { cause: e }) : e;
}

/** Runs `fn`, rethrowing storage failures typed. */
export function withStorageErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asStorageError(e);
  }
}
