/**
 * The worker thread of main/fhir/off-thread.ts: builds the emergency view of decrypted IPS bytes
 * with the same pure functions the main thread would call (emergencyViewOf), so JSON.parse and the
 * view build of a large summary never hold the main process's event loop. Bundled as its own entry
 * (out/main/fhir-view-worker.js, out/cli/fhir-view-worker.js); run from source through tsx.
 */
import { parentPort } from 'node:worker_threads';
import { isWorkstationError, type ErrorInfo } from '../../common/errors';
import { emergencyViewOf } from './index';
import type { ViewRequest, ViewResponse } from './off-thread';

const port = parentPort;
if (!port) throw new Error('fhir-view-worker must run as a worker thread');

port.on('message', (req: ViewRequest) => {
  let res: ViewResponse;
  try {
    const view = emergencyViewOf(req.input);
    // The caller gave its bytes away (transferred): hand them back with the view, again without a copy.
    const bytes = req.returnBytes && req.input instanceof Uint8Array ? req.input : undefined;
    res = { id: req.id, ok: true, view, ...(bytes ? { bytes } : {}) };
    port.postMessage(res, bytes ? [bytes.buffer as ArrayBuffer] : []);
    return;
  } catch (e) {
    // A typed error crosses the boundary as its code and details; anything else is the same
    // INTERNAL_ERROR a direct call would end in (the message stays here: it may quote the record).
    const error: ErrorInfo = isWorkstationError(e) ? e.toInfo() : { code: 'INTERNAL_ERROR' };
    const bytes = req.returnBytes && req.input instanceof Uint8Array ? req.input : undefined;
    res = { id: req.id, ok: false, error, ...(bytes ? { bytes } : {}) };
    port.postMessage(res, bytes ? [bytes.buffer as ArrayBuffer] : []);
  }
});
