import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import type { ErrorInfo } from '../../../common/errors';
import type { AccessReason, OpenRecord } from '../../../common/ipc/channels/emergency';
import { attachmentUrl, call, errorInfoOf, onEvent } from '../api/client';

export type AttachmentState =
  | { phase: 'downloading'; receivedBytes?: number; totalBytes?: number }
  | { phase: 'ready'; url: string; contentType: string; bytes: number }
  | { phase: 'failed'; error: ErrorInfo }
  | { phase: 'cancelled' };

/** Why the record is no longer on screen, for the message the patient screen shows. */
export type EndReason = 'closed' | 'expired' | 'locked' | null;

/**
 * The emergency record on screen. It lives only here, in memory, while access lasts: cleared on
 * close, on expiry and on lock, fetched again from main after unlock. Attachments are not held
 * here: the viewer streams them from main's attachment route, which refuses once access ends.
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
      // In the encrypted cache, verified: the viewer streams it from main's attachment route.
      const res = await call('emergency.attachment', { recordId: record.recordId, attachmentId });
      // Cancelled or closed meanwhile: nothing to show.
      if (current.value !== record || attachments.get(attachmentId)?.phase !== 'downloading') return;
      attachments.set(attachmentId, {
        phase: 'ready',
        url: attachmentUrl(record.recordId, attachmentId),
        contentType: res.contentType,
        bytes: res.size,
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
