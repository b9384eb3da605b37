import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { compactDecrypt, compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { WorkstationError } from '../../common/errors';

/**
 * The files of a SMART Health Link: compact JWE (alg `dir`, enc `A256GCM`, optional `zip: DEF`)
 * decrypted with the link's key, and SMART Health Cards (JWS ES256, raw-DEFLATE payload) checked
 * against their issuer's JWKS. Every size is capped before it is allocated.
 */
export const SHL_CONTENT_FHIR = 'application/fhir+json';
export const SHL_CONTENT_SHC = 'application/smart-health-card';

const inflateRawAsync = promisify(inflateRaw);
const COMPACT_JWE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface DecryptedFile {
  plaintext: Buffer;
  /** The JWE `cty` header, when present. */
  cty: string | null;
}

/** Decrypt one file; a wrong key or any change to the JWE is SHL_DECRYPT_FAILED, never partial output. */
export async function decryptShlFile(jwe: string, key: Uint8Array, maxPlaintextBytes: number): Promise<DecryptedFile> {
  const text = jwe.trim();
  if (!COMPACT_JWE.test(text)) throw new WorkstationError('SHL_DECRYPT_FAILED', { reason: 'not a compact JWE' });
  try {
    const { plaintext, protectedHeader } = await compactDecrypt(text, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      maxDecompressedLength: maxPlaintextBytes,
    });
    if (plaintext.byteLength > maxPlaintextBytes)
      throw new WorkstationError('SHL_TOO_LARGE', { limit: maxPlaintextBytes });
    return {
      plaintext: Buffer.from(plaintext),
      cty: typeof protectedHeader.cty === 'string' ? protectedHeader.cty.toLowerCase() : null,
    };
  } catch (e) {
    if (e instanceof WorkstationError) throw e;
    if (e instanceof Error && /exceeded the configured limit/.test(e.message))
      throw new WorkstationError('SHL_TOO_LARGE', { limit: maxPlaintextBytes }, { cause: e });
    throw new WorkstationError(
      'SHL_DECRYPT_FAILED',
      { reason: (e as { code?: string }).code ?? 'failed' },
      { cause: e },
    );
  }
}

/** Raw DEFLATE inflate that refuses to grow past `maxBytes` (a zip bomb stops at the cap). */
export async function inflateCapped(data: Uint8Array, maxBytes: number): Promise<Buffer> {
  try {
    return await inflateRawAsync(data, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
      throw new WorkstationError('SHL_TOO_LARGE', { limit: maxBytes }, { cause: e });
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'card payload does not inflate' }, { cause: e });
  }
}

export interface HealthCard {
  /** The FHIR Bundle the card carries, as JSON text. */
  bundle: string;
  /** The issuer (`iss`), an https URL. */
  issuer: string;
  /** True when the signature verified against the issuer's JWKS; false when the JWKS could not be had. */
  issuerVerified: boolean;
}

/** Where an issuer's keys come from: null when the JWKS could not be obtained (offline, refused). */
export type JwksSource = (issuer: string) => Promise<JSONWebKeySet | null>;

/**
 * A SMART Health Card file ({"verifiableCredential": [JWS...]}): the first card's payload, with
 * its signature checked against `<iss>/.well-known/jwks.json` when that can be fetched. A card
 * whose issuer's keys were obtained but do not verify it is refused (SHL_CARD_SIGNATURE_INVALID).
 */
export async function readHealthCard(json: string, jwks: JwksSource, maxInflateBytes: number): Promise<HealthCard> {
  let file: unknown;
  try {
    file = JSON.parse(json);
  } catch {
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'card file is not JSON' });
  }
  const list = (file as { verifiableCredential?: unknown } | null)?.verifiableCredential;
  if (!Array.isArray(list) || list.length === 0 || typeof list[0] !== 'string' || !COMPACT_JWS.test(list[0])) {
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'no verifiableCredential' });
  }
  const jws = list[0];
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'card header' });
  }
  if (header.alg !== 'ES256' || header.zip !== 'DEF')
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'card must be ES256 with zip DEF' });

  const payload = await cardPayload(Buffer.from(jws.split('.')[1]!, 'base64url'), maxInflateBytes);
  const issuer = payload.iss;
  const keys = await jwks(issuer).catch(() => null);
  let issuerVerified = false;
  if (keys) {
    try {
      const verified = await compactVerify(jws, createLocalJWKSet(keys), { algorithms: ['ES256'] });
      // The verified bytes are the ones parsed below (not the unverified decode above).
      const checked = await cardPayload(verified.payload, maxInflateBytes);
      if (checked.iss !== issuer) throw new Error('issuer changed');
      issuerVerified = true;
    } catch (e) {
      throw new WorkstationError('SHL_CARD_SIGNATURE_INVALID', { issuer: new URL(issuer).host }, { cause: e });
    }
  }
  return { bundle: JSON.stringify(payload.bundle), issuer, issuerVerified };
}

async function cardPayload(deflated: Uint8Array, maxInflateBytes: number): Promise<{ iss: string; bundle: unknown }> {
  const inflated = await inflateCapped(deflated, maxInflateBytes);
  let p: { iss?: unknown; vc?: { credentialSubject?: { fhirBundle?: unknown } } };
  try {
    p = JSON.parse(inflated.toString('utf8')) as typeof p;
  } catch {
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'card payload is not JSON' });
  }
  const iss = p?.iss;
  if (typeof iss !== 'string' || !/^https:\/\/[^/\s]+(\/[^\s]*)?$/.test(iss) || iss.endsWith('/'))
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'card iss' });
  const bundle = p.vc?.credentialSubject?.fhirBundle;
  if (!bundle || typeof bundle !== 'object')
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'card has no fhirBundle' });
  return { iss, bundle };
}
