import { WorkstationError, isWorkstationError, type ErrorCode } from '../../common/errors';
import type { AttachmentRef } from '../../common/attachment-url';
import { decideViewerAccess, type ViewerAccessInput } from './access';
import { parseRange } from './range';

/**
 * The viewer's attachment route, the same for the app's privileged scheme (main/electron/
 * attachment-protocol.ts) and the browser harness (scripts/harness/server.ts): a request for an
 * attachment of the open record becomes a web Response whose body is decrypted from the encrypted
 * cache as the renderer reads it (a pull stream of 64 KB authenticated segments: no whole buffer,
 * the main thread free between chunks), with single byte ranges (206/416). Access is decided
 * (access.ts) at the request and again before every chunk: a lock, sign-out, close or expiry
 * stops a stream in flight. The bytes only ever go to the response (no file, no Chromium cache:
 * `Cache-Control: no-store`).
 */
export interface AttachmentSource {
  access(recordId: string, attachmentId: string): ViewerAccessInput;
  /** Plaintext bytes start..end (inclusive), authenticated (RecordCache.attachmentRange). */
  read(recordId: string, attachmentId: string, start: number, end: number): AsyncIterable<Buffer>;
}

export interface AttachmentRequest {
  method: string;
  /** The ids from the URL (common/attachment-url.ts), or null when the URL is not an attachment's. */
  ref: AttachmentRef | null;
  range: string | null;
  ifRange: string | null;
}

const BASE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * Types the screen may render from the route (images, PDF, audio/video); anything else is served as
 * application/octet-stream (with nosniff: never rendered as a document that could run script). The
 * responses carry no CSP of their own: the page's (frame-ancestors 'none') would stop the PDF frame.
 */
const RENDERED = /^(image\/(png|jpeg|gif|webp)|application\/pdf|video\/[\w.+-]+|audio\/[\w.+-]+)$/;

function refusal(status: number, code: ErrorCode, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: { code } }), {
    status,
    headers: { ...BASE_HEADERS, 'Content-Type': 'application/json', ...extra },
  });
}

export function serveAttachment(req: AttachmentRequest, source: AttachmentSource): Response {
  if (req.method !== 'GET' && req.method !== 'HEAD') return refusal(405, 'INVALID_INPUT', { Allow: 'GET, HEAD' });
  if (!req.ref) return refusal(404, 'ATTACHMENT_UNKNOWN');
  const { recordId, attachmentId } = req.ref;
  const access = decideViewerAccess(source.access(recordId, attachmentId));
  if (!access.allow) return refusal(access.status, access.code);
  const { size, contentType } = access;
  const range = parseRange(req.range, size, req.ifRange);
  if (range.kind === 'unsatisfiable') return refusal(416, 'INVALID_INPUT', { 'Content-Range': `bytes */${size}` });
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : size - 1;
  const headers: Record<string, string> = {
    ...BASE_HEADERS,
    'Content-Type': RENDERED.test(contentType) ? contentType : 'application/octet-stream',
    'Content-Length': String(end - start + 1),
    'Accept-Ranges': 'bytes',
    ...(range.kind === 'partial' ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
  };
  const status = range.kind === 'partial' ? 206 : 200;
  if (req.method === 'HEAD' || size === 0) return new Response(null, { status, headers });
  return new Response(bodyStream(source, recordId, attachmentId, start, end), { status, headers });
}

/** A pull stream over the authenticated chunks, re-deciding access before each. */
function bodyStream(
  source: AttachmentSource,
  recordId: string,
  attachmentId: string,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const access = decideViewerAccess(source.access(recordId, attachmentId));
          if (!access.allow) throw new WorkstationError(access.code);
          chunks ??= source.read(recordId, attachmentId, start, end)[Symbol.asyncIterator]();
          const next = await chunks.next();
          if (next.done) controller.close();
          else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
        } catch (e) {
          // The response is cut (the renderer sees a network error); the reason stays in main.
          controller.error(new Error(isWorkstationError(e) ? e.code : 'stopped'));
          await chunks?.return?.();
        }
      },
      async cancel() {
        await chunks?.return?.();
      },
    },
    { highWaterMark: 1 },
  );
}
