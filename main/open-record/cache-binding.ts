import { createHmac, timingSafeEqual } from 'node:crypto';
import { hkdfSha256 } from '../crypto/index';

/**
 * Binds a cached record to the QR that opened it (issue 12 §4): the cache stores
 * `HMAC-SHA256(K, recordId)`, K = HKDF-SHA256(master key, salt "", info "hcp/v1/cache-binding").
 * Offline, a cached copy opens only for a QR whose master key gives the same check, so a QR that
 * merely names the citizen id (a forged or revoked key) does not open it. The check is inside the
 * sealed cache content and reveals nothing about the key.
 */
const INFO = Buffer.from('hcp/v1/cache-binding', 'utf8');

export function cacheBindingCheck(masterKey: Uint8Array, recordId: string): string {
  return createHmac('sha256', hkdfSha256(masterKey, Buffer.alloc(0), INFO))
    .update(recordId, 'utf8')
    .digest('base64url');
}

export function cacheBindingMatches(masterKey: Uint8Array, recordId: string, stored: string | undefined): boolean {
  if (!stored) return false;
  const a = Buffer.from(cacheBindingCheck(masterKey, recordId));
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
