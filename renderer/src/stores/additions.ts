import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { AdditionForm, OutboxCounts, OutboxItem } from '../../../common/additions';
import type { ErrorInfo } from '../../../common/errors';
import { call, errorInfoOf, onEvent } from '../api/client';

const EMPTY_COUNTS: OutboxCounts = { queued: 0, sending: 0, sent: 0, 'failed-retrying': 0 };

export interface SubmitResult {
  additionId: string;
  item: OutboxItem;
  /** How many forms went in it. */
  count: number;
}

/**
 * Clinician additions and the outbox: the draft of the next submission (forms validated in the
 * editor with the schemas of common/additions.ts), what the last submission gave, and the outbox
 * list kept current by 'outbox.changed' events from main's sender.
 */
export const useAdditionsStore = defineStore('additions', () => {
  const items = ref<OutboxItem[]>([]);
  const counts = ref<OutboxCounts>({ ...EMPTY_COUNTS });
  const listError = shallowRef<ErrorInfo | null>(null);
  const loaded = ref(false);
  /** The forms of the next submission (already valid), in the order they were added. */
  const draft = ref<AdditionForm[]>([]);
  const submitting = ref(false);
  const submitError = shallowRef<ErrorInfo | null>(null);
  const lastResult = shallowRef<SubmitResult | null>(null);
  const retrying = ref<Set<number>>(new Set());
  const retryErrors = ref<Map<number, ErrorInfo>>(new Map());

  /** Waiting to leave this workstation: queued, sending, or failed and retrying. */
  const waiting = computed(() => counts.value.queued + counts.value.sending + counts.value['failed-retrying']);

  let off: (() => void) | null = null;
  let refreshing: Promise<void> | null = null;
  let refreshAgain = false;

  async function refresh(): Promise<void> {
    if (refreshing) {
      refreshAgain = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        refreshAgain = false;
        try {
          const res = await call('outbox.list', { limit: 200 });
          items.value = res.items;
          counts.value = res.counts;
          listError.value = null;
          loaded.value = true;
        } catch (e) {
          listError.value = errorInfoOf(e);
        }
      } while (refreshAgain);
    })().finally(() => {
      refreshing = null;
    });
    return refreshing;
  }

  /** Listen to the outbox (once per app) and load it. */
  function start(): void {
    if (off) return;
    off = onEvent('outbox.changed', (e) => {
      counts.value = e.counts;
      if (!e.item) return;
      const known = items.value.find((i) => i.id === e.item!.id);
      if (known) {
        // Status and error now; the timestamps (sent, next attempt) with the list that follows.
        known.status = e.item.status;
        known.lastError = e.item.lastError;
      }
      void refresh();
    });
    void refresh();
  }

  function stop(): void {
    off?.();
    off = null;
  }

  function addToDraft(form: AdditionForm): void {
    draft.value.push(form);
    lastResult.value = null;
    submitError.value = null;
  }

  function removeFromDraft(index: number): void {
    draft.value.splice(index, 1);
  }

  /** Sign, encrypt and queue the draft for the open record; the draft is kept when it fails. */
  async function submit(recordId: string): Promise<SubmitResult | null> {
    if (draft.value.length === 0 || submitting.value) return null;
    submitting.value = true;
    submitError.value = null;
    lastResult.value = null;
    try {
      const forms = draft.value.slice();
      const res = await call('additions.submit', { recordId, items: forms });
      const result = { additionId: res.additionId, item: res.item, count: forms.length };
      lastResult.value = result;
      draft.value = [];
      if (!items.value.some((i) => i.id === res.item.id)) items.value = [res.item, ...items.value];
      void refresh();
      return result;
    } catch (e) {
      submitError.value = errorInfoOf(e);
      return null;
    } finally {
      submitting.value = false;
    }
  }

  async function retry(id: number): Promise<void> {
    const busy = new Set(retrying.value);
    busy.add(id);
    retrying.value = busy;
    const errors = new Map(retryErrors.value);
    errors.delete(id);
    retryErrors.value = errors;
    try {
      const item = await call('outbox.retry', { id });
      items.value = items.value.map((i) => (i.id === id ? item : i));
    } catch (e) {
      const next = new Map(retryErrors.value);
      next.set(id, errorInfoOf(e));
      retryErrors.value = next;
    } finally {
      const done = new Set(retrying.value);
      done.delete(id);
      retrying.value = done;
    }
  }

  /** A new clinician does not see the previous one's draft or result. */
  function resetDraft(): void {
    draft.value = [];
    lastResult.value = null;
    submitError.value = null;
  }

  return { items, counts, listError, loaded, draft, submitting, submitError, lastResult, retrying, retryErrors, waiting, refresh, start, stop, addToDraft, removeFromDraft, submit, retry, resetDraft };
});
