import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { safeStorage } from 'electron';
import { WorkstationError } from '../../common/errors';
import { WORKSTATION_KEY_BYTES, checkKeyLength, writeFileOnce, type WorkstationKeyStore } from '../cache';

/**
 * The workstation key protected by the OS (DPAPI, Keychain, libsecret/kwallet): a random key,
 * encrypted with safeStorage and kept in a file in userData. On Linux with the `basic_text`
 * backend safeStorage "encrypts" with a hard-coded password; that is plaintext in disguise, so we
 * refuse (CACHE_KEY_UNAVAILABLE) rather than pretend the cache is protected.
 * Uses the synchronous safeStorage calls because the key is needed while the workstation is built.
 */
export class SafeStorageKeyStore implements WorkstationKeyStore {
  constructor(readonly file: string) {}

  loadOrCreateKey(): Buffer {
    if (!safeStorage.isEncryptionAvailable())
      throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason: 'os-encryption-unavailable' });
    if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
      throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason: 'no-os-keyring' });
    }
    if (!existsSync(this.file)) {
      const key = randomBytes(WORKSTATION_KEY_BYTES);
      if (writeFileOnce(this.file, safeStorage.encryptString(key.toString('base64')))) return key;
    }
    let encoded: string;
    try {
      encoded = safeStorage.decryptString(readFileSync(this.file));
    } catch (e) {
      throw new WorkstationError('CACHE_KEY_UNAVAILABLE', { reason: 'key-file-undecryptable' }, { cause: e });
    }
    return checkKeyLength(Buffer.from(encoded, 'base64'), 'key-file-invalid');
  }
}
