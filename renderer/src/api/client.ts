import type { z } from 'zod';
import type { Contract } from '../../../common/ipc/contract';
import type { emergencyChannels } from '../../../common/ipc/channels/emergency';
import type { sessionAuthChannels } from '../../../common/ipc/channels/session-auth';
import type { ErrorInfo } from '../../../common/errors';
import type { IpcResult } from '../../../common/ipc/result';
import type { EventName, EventPayload } from '../../../common/ipc/events';

/**
 * The channels the renderer uses: the contract, plus the emergency and sign-in channels whose
 * definitions exist (common/ipc/channels/emergency.ts, session-auth.ts) and whose handlers are being
 * wired. Until a channel is in `contract`, main answers IPC_UNKNOWN_CHANNEL and the UI shows that
 * message; once it is, this intersection is simply the contract again.
 */
type Surface = Contract & typeof emergencyChannels & typeof sessionAuthChannels;
export type ApiChannel = keyof Surface;
export type ApiRequest<C extends ApiChannel> = z.input<Surface[C]['request']>;
export type ApiResponse<C extends ApiChannel> = z.output<Surface[C]['response']>;

/** A typed error from main: the UI shows `t(messageKey(code), details)`, never a raw string. */
export class ApiError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.code);
    this.name = 'ApiError';
  }
}

type UntypedInvoke = (channel: string, request: unknown) => Promise<IpcResult<unknown>>;

/** Call a main-process handler; resolves with its value or rejects with an ApiError. */
export async function call<C extends ApiChannel>(channel: C, request: ApiRequest<C>): Promise<ApiResponse<C>> {
  let result: IpcResult<unknown>;
  try {
    result = await (window.hcp.invoke as unknown as UntypedInvoke)(channel, request);
  } catch {
    throw new ApiError({ code: 'INTERNAL_ERROR' });
  }
  if (!result.ok) throw new ApiError(result.error);
  return result.value as ApiResponse<C>;
}

export function onEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return window.hcp.on(event, listener);
}

export function errorInfoOf(e: unknown): ErrorInfo {
  return e instanceof ApiError ? e.info : { code: 'INTERNAL_ERROR' };
}
