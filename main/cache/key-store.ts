import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { WorkstationError } from '../../common/errors';

/** Bytes of the workstation key (AES-256). */
export const WORKSTATION_KEY_BYTES = 32;

/**
 * Where the workstation key comes from: the key that encrypts the record cache at rest (and keys
 * the patient reference). In the app it is protected by the OS (main/electron/safe-storage-key-store.ts);
 * tests, the CLI and the browser harness use a 0600 key file.
 */
export interface WorkstationKeyStore {
  /** The 32-byte key, created on first use. Throws CACHE_KEY_UNAVAILABLE when it cannot be had safely. */
  loadOrCreateKey(): Buffer;
}

/**
 * The key as raw bytes in a file readable by the owner only. Refuses a file of the wrong size and,
 * on POSIX, one readable by group or others (as ssh does): a key anyone could read protects nothing.
 */
export class FileKeyStore implements WorkstationKeyStore {
  constructor(readonly file: string) {}

  loadOrCreateKey(): Buffer {
    const existing = readKeyFile(this.file);
    if (existing) return checkKeyLength(existing, 'key-file-invalid');
    const key = randomBytes(WORKSTATION_KEY_BYTES);
    if (writeFileOnce(this.file, key)) return key;
    // Another process created it between our read and our write: use theirs.
    return checkKeyLength(readKeyFile(this.file) ?? Buffer.alloc(0), 'key-file-invalid');
  }
}

function readKeyFile(file: string): Buffer | null {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason: 'key-file-unreadable' }, { cause: e });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason: 'key-file-permissions' });
  }
  try {
    return readFileSync(file);
  } catch (e) {
    throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason: 'key-file-unreadable' }, { cause: e });
  }
}

export function checkKeyLength(key: Buffer, reason: string): Buffer {
  if (key.length !== WORKSTATION_KEY_BYTES) throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason });
  return key;
}

/**
 * Writes `bytes` to `file` (mode 0600, directory 0700) only if `file` does not exist yet, atomically:
 * the bytes go to a private temporary file, are synced, then hard-linked into place, so a crash never
 * leaves a half-written key and two processes never both win. Returns false when `file` already existed.
 */
export function writeFileOnce(file: string, bytes: Buffer): boolean {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason: 'key-file-unwritable' }, { cause: e });
  } finally {
    unlinkSync(tmp);
  }
}
