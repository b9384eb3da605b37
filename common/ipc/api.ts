import type { IpcResult } from './result';
import type { Channel, RequestOf, ResponseOf } from './contract';
import type { EventName, EventPayload } from './events';

/**
 * What the preload exposes on `window.hcp` (Electron) and what the browser harness bridge
 * implements over loopback: nothing more.
 */
export interface HcpApi {
  invoke<C extends Channel>(channel: C, request: RequestOf<C>): Promise<IpcResult<ResponseOf<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /**
   * Where the screen loads an attachment of the open record from once emergency.attachment has
   * put it in the encrypted cache: a streamed route answered by main (common/attachment-url.ts).
   */
  attachmentUrl(recordId: string, attachmentId: string): string;
}
