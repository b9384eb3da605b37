import { contract, isChannel, type Channel, type ParsedRequestOf, type ResponseOf } from '../../common/ipc/contract';
import { fail, ok, type IpcResult } from '../../common/ipc/result';
import { toErrorInfo } from '../../common/errors';
import type { Logger } from '../log';

export type Handler<C extends Channel> = (request: ParsedRequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C>;
export type Handlers = { [C in Channel]: Handler<C> };

export type Dispatch = (channel: string, request: unknown) => Promise<IpcResult<unknown>>;

/**
 * The one entry to the main-process handlers, for Electron IPC and the browser harness alike:
 * unknown channel -> IPC_UNKNOWN_CHANNEL, a request that fails its schema -> IPC_INVALID_REQUEST
 * (naming the field), a thrown error -> its typed code (unknown failures -> INTERNAL_ERROR,
 * logged without the request). Never a stack trace across the boundary.
 */
export function createDispatcher(handlers: Handlers, log: Logger): Dispatch {
  return async (channel, request) => {
    if (!isChannel(channel))
      return fail({ code: 'IPC_UNKNOWN_CHANNEL', details: { channel: String(channel).slice(0, 80) } });
    const parsed = contract[channel].request.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return fail({
        code: 'IPC_INVALID_REQUEST',
        details: { channel, field: issue?.path.join('.') || '(request)', problem: issue?.message ?? 'invalid' },
      });
    }
    try {
      const handler = handlers[channel] as Handler<Channel>;
      return ok(await handler(parsed.data as never));
    } catch (e) {
      const info = toErrorInfo(e);
      if (info.code === 'INTERNAL_ERROR')
        log.error('handler failed', { channel, error: e instanceof Error ? e.message : String(e) });
      return fail(info);
    }
  };
}
