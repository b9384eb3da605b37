import { constants, sign, verify, type KeyObject } from 'node:crypto';
import { WorkstationError } from '../../common/errors';

/**
 * Which JOSE signature algorithms (RFC 7518 §3, RFC 8037) a key can make, and making or checking
 * them with Node's crypto. One table for sign-in (a credential whose key cannot sign an addition is
 * refused when it is loaded, never later), for the clinician's signatures and for the verifier.
 *
 *  - EC P-256 / P-384 / P-521: ES256 / ES384 / ES512 (the curve fixes the hash, RFC 7518 §3.4),
 *    signature as JOSE's raw r||s, not DER.
 *  - Ed25519: EdDSA (RFC 8037). Ed448 keys are not accepted at sign-in (main/pki refuses the
 *    certificate's key), so they are not offered here either.
 *  - RSA (rsaEncryption) >= 2048 bits: PS256 (the default), PS384, PS512, RS256.
 *  - RSA-PSS keys (id-RSASSA-PSS) >= 2048 bits: PS256/384/512 as the key's parameters allow.
 *    A key restricted to a hash (RFC 4055 §3.1: hashAlgorithm, maskGenAlgorithm, minimum
 *    saltLength) signs only with that hash; JOSE's PSxxx fixes MGF1 to the same hash and the salt
 *    to the hash length, so a key whose MGF1 hash differs or whose minimum salt is longer cannot
 *    make any JOSE signature and is refused.
 */
export const JWS_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'PS256', 'PS384', 'PS512', 'RS256'] as const;
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

type Hash = 'sha256' | 'sha384' | 'sha512';
const HASH_BYTES: Record<Hash, number> = { sha256: 32, sha384: 48, sha512: 64 };
const PSS: Record<Hash, JwsAlgorithm> = { sha256: 'PS256', sha384: 'PS384', sha512: 'PS512' };
const EC: Record<string, { alg: JwsAlgorithm; hash: Hash; size: number }> = {
  prime256v1: { alg: 'ES256', hash: 'sha256', size: 32 },
  secp384r1: { alg: 'ES384', hash: 'sha384', size: 48 },
  secp521r1: { alg: 'ES512', hash: 'sha512', size: 66 },
};
const MIN_RSA_BITS = 2048;

function hashOf(alg: JwsAlgorithm): Hash {
  if (alg === 'ES384' || alg === 'PS384') return 'sha384';
  if (alg === 'ES512' || alg === 'PS512') return 'sha512';
  return 'sha256';
}

/** The algorithms `key` (private or public) can make, the preferred first; empty when none. */
export function jwsAlgorithmsFor(key: KeyObject): JwsAlgorithm[] {
  const type = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const ec = EC[d.namedCurve ?? ''];
    return ec ? [ec.alg] : [];
  }
  if (type === 'ed25519') return ['EdDSA'];
  if ((type === 'rsa' || type === 'rsa-pss') && (d.modulusLength ?? 0) < MIN_RSA_BITS) return [];
  if (type === 'rsa') return ['PS256', 'PS384', 'PS512', 'RS256'];
  if (type === 'rsa-pss') {
    if (d.hashAlgorithm === undefined) return ['PS256', 'PS384', 'PS512'];
    const hash = d.hashAlgorithm as Hash;
    if (!(hash in HASH_BYTES)) return [];
    if ((d.mgf1HashAlgorithm ?? hash) !== hash) return [];
    if ((d.saltLength ?? 0) > HASH_BYTES[hash]) return [];
    return [PSS[hash]];
  }
  return [];
}

/** A short description of a key for messages ("EC secp256k1", "RSA-PSS-2048 sha256/mgf1 sha1"). */
export function keyDescription(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ec':
      return `EC ${d.namedCurve ?? 'unknown curve'}`;
    case 'rsa':
      return `RSA-${d.modulusLength ?? 0}`;
    case 'rsa-pss':
      return `RSA-PSS-${d.modulusLength ?? 0}${d.hashAlgorithm ? ` ${d.hashAlgorithm}/MGF1 ${d.mgf1HashAlgorithm ?? d.hashAlgorithm}/salt ${d.saltLength ?? 0}` : ''}`;
    default:
      return key.asymmetricKeyType ?? 'unknown key';
  }
}

/** The algorithm a clinician's key signs with; PKI_CREDENTIAL_CANNOT_SIGN when it can make none. */
export function preferredJwsAlgorithm(key: KeyObject): JwsAlgorithm {
  const algs = jwsAlgorithmsFor(key);
  if (!algs.length) throw new WorkstationError('PKI_CREDENTIAL_CANNOT_SIGN', { algorithm: keyDescription(key) });
  return algs[0]!;
}

/** Sign `input` as `alg` (the key must allow it: see jwsAlgorithmsFor). */
export function jwsSign(alg: JwsAlgorithm, key: KeyObject, input: Uint8Array): Buffer {
  if (!jwsAlgorithmsFor(key).includes(alg))
    throw new WorkstationError('PKI_CREDENTIAL_CANNOT_SIGN', { algorithm: `${alg} with ${keyDescription(key)}` });
  const hash = hashOf(alg);
  if (alg === 'EdDSA') return sign(null, input, key);
  if (alg.startsWith('ES')) return sign(hash, input, { key, dsaEncoding: 'ieee-p1363' });
  if (alg.startsWith('PS'))
    return sign(hash, input, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] });
  return sign(hash, input, { key, padding: constants.RSA_PKCS1_PADDING });
}

/** Check a JOSE signature; false for a key that cannot make `alg` or a signature of the wrong form. */
export function jwsVerify(alg: JwsAlgorithm, key: KeyObject, input: Uint8Array, signature: Uint8Array): boolean {
  if (!jwsAlgorithmsFor(key).includes(alg)) return false;
  const hash = hashOf(alg);
  try {
    if (alg === 'EdDSA') return signature.length === 64 && verify(null, input, key, signature);
    if (alg.startsWith('ES')) {
      const size = EC[key.asymmetricKeyDetails?.namedCurve ?? '']!.size;
      return signature.length === 2 * size && verify(hash, input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (alg.startsWith('PS'))
      return verify(
        hash,
        input,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] },
        signature,
      );
    return verify(hash, input, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}
