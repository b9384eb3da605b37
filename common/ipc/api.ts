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
}
