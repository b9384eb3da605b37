import { protocol, type CustomScheme } from 'electron';
import { ATTACHMENT_SCHEME, parseAttachmentAppUrl } from '../../common/attachment-url';
import { serveAttachment, type AttachmentSource } from '../viewer/index';

/**
 * The app's attachment scheme, hcp-attachment://record/<recordId>/<attachmentId>: an adapter only.
 * main/viewer decides access and ranges and streams the decrypted bytes from the encrypted cache
 * into the Response. Standard (a real origin, which the PDF viewer needs), secure, fetchable,
 * streamed (media elements read it progressively, with Range requests).
 */
export const ATTACHMENT_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: ATTACHMENT_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
};

/** After app 'ready', once the workstation exists. */
export function serveAttachmentScheme(source: AttachmentSource): void {
  protocol.handle(ATTACHMENT_SCHEME, (request) =>
    serveAttachment(
      {
        method: request.method,
        ref: parseAttachmentAppUrl(request.url),
        range: request.headers.get('range'),
        ifRange: request.headers.get('if-range'),
      },
      source,
    ),
  );
}
