import type { ErrorCode } from '../../common/errors';

/**
 * Whether the viewer route may serve an attachment: pure. Only the open record of the signed-in,
 * unlocked clinician, only an attachment its manifest lists, only once it is in the encrypted
 * cache (emergency.attachment fetched and verified it) with the size the manifest gives.
 */
export interface ViewerAccessInput {
  session: 'signed-out' | 'locked' | 'unlocked';
  /** The record is open for this clinician and its emergency access has not ended. */
  recordOpen: boolean;
  /** The manifest entry (an attachment or imaging object), if the record lists this id. */
  listed: { contentType: string; size: number } | null;
  /** The encrypted cache's copy, if any. */
  cached: { bytes: number } | null;
}

export type ViewerAccess =
  { allow: true; contentType: string; size: number } | { allow: false; status: 401 | 403 | 404 | 409; code: ErrorCode };

export function decideViewerAccess(i: ViewerAccessInput): ViewerAccess {
  if (i.session === 'signed-out') return { allow: false, status: 401, code: 'NOT_SIGNED_IN' };
  if (i.session === 'locked') return { allow: false, status: 403, code: 'SESSION_LOCKED' };
  if (!i.recordOpen) return { allow: false, status: 403, code: 'ACCESS_EXPIRED' };
  if (!i.listed) return { allow: false, status: 404, code: 'ATTACHMENT_UNKNOWN' };
  if (!i.cached) return { allow: false, status: 409, code: 'CACHE_RECORD_MISSING' };
  if (i.cached.bytes !== i.listed.size) return { allow: false, status: 409, code: 'CACHE_CORRUPT' };
  return { allow: true, contentType: i.listed.contentType, size: i.listed.size };
}
