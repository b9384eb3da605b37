import type { KeyObject } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
import { base64UrlDecode, base64UrlEncode } from '../crypto';
import {
  parseCertificate,
  type Certificate,
  JWS_ALGORITHMS,
  jwsAlgorithmsFor,
  jwsSign,
  jwsVerify,
  keyDescription,
  preferredJwsAlgorithm,
  type JwsAlgorithm,
} from '../pki';

/**
 * Detached JWS (RFC 7515 appendix F) in compact form: `BASE64URL(header) + '..' + BASE64URL(sig)`,
 * the signature being over `ASCII(BASE64URL(header) + '.' + BASE64URL(payload))` — the payload is
 * base64url-encoded as usual (no RFC 7797 `b64: false`), it just is not carried in the JWS.
 *
 * Protected header: {alg, typ: "JOSE", x5c: [leaf, intermediates... (base64 DER)], sigT}.
 * Algorithms (main/pki/signing.ts, one table for sign-in, signing and verification): ES256/ES384/
 * ES512 for P-256/P-384/P-521 keys (raw r||s), EdDSA for Ed25519, PS256/PS384/PS512 and RS256 for
 * RSA keys >= 2048 bits, PSxxx for RSA-PSS keys as their parameters allow (a key restricted to
 * SHA-384 signs PS384).
 */
export { JWS_ALGORITHMS, type JwsAlgorithm };

export interface JwsHeader {
  alg: JwsAlgorithm;
  typ: 'JOSE';
  x5c: string[];
  /** Claimed signing time (JAdES sigT), ISO 8601 UTC without fractions. */
  sigT: string;
}

export interface JwsSigner {
  privateKey: KeyObject;
  /** DER certificates, the signer's first, then its chain (no trust anchor needed). */
  certificates: readonly Uint8Array[];
  /** Default: the key's preferred algorithm (ES256/384/512 by curve, EdDSA, PS256 for RSA, PSxxx by an RSA-PSS key's hash). */
  alg?: JwsAlgorithm;
}

export interface VerifiedJws {
  header: JwsHeader;
  /** Parsed x5c, the signer's certificate first. */
  certificates: Certificate[];
  signedAt: Date;
}

const invalid = (reason: string) => new WorkstationError('ADDITION_SIGNATURE_INVALID', { reason });

/** ISO 8601 UTC, whole seconds: what sigT carries. */
export function sigTime(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Signs `payload` and returns the detached compact JWS. */
export function signDetachedJws(payload: Uint8Array, signer: JwsSigner, signingTime: Date): string {
  const alg = signer.alg ?? preferredJwsAlgorithm(signer.privateKey);
  if (!jwsAlgorithmsFor(signer.privateKey).includes(alg))
    throw new WorkstationError('PKI_CREDENTIAL_CANNOT_SIGN', {
      algorithm: `${alg} with ${keyDescription(signer.privateKey)}`,
    });
  if (!signer.certificates.length) throw new WorkstationError('INVALID_INPUT', { field: 'certificates' });
  const header: JwsHeader = {
    alg,
    typ: 'JOSE',
    x5c: signer.certificates.map((c) => Buffer.from(c).toString('base64')),
    sigT: sigTime(signingTime),
  };
  const headerB64 = base64UrlEncode(Buffer.from(JSON.stringify(header), 'utf8'));
  const input = Buffer.from(`${headerB64}.${base64UrlEncode(Buffer.from(payload))}`, 'ascii');
  return `${headerB64}..${base64UrlEncode(jwsSign(alg, signer.privateKey, input))}`;
}

const STD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseHeader(headerB64: string): JwsHeader {
  const bytes = base64UrlDecode(headerB64);
  if (!bytes) throw invalid('encoding');
  let header: unknown;
  try {
    header = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('header');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid('header');
  const h = header as Record<string, unknown>;
  // No extension we would have to understand: a `crit` (or b64) header is refused, as RFC 7515 §4.1.11 requires.
  if ('crit' in h || 'b64' in h) throw invalid('crit');
  if (typeof h.alg !== 'string' || !(JWS_ALGORITHMS as readonly string[]).includes(h.alg)) throw invalid('algorithm');
  if (h.typ !== undefined && h.typ !== 'JOSE') throw invalid('typ');
  if (
    !Array.isArray(h.x5c) ||
    h.x5c.length === 0 ||
    h.x5c.length > 10 ||
    !h.x5c.every((c) => typeof c === 'string' && STD_BASE64.test(c))
  )
    throw invalid('x5c');
  if (
    typeof h.sigT !== 'string' ||
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(h.sigT) ||
    Number.isNaN(Date.parse(h.sigT))
  )
    throw invalid('sigT');
  return { alg: h.alg as JwsAlgorithm, typ: 'JOSE', x5c: h.x5c as string[], sigT: h.sigT };
}

/**
 * Verifies a detached compact JWS over `payload` with the key of x5c[0]. Only the signature: the
 * chain is the caller's to validate (main/pki verifyClinicianChain). ADDITION_SIGNATURE_INVALID
 * {reason} on any failure.
 */
export function verifyDetachedJws(jws: string, payload: Uint8Array): VerifiedJws {
  const parts = jws.split('.');
  if (parts.length !== 3) throw invalid('format');
  const [headerB64, embedded, signatureB64] = parts as [string, string, string];
  if (embedded !== '') throw invalid('not-detached');
  const header = parseHeader(headerB64);
  let certificates: Certificate[];
  try {
    certificates = header.x5c.map((c) => parseCertificate(Buffer.from(c, 'base64')));
  } catch {
    throw invalid('x5c');
  }
  const publicKey = certificates[0]!.publicKey;
  if (!publicKey) throw invalid('x5c');
  if (!jwsAlgorithmsFor(publicKey).includes(header.alg)) throw invalid('algorithm');
  const signature = base64UrlDecode(signatureB64);
  if (!signature || signature.length === 0) throw invalid('encoding');
  const input = Buffer.from(`${headerB64}.${base64UrlEncode(Buffer.from(payload))}`, 'ascii');
  if (!jwsVerify(header.alg, publicKey, input, signature)) throw invalid('signature');
  return { header, certificates, signedAt: new Date(header.sigT) };
}
