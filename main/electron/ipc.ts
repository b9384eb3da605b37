import { ipcMain, type WebContents } from 'electron';
import { CHANNELS, ipcName } from '../../common/ipc/contract';
import { EVENT_NAMES, eventIpcName } from '../../common/ipc/events';
import { fail } from '../../common/ipc/result';
import { isTrustedSender } from '../shell';
import type { Dispatch } from '../ipc';
import type { WorkstationEvents } from '../events';

/** Registers one ipcMain handler per contract channel; each checks the sender frame first. */
export function registerIpc(dispatch: Dispatch, appUrl: () => string): void {
  for (const channel of CHANNELS) {
    ipcMain.handle(ipcName(channel), async (event, request: unknown) => {
      const frame = event.senderFrame;
      if (!isTrustedSender(frame ? { url: frame.url, isMainFrame: frame.parent === null } : null, appUrl())) {
        return fail({ code: 'IPC_FORBIDDEN_SENDER' });
      }
      return dispatch(channel, request);
    });
  }
}

/** Forwards main-process events to the window's renderer. */
export function forwardEvents(events: WorkstationEvents, contents: WebContents): () => void {
  return events.onAny((name, payload) => {
    if (!contents.isDestroyed()) contents.send(eventIpcName(name), payload);
  }, EVENT_NAMES);
}
