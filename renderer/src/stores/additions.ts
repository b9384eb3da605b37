import { defineStore } from 'pinia';
import { computed, reactive, ref, shallowRef } from 'vue';
import {
  ADDITION_KINDS,
  type ATTACHMENT_CONTENT_TYPES,
  type AdditionForm,
  type AdditionKind,
  type OutboxCounts,
  type OutboxItem,
} from '../../../common/additions';
import type { ErrorInfo } from '../../../common/errors';
import type { PatientLabel } from '../../../common/patient-label';
import { call, errorInfoOf, onEvent } from '../api/client';
import { DEFAULTS, fileSlices, readSliceBase64, type ChosenFile, type Values } from '../components/additions/forms';
import { useRecordStore } from './record';

const EMPTY_COUNTS: OutboxCounts = { queued: 0, sending: 0, sent: 0, 'failed-retrying': 0 };

export interface SubmitResult {
  additionId: string;
  item: OutboxItem;
  /** How many forms went in it. */
  count: number;
}

/**
 * The work on one patient's additions: the forms added to the next submission and what is being
 * typed in the editor. Kept here, per record, so that a lock (the editor unmounts), a scan or
 * another patient's record never throws it away; only a change of clinician discards it.
 */
export interface RecordDraft {
  recordId: string;
  patientRef: string;
  patient: PatientLabel;
  forms: AdditionForm[];
  kind: AdditionKind;
  values: Record<AdditionKind, Values>;
  file: ChosenFile | null;
}

const emptyValues = () =>
  Object.fromEntries(ADDITION_KINDS.map((k) => [k, { ...(DEFAULTS[k] ?? {}) }])) as Record<AdditionKind, Values>;
const sameValues = (a: Values, b: Values) => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? '').trim() === (b[k] ?? '').trim());
};

/** Unsent work in a draft: forms waiting, or anything typed in the editor. */
export function draftHasWork(d: RecordDraft | undefined): boolean {
  if (!d) return false;
  if (d.forms.length > 0 || d.file) return true;
  const defaults = emptyValues();
  return ADDITION_KINDS.some((k) => !sameValues(d.values[k], defaults[k]));
}

/**
 * Clinician additions and the outbox: the drafts (forms validated in the editor with the schemas
 * of common/additions.ts), what the last submission gave, and the outbox list kept current by
 * 'outbox.changed' events from main's sender.
 */
export const useAdditionsStore = defineStore('additions', () => {
  const record = useRecordStore();
  const drafts = reactive(new Map<string, RecordDraft>());
  const items = ref<OutboxItem[]>([]);
  const counts = ref<OutboxCounts>({ ...EMPTY_COUNTS });
  const listError = shallowRef<ErrorInfo | null>(null);
  /** Unsent additions main recovered (or could not) after a database fault at this start. */
  const recovery = shallowRef<{ recovered: number; unrecoverable: number } | null>(null);
  const loaded = ref(false);
  /** The open record's draft (created when the editor opens it). */
  const current = computed(() => (record.current ? drafts.get(record.current.recordId) : undefined));
  /** The forms of the open record's next submission (already valid), in the order they were added. */
  const draft = computed<AdditionForm[]>(() => current.value?.forms ?? []);
  /** Drafts with unsent work, the open record's first. */
  const withWork = computed(() =>
    [...drafts.values()].filter(draftHasWork).sort((a, b) => Number(b === current.value) - Number(a === current.value)),
  );
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
          recovery.value = res.recovery ?? null;
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

  /** The draft of a record, made on first use. */
  function draftFor(open: { recordId: string; patientRef: string; patient: PatientLabel }): RecordDraft {
    let d = drafts.get(open.recordId);
    if (!d) {
      drafts.set(open.recordId, {
        recordId: open.recordId,
        patientRef: open.patientRef,
        patient: open.patient,
        forms: [],
        kind: 'note',
        values: emptyValues(),
        file: null,
      });
      d = drafts.get(open.recordId)!;
    }
    return d;
  }

  function addToDraft(form: AdditionForm): void {
    current.value?.forms.push(form);
    lastResult.value = null;
    submitError.value = null;
  }

  function removeFromDraft(index: number): void {
    current.value?.forms.splice(index, 1);
  }

  function discard(recordId: string): void {
    drafts.delete(recordId);
  }

  /**
   * Stages a chosen file for the open record `recordId` in main in slices (`additions.stageAttachment`:
   * begin, one chunk per slice, end; main seals it for that patient as it arrives), never whole; `onProgress` gets the bytes sent. Throws the typed refusal
   * (ADDITION_ATTACHMENT_TOO_LARGE at begin, ADDITION_STAGING_INVALID); a half-staged file is discarded.
   */
  async function stageFile(recordId: string, file: File, onProgress?: (sent: number) => void): Promise<ChosenFile> {
    const contentType = file.type as (typeof ATTACHMENT_CONTENT_TYPES)[number]; // the editor checked it
    const { stagingId } = await call('additions.stageAttachment', {
      op: 'begin',
      recordId,
      contentType,
      size: file.size,
    });
    try {
      let sent = 0;
      for (const { index, slice } of fileSlices(file)) {
        const dataBase64 = await readSliceBase64(slice);
        await call('additions.stageAttachment', { op: 'chunk', stagingId, index, dataBase64 });
        sent += slice.size;
        onProgress?.(sent);
      }
      await call('additions.stageAttachment', { op: 'end', stagingId });
    } catch (e) {
      await call('additions.stageAttachment', { op: 'discard', stagingId }).catch(() => {});
      throw e;
    }
    return { name: file.name, contentType: file.type, size: file.size, stagingId };
  }

  /** Sign, encrypt and queue the draft for the open record; the draft is kept when it fails. */
  async function submit(recordId: string): Promise<SubmitResult | null> {
    if (!drafts.get(recordId)?.forms.length || submitting.value) return null;
    submitting.value = true;
    submitError.value = null;
    lastResult.value = null;
    try {
      const d = drafts.get(recordId);
      if (!d) return null;
      const forms = d.forms.slice();
      const res = await call('additions.submit', { recordId, items: forms });
      const result = { additionId: res.additionId, item: res.item, count: forms.length };
      lastResult.value = result;
      d.forms.splice(0, forms.length);
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

  /** A new clinician does not see the previous one's drafts or result. */
  function resetDraft(): void {
    drafts.clear();
    lastResult.value = null;
    submitError.value = null;
  }

  return {
    items,
    counts,
    listError,
    recovery,
    loaded,
    drafts,
    draft,
    current,
    withWork,
    draftFor,
    discard,
    submitting,
    submitError,
    lastResult,
    retrying,
    retryErrors,
    waiting,
    refresh,
    start,
    stop,
    addToDraft,
    removeFromDraft,
    stageFile,
    submit,
    retry,
    resetDraft,
  };
});
