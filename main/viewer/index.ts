/**
 * The attachment viewer's route (issue 17 §6): attachments of the open record streamed from the
 * encrypted cache to the screen, with ranges, for the signed-in, unlocked clinician only. Pure
 * logic here (URL ids: common/attachment-url.ts; access: access.ts; Range: range.ts; the route
 * as web Request -> Response: serve.ts); main/electron/attachment-protocol.ts and the browser
 * harness only adapt it.
 */
export { decideViewerAccess, type ViewerAccess, type ViewerAccessInput } from './access';
export { parseRange, type RangeDecision } from './range';
export { serveAttachment, type AttachmentRequest, type AttachmentSource } from './serve';
