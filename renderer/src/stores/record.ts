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

/** How often the access limit is checked against the wall clock. */
const EXPIRY_CHECK_MS = 1000;

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
  /** Why the record main still holds could not be fetched back (after an unlock): shown, not swallowed. */
  const fetchError = shallowRef<ErrorInfo | null>(null);
  let expiryTimer: ReturnType<typeof setInterval> | undefined;
  /** Counts the clears: an answer that arrives after a clear (lock, new clinician, close) is not shown. */
  let epoch = 0;

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
    fetchError.value = null;
    current.value = record;
    if (!record) return;
    // Checked on the wall clock (as the idle lock): a machine that slept past the limit clears the
    // record as soon as it wakes; an unreadable limit counts as reached.
    const expiresAt = new Date(record.accessExpiresAt).getTime();
    const check = () => {
      if (!(Date.now() < expiresAt)) clear('expired');
    };
    check();
    if (current.value) expiryTimer = setInterval(check, EXPIRY_CHECK_MS);
  }

  /** Show what main answered, unless the screen was cleared while it was on its way. */
  async function fetched<T extends OpenRecord | null>(request: Promise<T>): Promise<T> {
    const at = epoch;
    const record = await request;
    if (at === epoch) show(record);
    return record;
  }

  async function open(scanId: string, reason: AccessReason): Promise<OpenRecord> {
    return fetched(call('emergency.open', { scanId, reason }));
  }

  /** A SMART Health Link (main/shl), with the passcode the clinician asked the patient for (flag P). */
  async function openShl(scanId: string, reason: AccessReason, passcode?: string): Promise<OpenRecord> {
    return fetched(call('shl.open', passcode ? { scanId, reason, passcode } : { scanId, reason }));
  }

  /** The record main still holds open for this session (after an unlock), if any. */
  async function refresh(): Promise<void> {
    const at = epoch;
    try {
      await fetched(call('emergency.current', {}));
    } catch (e) {
      if (at !== epoch) return;
      show(null);
      fetchError.value = errorInfoOf(e);
    }
  }

  /** End access in main (audited) and clear the screen; the screen is cleared even if main fails. */
  async function close(): Promise<void> {
    const record = current.value;
    clear('closed');
    if (record) await call('emergency.close', { recordId: record.recordId });
  }

  function clear(reason: EndReason): void {
    epoch++;
    clearInterval(expiryTimer);
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
    fetchError,
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
