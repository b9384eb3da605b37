import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import type { ErrorInfo } from '../../../common/errors';
import type { AccessReason, OpenRecord } from '../../../common/ipc/channels/emergency';
import { call, errorInfoOf, onEvent } from '../api/client';

export type AttachmentState =
  | { phase: 'downloading'; receivedBytes?: number; totalBytes?: number }
  | { phase: 'ready'; url: string; contentType: string; bytes: number }
  | { phase: 'failed'; error: ErrorInfo }
  | { phase: 'cancelled' };

/** Why the record is no longer on screen, for the message the patient screen shows. */
export type EndReason = 'closed' | 'expired' | 'locked' | null;

/** base64 -> Blob without data: URLs (the CSP refuses fetch of data:), in chunks. */
export function base64ToBlob(base64: string, contentType: string): Blob {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const step = 1 << 20; // a multiple of 4
  for (let i = 0; i < base64.length; i += step) {
    const bin = atob(base64.slice(i, i + step));
    const bytes = new Uint8Array(bin.length);
    for (let j = 0; j < bin.length; j++) bytes[j] = bin.charCodeAt(j);
    chunks.push(bytes);
  }
  return new Blob(chunks, { type: contentType });
}

/**
 * The emergency record on screen. It lives only here, in memory, while access lasts: cleared on
 * close, on expiry and on lock (object URLs revoked), fetched again from main after unlock.
 */
export const useRecordStore = defineStore('record', () => {
  const current = shallowRef<OpenRecord | null>(null);
  const ended = ref<EndReason>(null);
  /** While locked: until when main keeps the emergency access (a time, no patient data). */
  const keptUntil = ref<string | null>(null);
  const attachments = reactive(new Map<string, AttachmentState>());
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;

  const isOpen = computed(() => current.value !== null);

  // Main reports how far a fetch got (bytes only): the progress bar becomes determinate.
  onEvent('emergency.attachmentProgress', (p) => {
    if (current.value?.recordId !== p.recordId || (p.state !== 'downloading' && p.state !== 'verified')) return;
    if (attachments.get(p.attachmentId)?.phase !== 'downloading') return;
    attachments.set(p.attachmentId, { phase: 'downloading', receivedBytes: p.receivedBytes, totalBytes: p.totalBytes });
  });

  // Main ended access on its own (the grant's limit, another clinician): off the screen at once.
  onEvent('emergency.ended', (e) => {
    if (current.value?.recordId === e.recordId) clear(e.reason === 'expired' ? 'expired' : 'closed');
  });

  function show(record: OpenRecord | null): void {
    clear(null);
    current.value = record;
    if (!record) return;
    const ms = new Date(record.accessExpiresAt).getTime() - Date.now();
    expiryTimer = setTimeout(() => clear('expired'), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
  }

  async function open(scanId: string, reason: AccessReason): Promise<OpenRecord> {
    const record = await call('emergency.open', { scanId, reason });
    show(record);
    return record;
  }

  /** A SMART Health Link (main/shl), with the passcode the clinician asked the patient for (flag P). */
  async function openShl(scanId: string, reason: AccessReason, passcode?: string): Promise<OpenRecord> {
    const record = await call('shl.open', passcode ? { scanId, reason, passcode } : { scanId, reason });
    show(record);
    return record;
  }

  /** The record main still holds open for this session (after an unlock), if any. */
  async function refresh(): Promise<void> {
    try {
      show(await call('emergency.current', {}));
    } catch {
      show(null);
    }
  }

  /** End access in main (audited) and clear the screen; the screen is cleared even if main fails. */
  async function close(): Promise<void> {
    const record = current.value;
    clear('closed');
    if (record) await call('emergency.close', { recordId: record.recordId });
  }

  function clear(reason: EndReason): void {
    clearTimeout(expiryTimer);
    keptUntil.value = reason === 'locked' && current.value ? current.value.accessExpiresAt : null;
    for (const state of attachments.values()) if (state.phase === 'ready') URL.revokeObjectURL(state.url);
    attachments.clear();
    if (current.value && reason) ended.value = reason;
    else if (!reason) ended.value = null;
    current.value = null;
  }

  /** When the summary was last printed (the printed footer says so). */
  const printedAt = ref(new Date());
  /**
   * Print the open summary: audited in main as a disclosure first; the app prints its window, the
   * browser harness the page (window.print with the print stylesheet).
   */
  async function print(output: 'printer' | 'pdf' = 'printer'): Promise<void> {
    const record = current.value;
    if (!record) return;
    printedAt.value = new Date();
    const res = await call('emergency.print', { recordId: record.recordId, output });
    if (!res.handled) window.print();
  }

  async function download(attachmentId: string): Promise<void> {
    const record = current.value;
    if (!record) return;
    attachments.set(attachmentId, { phase: 'downloading' });
    try {
      const res = await call('emergency.attachment', { recordId: record.recordId, attachmentId });
      // Cancelled or closed meanwhile: drop the bytes.
      if (current.value !== record || attachments.get(attachmentId)?.phase !== 'downloading') return;
      const blob = base64ToBlob(res.dataBase64, res.contentType);
      attachments.set(attachmentId, {
        phase: 'ready',
        url: URL.createObjectURL(blob),
        contentType: res.contentType,
        bytes: blob.size,
      });
    } catch (e) {
      if (current.value === record && attachments.get(attachmentId)?.phase === 'downloading')
        attachments.set(attachmentId, { phase: 'failed', error: errorInfoOf(e) });
    }
  }

  async function cancel(attachmentId: string): Promise<void> {
    const record = current.value;
    if (!record || attachments.get(attachmentId)?.phase !== 'downloading') return;
    attachments.set(attachmentId, { phase: 'cancelled' });
    await call('emergency.cancelAttachment', { recordId: record.recordId, attachmentId }).catch(() => undefined);
  }

  function hide(attachmentId: string): void {
    const state = attachments.get(attachmentId);
    if (state?.phase === 'ready') URL.revokeObjectURL(state.url);
    attachments.delete(attachmentId);
  }

  return {
    current,
    ended,
    keptUntil,
    attachments,
    isOpen,
    printedAt,
    show,
    open,
    openShl,
    refresh,
    close,
    clear,
    print,
    download,
    cancel,
    hide,
  };
});
