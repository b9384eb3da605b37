import { createHash } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
import type { Transform } from 'node:stream';
import {
  decryptContainer,
  encryptContainer,
  createDecryptStream,
  createEncryptStream,
  type ContainerDecryptStream,
} from '../crypto';
import { attachmentAssociatedData, AttachmentDigest, type AttachmentRef } from './attachments';
import { ADDITION_CONTENT_TYPE, type SignedAddition } from './signed';

/**
 * Where a signed addition waits for the patient: one EHR container (docs/formats.md §3) per
 * addition in the `pending` bucket, under a key derived from the patient's master key for the
 * 'pending-additions' purpose.
 *
 *   object key        <citizenId>/<workstationId>/<additionId>.hcpc   (v1, before issue 12: <citizenId>/<additionId>.hcpc)
 *   associated data   <citizenId>/pending/<additionId>
 *   additionId        hex SHA-256 of the plaintext (the JCS canonical signed Bundle)
 *
 * The workstation folder lets the EHR cloud's emergency-access credentials allow PutObject on
 * `pending/<citizenId>/<workstationId>/*` only (docs/emergency-access.md). The key is content-addressed: uploading the same addition again writes the same name with the
 * same bytes (the outbox keeps the container it made, so a retry sends it byte for byte), and an
 * object renamed, moved to another patient or replaced fails the AEAD or the hash check.
 */
export const PENDING_SUFFIX = '.hcpc';
const ADDITION_ID = /^[0-9a-f]{64}$/;

export function isAdditionId(id: string): boolean {
  return ADDITION_ID.test(id);
}

export function pendingPrefix(citizenId: string): string {
  return `${citizenId}/`;
}

const WORKSTATION_FOLDER = /^[A-Za-z0-9._-]{1,64}$/;

/** The workstation's folder in the pending bucket (characters outside [A-Za-z0-9._-] become '-'). */
export function pendingWorkstationFolder(workstationId: string): string {
  const folder = workstationId.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  if (!WORKSTATION_FOLDER.test(folder) || folder === '.' || folder === '..')
    throw new WorkstationError('INVALID_INPUT', { field: 'workstationId' });
  return folder;
}

export function pendingObjectKey(citizenId: string, additionId: string, workstationId?: string): string {
  if (!isAdditionId(additionId) || !citizenId || citizenId.includes('/'))
    throw new WorkstationError('INVALID_INPUT', { field: 'pendingKey' });
  return workstationId === undefined
    ? `${citizenId}/${additionId}${PENDING_SUFFIX}`
    : `${citizenId}/${pendingWorkstationFolder(workstationId)}/${additionId}${PENDING_SUFFIX}`;
}

/** The citizen and addition id an object key names (either layout), or null for anything else under the bucket. */
export function parsePendingObjectKey(
  key: string,
): { citizenId: string; additionId: string; workstation: string | null } | null {
  const m = /^([^/]+)\/(?:([A-Za-z0-9._-]{1,64})\/)?([0-9a-f]{64})\.hcpc$/.exec(key);
  return m ? { citizenId: m[1]!, additionId: m[3]!, workstation: m[2] ?? null } : null;
}

export function pendingAssociatedData(citizenId: string, additionId: string): string {
  return `${citizenId}/pending/${additionId}`;
}

export interface PendingKey {
  masterKey: Buffer;
  citizenId: string;
}

/** Encrypts a signed addition into the container uploaded to the pending bucket. */
export function sealAddition(signed: SignedAddition, key: PendingKey): Buffer {
  return encryptContainer(signed.bytes, {
    masterKey: key.masterKey,
    purpose: 'pending-additions',
    associatedData: pendingAssociatedData(key.citizenId, signed.additionId),
    contentType: ADDITION_CONTENT_TYPE,
  });
}

/**
 * Decrypts a pending container and checks that its plaintext hashes to the id it is stored under.
 * CONTAINER_* when it does not open; OBJECT_INTEGRITY_FAILED when the content is not what the name says.
 */
export function openPendingAddition(container: Buffer, key: PendingKey & { additionId: string }): Buffer {
  const { header, plaintext } = decryptContainer(container, {
    masterKey: key.masterKey,
    purpose: 'pending-additions',
    associatedData: pendingAssociatedData(key.citizenId, key.additionId),
  });
  if (header.contentType !== ADDITION_CONTENT_TYPE)
    throw new WorkstationError('OBJECT_INTEGRITY_FAILED', { id: key.additionId.slice(0, 16), reason: 'header' });
  if (createHash('sha256').update(plaintext).digest('hex') !== key.additionId)
    throw new WorkstationError('OBJECT_INTEGRITY_FAILED', { id: key.additionId.slice(0, 16), reason: 'sha256' });
  return plaintext;
}

/**
 * The streaming encryption of one attachment object (docs/formats.md §7.1): pipe exactly `size`
 * plaintext bytes in, the container comes out (what the outbox spools and the sender uploads).
 */
export function sealAttachmentStream(
  key: PendingKey,
  attachment: { attachmentId: string; size: number; contentType: string },
): Transform {
  return createEncryptStream(attachment.size, {
    masterKey: key.masterKey,
    purpose: 'pending-additions',
    associatedData: attachmentAssociatedData(key.citizenId, attachment.attachmentId),
    contentType: attachment.contentType,
  });
}

/**
 * The decrypting stream for an attachment object, checked against the signed reference: the
 * container must open under its name (CONTAINER_*), carry the signed content type and, once it
 * ends, have exactly the signed size and digests (ADDITION_ATTACHMENT_MISMATCH). The stream errors
 * instead of ending when any check fails: nothing is accepted from a stream that did not end cleanly.
 */
export function openAttachmentStream(key: PendingKey, ref: AttachmentRef): ContainerDecryptStream {
  const digest = new AttachmentDigest();
  return createDecryptStream(
    {
      masterKey: key.masterKey,
      purpose: 'pending-additions',
      associatedData: attachmentAssociatedData(key.citizenId, ref.attachmentId),
    },
    {
      onHeader: (header) => {
        if (header.contentType !== ref.contentType || header.plaintextLength !== ref.size)
          throw new WorkstationError('ADDITION_ATTACHMENT_MISMATCH', {
            id: ref.attachmentId.slice(0, 12),
            reason: 'header',
          });
      },
      onPlaintext: (chunk) => digest.update(chunk),
      onComplete: () => digest.check(ref),
    },
  );
}
