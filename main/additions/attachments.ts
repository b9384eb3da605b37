import { createHash, randomBytes } from 'node:crypto';
import type * as fhir4 from 'fhir/r4';
import { WorkstationError } from '../../common/errors';

/**
 * Attachments of an addition travel as their own objects (docs/formats.md §7.1), beside the signed
 * bundle in the pending bucket, each an EHR container (purpose pending-additions) of the file's
 * bytes. The signed bundle's DocumentReference refers to it: `Attachment.url` names the object
 * (`urn:hcp-workstation:pending-attachment:<attachmentId>`, an object `<attachmentId>.hcpa` in the
 * addition's own folder), `size`, `contentType`, `hash` (R4: base64 SHA-1) and the extension
 * `urn:hcp-workstation:attachment-sha256` (base64 SHA-256): the clinician's signature covers the
 * digests, and the patient's side checks every referenced object against them before accepting.
 *
 *   object key        <citizenId>/<workstationFolder>/<attachmentId>.hcpa
 *   associated data   <citizenId>/pending-attachment/<attachmentId>
 *   attachmentId      32 random hex digits (not the content hash: equal files must not show as equal names)
 */
export const ATTACHMENT_URL_PREFIX = 'urn:hcp-workstation:pending-attachment:';
export const ATTACHMENT_SHA256_EXTENSION = 'urn:hcp-workstation:attachment-sha256';
export const ATTACHMENT_SUFFIX = '.hcpa';
const ATTACHMENT_ID = /^[0-9a-f]{32}$/;

export function newAttachmentId(): string {
  return randomBytes(16).toString('hex');
}

export function isAttachmentId(id: string): boolean {
  return ATTACHMENT_ID.test(id);
}

/** The attachment's object: a sibling of its addition's object (same citizen and workstation folder). */
export function attachmentObjectKey(additionObjectKey: string, attachmentId: string): string {
  if (!isAttachmentId(attachmentId)) throw new WorkstationError('INVALID_INPUT', { field: 'attachmentId' });
  const slash = additionObjectKey.lastIndexOf('/');
  if (slash < 1) throw new WorkstationError('INVALID_INPUT', { field: 'pendingKey' });
  return `${additionObjectKey.slice(0, slash + 1)}${attachmentId}${ATTACHMENT_SUFFIX}`;
}

export function attachmentAssociatedData(citizenId: string, attachmentId: string): string {
  return `${citizenId}/pending-attachment/${attachmentId}`;
}

/** What the bundle says about one attachment object (the signed part). */
export interface AttachmentRef {
  attachmentId: string;
  contentType: string;
  size: number;
  /** base64 SHA-1 (Attachment.hash) */
  sha1: string;
  /** base64 SHA-256 (the extension) */
  sha256: string;
  title: string | null;
}

/** The FHIR Attachment for a staged file (what buildAdditionBundle writes). */
export function attachmentElement(ref: AttachmentRef, creation: string): fhir4.Attachment {
  return {
    contentType: ref.contentType,
    url: ATTACHMENT_URL_PREFIX + ref.attachmentId,
    size: ref.size,
    hash: ref.sha1,
    ...(ref.title ? { title: ref.title } : {}),
    creation,
    extension: [{ url: ATTACHMENT_SHA256_EXTENSION, valueBase64Binary: ref.sha256 }],
  };
}

const B64_SHA1 = /^[A-Za-z0-9+/]{27}=$/;
const B64_SHA256 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Every attachment object a (verified) bundle refers to. ADDITION_INVALID {field: 'attachment'} when
 * a reference is malformed (a url of ours without size, hashes or a valid id), or one object is
 * referred to twice. Inline attachments (notes: text/plain data) are not references.
 */
export function attachmentRefsOf(bundle: fhir4.Bundle): AttachmentRef[] {
  const refs: AttachmentRef[] = [];
  const seen = new Set<string>();
  const bad = () => new WorkstationError('ADDITION_INVALID', { field: 'attachment' });
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    if (r?.resourceType !== 'DocumentReference') continue;
    for (const c of r.content ?? []) {
      const a = c.attachment;
      if (typeof a?.url !== 'string') continue;
      if (!a.url.startsWith(ATTACHMENT_URL_PREFIX)) throw bad();
      const attachmentId = a.url.slice(ATTACHMENT_URL_PREFIX.length);
      const sha256 = a.extension?.find((x) => x.url === ATTACHMENT_SHA256_EXTENSION)?.valueBase64Binary;
      if (
        !isAttachmentId(attachmentId) ||
        seen.has(attachmentId) ||
        typeof a.contentType !== 'string' ||
        !Number.isSafeInteger(a.size) ||
        (a.size as number) < 1 ||
        typeof a.hash !== 'string' ||
        !B64_SHA1.test(a.hash) ||
        typeof sha256 !== 'string' ||
        !B64_SHA256.test(sha256) ||
        a.data !== undefined
      )
        throw bad();
      seen.add(attachmentId);
      refs.push({
        attachmentId,
        contentType: a.contentType,
        size: a.size as number,
        sha1: a.hash,
        sha256,
        title: a.title ?? null,
      });
    }
  }
  return refs;
}

/** Hashes plaintext as it streams by and compares with a reference at the end. */
export class AttachmentDigest {
  readonly #sha256 = createHash('sha256');
  readonly #sha1 = createHash('sha1');
  #size = 0;

  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#sha1.update(chunk);
    this.#size += chunk.length;
  }

  /** ADDITION_ATTACHMENT_MISMATCH {reason: size | sha256 | sha1} when the bytes are not what was signed. */
  check(ref: AttachmentRef): void {
    const id = ref.attachmentId.slice(0, 12);
    if (this.#size !== ref.size) throw new WorkstationError('ADDITION_ATTACHMENT_MISMATCH', { id, reason: 'size' });
    if (this.#sha256.digest('base64') !== ref.sha256)
      throw new WorkstationError('ADDITION_ATTACHMENT_MISMATCH', { id, reason: 'sha256' });
    if (this.#sha1.digest('base64') !== ref.sha1)
      throw new WorkstationError('ADDITION_ATTACHMENT_MISMATCH', { id, reason: 'sha1' });
  }
}
