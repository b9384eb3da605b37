import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
import { base64UrlEncode } from '../crypto';
import { publicJwkSchema, type PublicJwk } from './manifest';

/**
 * The patient's signature over the manifest: a JWS (RFC 7515) in flattened JSON serialization,
 * ES256 (P-256, r||s) or RS256 (RSASSA-PKCS1-v1_5, >= 2048 bits), over the exact payload bytes —
 * no canonicalisation needed. The key is named by its RFC 7638 thumbprint (`kid`).
 */
export type SignatureAlgorithm = 'ES256' | 'RS256';

export interface PatientSigner {
  /** The patient's private key (EC P-256 or RSA >= 2048). Lives on the patient's phone only. */
  privateKey: KeyObject;
}

export const MANIFEST_JWS_CONTENT_TYPE = 'application/vnd.hcp.manifest+json';

/** RFC 7638 JWK SHA-256 thumbprint, base64url. */
export function jwkThumbprint(jwk: PublicJwk): string {
  const canonical =
    jwk.kty === 'EC'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return base64UrlEncode(createHash('sha256').update(canonical, 'utf8').digest());
}

export function algorithmFor(key: KeyObject): SignatureAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new WorkstationError('INVALID_INPUT', { field: 'signingKey' });
}

/** The public JWK of a signer, reduced to the members the manifest carries. */
export function signerPublicJwk(signer: PatientSigner): PublicJwk {
  algorithmFor(signer.privateKey);
  const jwk = createPublicKey(signer.privateKey).export({ format: 'jwk' });
  return publicJwkSchema.parse(
    jwk.kty === 'EC' ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: 'RSA', n: jwk.n, e: jwk.e },
  );
}

export interface JwsSignature {
  protected: string;
  signature: string;
}

export function signPayload(payloadB64: string, signer: PatientSigner, kid: string): JwsSignature {
  const alg = algorithmFor(signer.privateKey);
  const protectedB64 = base64UrlEncode(
    Buffer.from(JSON.stringify({ alg, kid, cty: MANIFEST_JWS_CONTENT_TYPE }), 'utf8'),
  );
  const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
  const signature =
    alg === 'ES256'
      ? sign('sha256', input, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', input, signer.privateKey);
  return { protected: protectedB64, signature: base64UrlEncode(signature) };
}

/** True when `signature` over `protected.payload` verifies with `jwk` under `alg`. */
export function verifyPayload(
  alg: SignatureAlgorithm,
  jwk: PublicJwk,
  protectedB64: string,
  payloadB64: string,
  signature: Buffer,
): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return false;
  }
  const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
  try {
    if (alg === 'ES256') {
      if (jwk.kty !== 'EC' || signature.length !== 64) return false;
      return verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (jwk.kty !== 'RSA' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return false;
    return verify('sha256', input, key, signature);
  } catch {
    return false;
  }
}
