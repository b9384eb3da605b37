import type { Channel, RequestOf, ResponseOf } from '../../../common/ipc/contract';
import type { ErrorInfo } from '../../../common/errors';
import type { EventName, EventPayload } from '../../../common/ipc/events';

/** A typed error from main: the UI shows `t(messageKey(code), details)`, never a raw string. */
export class ApiError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.code);
    this.name = 'ApiError';
  }
}

/** Call a main-process handler; resolves with its value or rejects with an ApiError. */
export async function call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  let result;
  try {
    result = await window.hcp.invoke(channel, request);
  } catch {
    throw new ApiError({ code: 'INTERNAL_ERROR' });
  }
  if (!result.ok) throw new ApiError(result.error);
  return result.value;
}

export function onEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return window.hcp.on(event, listener);
}

/** Where the screen streams an attachment of the open record from (after emergency.attachment). */
export function attachmentUrl(recordId: string, attachmentId: string): string {
  return window.hcp.attachmentUrl(recordId, attachmentId);
}

export function errorInfoOf(e: unknown): ErrorInfo {
  return e instanceof ApiError ? e.info : { code: 'INTERNAL_ERROR' };
}
