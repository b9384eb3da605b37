/**
 * Where the renderer loads a verified attachment of the open record from, for display only: a
 * streamed route answered by main from the encrypted cache (main/viewer), never a blob of the
 * whole bytes. In the app it is the privileged scheme `hcp-attachment://record/<recordId>/<attachmentId>`
 * (main/electron/attachment-protocol.ts); in the browser harness the same path under the harness
 * origin, `/hcp-attachment/<recordId>/<attachmentId>` (scripts/harness/server.ts). Ids are
 * percent-encoded path segments. Pure: used by the preload, the harness bridge and main.
 */
export const ATTACHMENT_SCHEME = 'hcp-attachment';
/** The fixed host of the app's URLs (a standard scheme's host is lower-cased: ids live in the path). */
export const ATTACHMENT_HOST = 'record';
/** The harness's path prefix. */
export const ATTACHMENT_HTTP_PREFIX = '/hcp-attachment/';

export interface AttachmentRef {
  recordId: string;
  attachmentId: string;
}

const MAX_ID = 200;

function segments(ref: AttachmentRef): string {
  return `${encodeURIComponent(ref.recordId)}/${encodeURIComponent(ref.attachmentId)}`;
}

/** hcp-attachment://record/<recordId>/<attachmentId> */
export function attachmentAppUrl(ref: AttachmentRef): string {
  return `${ATTACHMENT_SCHEME}://${ATTACHMENT_HOST}/${segments(ref)}`;
}

/** /hcp-attachment/<recordId>/<attachmentId> (the harness adds its token as a query). */
export function attachmentHttpPath(ref: AttachmentRef): string {
  return `${ATTACHMENT_HTTP_PREFIX}${segments(ref)}`;
}

/** The two ids of a path `<recordId>/<attachmentId>` (no leading slash), or null: anything else, empty, over-long (the IPC limit, 200), control characters or bad encoding. */
function parseSegments(rest: string): AttachmentRef | null {
  const parts = rest.split('/');
  if (parts.length !== 2) return null;
  try {
    const [recordId, attachmentId] = parts.map((p) => decodeURIComponent(p)) as [string, string];
    const ok = (id: string) => id.length > 0 && id.length <= MAX_ID && ![...id].some((c) => c.charCodeAt(0) < 0x20);
    return ok(recordId) && ok(attachmentId) ? { recordId, attachmentId } : null;
  } catch {
    return null;
  }
}

/** The ids of an app URL (hcp-attachment://record/<r>/<a>, no query or fragment), or null. */
export function parseAttachmentAppUrl(url: string): AttachmentRef | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${ATTACHMENT_SCHEME}:` || u.host !== ATTACHMENT_HOST || u.search || u.hash) return null;
  if (u.username || u.password || u.port) return null;
  return parseSegments(u.pathname.replace(/^\//, ''));
}

/** The ids of a harness path (/hcp-attachment/<r>/<a>; the query is the harness's), or null. */
export function parseAttachmentHttpPath(pathname: string): AttachmentRef | null {
  if (!pathname.startsWith(ATTACHMENT_HTTP_PREFIX)) return null;
  return parseSegments(pathname.slice(ATTACHMENT_HTTP_PREFIX.length));
}
