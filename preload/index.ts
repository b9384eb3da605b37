import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNELS, ipcName } from '../common/ipc/contract';
import { EVENT_NAMES, eventIpcName } from '../common/ipc/events';
import type { HcpApi } from '../common/ipc/api';
import { attachmentAppUrl } from '../common/attachment-url';

/**
 * Exactly the typed API of common/ipc/api.ts on window.hcp: invoke a contract channel, listen to a
 * contract event. Unknown names are refused here too; main validates every request.
 */
const channels = new Set<string>(CHANNELS);
const eventNames = new Set<string>(EVENT_NAMES);

const api: HcpApi = {
  invoke(channel, request) {
    if (!channels.has(channel)) return Promise.resolve({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL' } });
    return ipcRenderer.invoke(ipcName(channel), request);
  },
  on(event, listener) {
    if (!eventNames.has(event)) return () => {};
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload as never);
    ipcRenderer.on(eventIpcName(event), wrapped);
    return () => ipcRenderer.off(eventIpcName(event), wrapped);
  },
  attachmentUrl(recordId, attachmentId) {
    return attachmentAppUrl({ recordId: String(recordId), attachmentId: String(attachmentId) });
  },
};

contextBridge.exposeInMainWorld('hcp', api);
