import { hkdfSync, randomBytes } from 'node:crypto';
import { WorkstationError } from '../../common/errors';

/**
 * Key separation: every key the record formats use is derived from the QR's 256-bit master key
 * with HKDF-SHA256 (RFC 5869) under its own info label, so no key is ever used for two jobs.
 * The labels are part of the on-disk format (docs/formats.md): never change one.
 */
export const MASTER_KEY_LENGTH = 32;

export const KEY_LABELS = {
  /** Container keys of record objects (IPS bundle, attachments); salt = the container's salt. */
  object: 'hcp/v1/object',
  /** Container key of the record manifest; salt = the container's salt. */
  manifest: 'hcp/v1/manifest',
  /** Container keys of clinician additions in the pending bucket; salt = the container's salt. */
  pendingAdditions: 'hcp/v1/pending-additions',
  /** The sealed cloud location the HRI hands back (docs/hri.md); salt = empty. */
  hriLocation: 'hcp/v1/hri-location',
} as const;

/** What a container holds decides which label derives its key. */
export type ContainerPurpose = 'object' | 'manifest' | 'pending-additions';

const CONTAINER_LABEL: Record<ContainerPurpose, string> = {
  object: KEY_LABELS.object,
  manifest: KEY_LABELS.manifest,
  'pending-additions': KEY_LABELS.pendingAdditions,
};

export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length = 32): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

export function assertMasterKey(masterKey: Uint8Array): void {
  if (masterKey.length !== MASTER_KEY_LENGTH) {
    throw new WorkstationError('INVALID_INPUT', { field: 'masterKey' });
  }
}

export function generateMasterKey(): Buffer {
  return randomBytes(MASTER_KEY_LENGTH);
}

/**
 * The HKDF info of a container key: `label || 0x00 || UTF-8(associatedData)`. The associated
 * data names the object (e.g. `<citizenId>/objects/<id>`), so a container copied under another
 * name or into another record fails authentication.
 */
export function containerKeyInfo(purpose: ContainerPurpose, associatedData = ''): Buffer {
  return Buffer.concat([
    Buffer.from(CONTAINER_LABEL[purpose], 'utf8'),
    Buffer.from([0]),
    Buffer.from(associatedData, 'utf8'),
  ]);
}

/** The per-object AES-256 key: HKDF-SHA256(ikm = master key, salt = container salt, info). */
export function deriveContainerKey(
  masterKey: Uint8Array,
  salt: Uint8Array,
  purpose: ContainerPurpose,
  associatedData = '',
): Buffer {
  assertMasterKey(masterKey);
  return hkdfSha256(masterKey, salt, containerKeyInfo(purpose, associatedData));
}

/** K = HKDF-SHA256(ikm = master key, salt = "", info = "hcp/v1/hri-location"), as docs/hri.md fixes it. */
export function deriveHriLocationKey(masterKey: Uint8Array): Buffer {
  assertMasterKey(masterKey);
  return hkdfSha256(masterKey, Buffer.alloc(0), Buffer.from(KEY_LABELS.hriLocation, 'utf8'));
}
