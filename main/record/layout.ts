import { randomBytes } from 'node:crypto';
import { base32Encode } from '../crypto';

/**
 * Where a record's objects live in the `ehr` bucket and what names them cryptographically.
 *
 *   <prefix>/manifest.hcpc        the manifest container (purpose 'manifest')
 *   <prefix>/objects/<id>.hcpc    each object's container (purpose 'object')
 *
 * The container's associated data binds it to the citizen and the object id, so an object
 * moved under another name or into another patient's record does not open.
 */
export const MANIFEST_OBJECT_NAME = 'manifest.hcpc';
/** What every container is uploaded as: the real content type is inside, encrypted. */
export const CONTAINER_CONTENT_TYPE = 'application/octet-stream';

const trimSlashes = (prefix: string) => prefix.replace(/^\/+|\/+$/g, '');

export function manifestObjectKey(prefix: string): string {
  return `${trimSlashes(prefix)}/${MANIFEST_OBJECT_NAME}`;
}

export function recordObjectKey(prefix: string, id: string): string {
  return `${trimSlashes(prefix)}/objects/${id}.hcpc`;
}

export function manifestAssociatedData(citizenId: string): string {
  return `${citizenId}/manifest`;
}

export function objectAssociatedData(citizenId: string, id: string): string {
  return `${citizenId}/objects/${id}`;
}

export function newObjectId(): string {
  return base32Encode(randomBytes(16)).toLowerCase();
}

/**
 * How the audit names an object of the patient's record: its key relative to the record's prefix
 * (`manifest.hcpc`, `objects/<id>.hcpc`). The prefix may be the citizen id, which the audit never
 * holds in clear; the patient is named by the keyed patient reference beside it (issue 12 §6).
 */
export function auditObjectName(prefix: string, key: string): string {
  const p = `${trimSlashes(prefix)}/`;
  return key.startsWith(p) ? key.slice(p.length) : key.slice(key.lastIndexOf('/') + 1);
}
