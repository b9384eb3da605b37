import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { WorkstationError } from '../../common/errors';

/**
 * Encryption at rest for the cache: AES-256-GCM with the workstation key, a random 96-bit nonce
 * per blob, and associated data naming where the blob belongs (table, record id, part), so a blob
 * moved to another row or another record fails authentication instead of showing the wrong patient.
 *
 * Sealed blob: version (1 byte, 1) || nonce (12) || ciphertext || tag (16).
 */
const VERSION = 1;
const NONCE = 12;
const TAG = 16;
export const SEAL_OVERHEAD = 1 + NONCE + TAG;

/** The associated data of a blob: its place, unambiguously encoded (JSON array of strings). */
export function blobAad(table: string, ...ids: string[]): Buffer {
  return Buffer.from(JSON.stringify(['hcp-cache-v1', table, ...ids]), 'utf8');
}

export function sealBlob(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]);
}

/** Opens a sealed blob; any tampering, swap, truncation or wrong key throws CACHE_CORRUPT. */
export function openBlob(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < SEAL_OVERHEAD || sealed[0] !== VERSION)
    throw new WorkstationError('CACHE_CORRUPT', { reason: 'format' });
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + NONCE));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE, sealed.length - TAG)), decipher.final()]);
  } catch (e) {
    throw new WorkstationError('CACHE_CORRUPT', { reason: 'authentication' }, { cause: e });
  }
}

/** A subkey for one purpose, so the workstation key is never used for two jobs directly. */
export function deriveSubkey(workstationKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', workstationKey, Buffer.alloc(0), `hcp-workstation ${purpose}`, 32));
}

/**
 * The patient reference stored in the cache and the audit trail: HMAC-SHA-256 of the citizen
 * pseudonym under a subkey of the workstation key, truncated to 128 bits (32 hex characters).
 * Keyed, because citizen identifiers are few enough to hash them all: without the key the
 * reference cannot be reversed by trying every identifier.
 */
export function patientRefFor(refKey: Buffer, citizenPseudonym: string): string {
  return createHmac('sha256', refKey).update(citizenPseudonym, 'utf8').digest('hex').slice(0, 32);
}
