/**
 * The messages between the view-worker pool (off-thread.ts) and its worker (view-worker.ts): a
 * module of its own, so the worker's bundle does not carry the pool.
 */
import type * as fhir4 from 'fhir/r4';
import type { ErrorInfo } from '../../common/errors';
import type { EmergencyView } from '../../common/emergency-view';

/** Messages between the pool and view-worker.ts. */
export interface ViewRequest {
  id: number;
  input: Uint8Array | string;
  /** The input's buffer was transferred: send it back with the answer. */
  returnBytes: boolean;
}
/** Lists longer than this come in chunks of this many entries (~0.7 MB each), one per turn of the main thread's loop. */
export const VIEW_CHUNK_ENTRIES = 1000;
/** A chunk of a long list: of view.otherSubjectEntries, or of the entries of view.sections[target]. */
export type ViewChunk =
  | { target: 'otherSubjectEntries'; items: EmergencyView['otherSubjectEntries'] }
  | { target: number; items: EmergencyView['sections'][number]['entries'] };
export type ViewResponse =
  | {
      id: number;
      ok: true;
      view: EmergencyView;
      /** The IPS's reference to its Patient (ipsPatientReference), kept by the open for additions. */
      patient: fhir4.Reference | null;
      chunks: number;
      bytes?: Uint8Array;
    }
  | { id: number; ok: false; error: ErrorInfo; bytes?: Uint8Array }
  | { id: number; chunk: ViewChunk | undefined };
