import type { ErrorInfo } from '../errors';

/** Every IPC response is an envelope: a value, or a typed error. Never a raw exception. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export const ok = <T>(value: T): IpcResult<T> => ({ ok: true, value });
export const fail = (error: ErrorInfo): IpcResult<never> => ({ ok: false, error });
