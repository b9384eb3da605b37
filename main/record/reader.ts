import { createHash } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
import {
  decryptContainer,
  type ContainerKeyParams,
  type ExpectedPlaintext,
  openContainerReader,
  type ContainerReader,
  type ContainerReaderOptions,
  type FetchCiphertextRange,
  createDecryptStream,
  type ContainerDecryptStream,
  base64UrlDecode,
} from '../crypto';
import { manifestAssociatedData, objectAssociatedData } from './layout';
import { manifestSchema, type ManifestObject, type RecordManifest } from './manifest';
import { jwkThumbprint, verifyPayload, type SignatureAlgorithm } from './signature';

/**
 * The workstation side: opens and verifies the manifest, then each object against its entry.
 * Nothing is returned before its integrity check has passed.
 */
export interface RecordKey {
  masterKey: Buffer;
  citizenId: string;
}

export interface OpenManifestOptions extends RecordKey {
  /** Refuse an unsigned manifest. */
  requireSignature?: boolean;
  /** Pin the patient's key (RFC 7638 thumbprint) when it is known from elsewhere (e.g. the cache). */
  expectedSignerKid?: string;
}

export interface VerifiedManifest {
  manifest: RecordManifest;
  /** SHA-256 (hex) of the manifest payload bytes. */
  payloadSha256: string;
  /** The verified signature, or null for an unsigned manifest. */
  signer: { alg: SignatureAlgorithm; kid: string } | null;
}

const invalid = (reason: string) => new WorkstationError('MANIFEST_INVALID', { reason });
const badSignature = (reason: string) => new WorkstationError('MANIFEST_SIGNATURE_INVALID', { reason });

function parseJson(bytes: Buffer, reason: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid(reason);
  }
}

/** Decrypts and verifies the manifest container: CONTAINER_*, MANIFEST_INVALID or MANIFEST_SIGNATURE_INVALID. */
export function openManifest(container: Buffer, options: OpenManifestOptions): VerifiedManifest {
  const { plaintext } = decryptContainer(container, {
    masterKey: options.masterKey,
    purpose: 'manifest',
    associatedData: manifestAssociatedData(options.citizenId),
  });
  const envelope = parseJson(plaintext, 'envelope');
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) throw invalid('envelope');
  const { payload: payloadB64, protected: protectedB64, signature: signatureB64 } = envelope as Record<string, unknown>;
  if (typeof payloadB64 !== 'string') throw invalid('envelope');
  const payload = base64UrlDecode(payloadB64);
  if (!payload) throw invalid('envelope');
  const parsed = manifestSchema.safeParse(parseJson(payload, 'json'));
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'schema');
  const manifest = parsed.data;
  if (manifest.citizenId !== options.citizenId) throw invalid('citizen');

  let signer: VerifiedManifest['signer'] = null;
  const signed = protectedB64 !== undefined || signatureB64 !== undefined;
  if (signed || manifest.patientKey) {
    if (!manifest.patientKey) throw badSignature('no-key');
    if (typeof protectedB64 !== 'string' || typeof signatureB64 !== 'string') throw badSignature('missing');
    const protectedBytes = base64UrlDecode(protectedB64);
    const signature = base64UrlDecode(signatureB64);
    if (!protectedBytes || !signature) throw badSignature('encoding');
    let header: unknown;
    try {
      header = JSON.parse(protectedBytes.toString('utf8'));
    } catch {
      throw badSignature('header');
    }
    const { alg, kid, crit } = (header ?? {}) as Record<string, unknown>;
    if ((alg !== 'ES256' && alg !== 'RS256') || crit !== undefined) throw badSignature('algorithm');
    if (kid !== manifest.patientKey.kid || jwkThumbprint(manifest.patientKey.jwk) !== manifest.patientKey.kid)
      throw badSignature('kid');
    if (!verifyPayload(alg, manifest.patientKey.jwk, protectedB64, payloadB64, signature))
      throw badSignature('signature');
    signer = { alg, kid: manifest.patientKey.kid };
  }
  if (options.requireSignature && !signer) throw badSignature('missing');
  if (options.expectedSignerKid !== undefined && signer?.kid !== options.expectedSignerKid)
    throw badSignature('signer');
  return { manifest, payloadSha256: createHash('sha256').update(payload).digest('hex'), signer };
}

function objectParams(entry: ManifestObject, key: RecordKey): ContainerKeyParams {
  return { masterKey: key.masterKey, purpose: 'object', associatedData: objectAssociatedData(key.citizenId, entry.id) };
}

/** The entry's fingerprint, checked by the one container decoder (the header up front, the SHA-256 at the end). */
function fingerprint(entry: ManifestObject): ExpectedPlaintext {
  return { sha256: entry.sha256, size: entry.size, contentType: entry.contentType, id: entry.id };
}

/** Decrypts a whole object and checks it against its manifest entry (size, content type, SHA-256). */
export function openRecordObject(container: Buffer, entry: ManifestObject, key: RecordKey): Buffer {
  return decryptContainer(container, objectParams(entry, key), fingerprint(entry)).plaintext;
}

/**
 * Streams an object: container in, plaintext out, checked against its entry on the way. Same
 * contract as the container decrypt stream — verified segments may come out before a later
 * failure, and the object is whole only when the stream ends without error.
 */
export function createObjectDecryptStream(entry: ManifestObject, key: RecordKey): ContainerDecryptStream {
  return createDecryptStream(objectParams(entry, key), {}, fingerprint(entry));
}

/** Random access to an object (large images): the header is checked against the entry first. */
export async function openObjectReader(
  fetchRange: FetchCiphertextRange,
  entry: ManifestObject,
  key: RecordKey,
  options?: ContainerReaderOptions,
): Promise<ContainerReader> {
  const { sha256: _whole, ...header } = fingerprint(entry);
  return openContainerReader(fetchRange, objectParams(entry, key), { ...options, expect: header });
}
