import type { HcpApi } from '../../common/ipc/api';
import type { EventName } from '../../common/ipc/events';
import { attachmentHttpPath } from '../../common/attachment-url';

/**
 * The browser harness's stand-in for the preload: the same HcpApi, carried over loopback HTTP to
 * the same main-process dispatcher. Dev and test only; never part of the packaged app.
 */
export function installHarnessBridge(): void {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  const source = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  source.onmessage = (m: MessageEvent<string>) => {
    const { event, payload } = JSON.parse(m.data) as { event: EventName; payload: unknown };
    listeners.get(event)?.forEach((l) => l(payload));
  };

  const api: HcpApi = {
    async invoke(channel, request) {
      const res = await fetch(`/ipc/${encodeURIComponent(channel)}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-HCP-Token': token },
        body: JSON.stringify(request ?? null),
      });
      if (!res.ok) return { ok: false, error: { code: 'IPC_FORBIDDEN_SENDER' } };
      return res.json();
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
    // The same route as the app's hcp-attachment scheme, on the harness origin (the token as a query: <img> sends no header).
    attachmentUrl(recordId, attachmentId) {
      return `${attachmentHttpPath({ recordId, attachmentId })}?token=${encodeURIComponent(token)}`;
    },
  };
  Object.defineProperty(window, 'hcp', { value: Object.freeze(api), writable: false, configurable: false });
}
