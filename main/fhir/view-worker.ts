/**
 * The worker thread of main/fhir/off-thread.ts: builds the emergency view of decrypted IPS bytes
 * with the same pure functions the main thread would call (emergencyViewWithPatientOf), so JSON.parse and the
 * view build of a large summary never hold the main process's event loop. Bundled as its own entry
 * (out/main/fhir-view-worker.js, out/cli/fhir-view-worker.js); run from source through tsx.
 */
import { parentPort } from 'node:worker_threads';
import { isWorkstationError, type ErrorInfo } from '../../common/errors';
import type { EmergencyView } from '../../common/emergency-view';
import { emergencyViewWithPatientOf } from './index';
import { VIEW_CHUNK_ENTRIES, type ViewChunk, type ViewRequest, type ViewResponse } from './view-protocol';

const port = parentPort;
if (!port) throw new Error('fhir-view-worker must run as a worker thread');

/** The long lists of the job being answered, sent one chunk per request of the main thread. */
let pending: ViewChunk[] = [];

/**
 * The view without its long lists (sent first), and those lists in chunks: the main thread
 * deserialises each message in one turn of its event loop, so no turn holds a 20 MB view.
 */
function split(view: EmergencyView): { head: EmergencyView; chunks: ViewChunk[] } {
  const chunks: ViewChunk[] = [];
  const cut = <T>(items: T[], target: ViewChunk['target']): T[] => {
    if (items.length <= VIEW_CHUNK_ENTRIES) return items;
    for (let i = 0; i < items.length; i += VIEW_CHUNK_ENTRIES)
      chunks.push({ target, items: items.slice(i, i + VIEW_CHUNK_ENTRIES) } as ViewChunk);
    return [];
  };
  const head: EmergencyView = {
    ...view,
    otherSubjectEntries: cut(view.otherSubjectEntries, 'otherSubjectEntries'),
    sections: view.sections.map((s, i) => ({ ...s, entries: cut(s.entries, i) })),
  };
  return { head, chunks };
}

port.on('message', (req: ViewRequest | { next: number }) => {
  if ('next' in req) {
    port.postMessage({ id: req.next, chunk: pending.shift() } satisfies ViewResponse);
    return;
  }
  pending = [];
  const bytes = req.returnBytes && req.input instanceof Uint8Array ? req.input : undefined;
  let res: ViewResponse;
  try {
    const { view, patient } = emergencyViewWithPatientOf(req.input);
    const { head, chunks } = split(view);
    pending = chunks;
    // The caller gave its bytes away (transferred): hand them back with the view, again without a copy.
    res = { id: req.id, ok: true, view: head, patient, chunks: chunks.length, ...(bytes ? { bytes } : {}) };
  } catch (e) {
    // A typed error crosses the boundary as its code and details; anything else is the same
    // INTERNAL_ERROR a direct call would end in (the message stays here: it may quote the record).
    const error: ErrorInfo = isWorkstationError(e) ? e.toInfo() : { code: 'INTERNAL_ERROR' };
    res = { id: req.id, ok: false, error, ...(bytes ? { bytes } : {}) };
  }
  port.postMessage(res, bytes ? [bytes.buffer as ArrayBuffer] : []);
});
