/** IPC: the dispatcher (zod-validated channels of common/ipc/channels) and the handlers that call the services. */
export { createDispatcher, type Dispatch } from './dispatch';
export { createHandlers } from './handlers/index';
