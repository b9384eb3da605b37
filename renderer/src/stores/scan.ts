import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ErrorInfo } from '../../../common/errors';
import type { ScanPreview, ScanSource } from '../../../common/ipc/channels/emergency';
import { SCAN_TEXT_MAX } from '../../../common/ipc/channels/emergency';
import { call, errorInfoOf } from '../api/client';
import type { PatientLabel } from '../../../common/patient-label';

export interface RecentScan {
  id: number;
  at: Date;
  source: ScanSource;
  patientRef: string | null;
  /** Who it is, once known (from the cache at scan time, or the record once opened). */
  patient: PatientLabel | null;
  error: ErrorInfo | null;
}

const RECENT_MAX = 10;

/** Scans of this session: the preview of the last one, its error, and a short history. */
export const useScanStore = defineStore('scan', () => {
  const preview = shallowRef<ScanPreview | null>(null);
  const error = shallowRef<ErrorInfo | null>(null);
  const busy = ref(false);
  const recent = ref<RecentScan[]>([]);
  let nextId = 1;

  function remember(source: ScanSource): void {
    recent.value = [
      {
        id: nextId++,
        at: new Date(),
        source,
        patientRef: preview.value?.patientRef ?? null,
        patient: preview.value?.patient ?? null,
        error: error.value,
      },
      ...recent.value,
    ].slice(0, RECENT_MAX);
  }

  /** A scan main has already parsed (serial scanner): its preview or its refusal. */
  function accept(result: { preview: ScanPreview | null; error: ErrorInfo | null }, source: ScanSource): void {
    preview.value = result.preview;
    error.value = result.preview ? null : (result.error ?? { code: 'INTERNAL_ERROR' });
    remember(source);
  }

  async function submit(rawText: string, source: ScanSource): Promise<void> {
    const text = rawText.trim();
    preview.value = null;
    error.value = null;
    if (!text) {
      error.value = { code: 'QR_NOT_THIS_FORMAT' };
      return;
    }
    if (text.length > SCAN_TEXT_MAX) {
      error.value = { code: 'QR_NOT_THIS_FORMAT' };
      return;
    }
    busy.value = true;
    try {
      preview.value = await call('emergency.scan', { text, source });
    } catch (e) {
      error.value = errorInfoOf(e);
    } finally {
      busy.value = false;
    }
    remember(source);
  }

  /** A record opened: its scans now show who it is, and its card no longer says "no copy here". */
  function opened(patientRef: string, patient: PatientLabel): void {
    for (const r of recent.value) if (r.patientRef === patientRef) r.patient = patient;
    if (preview.value?.patientRef === patientRef) preview.value = { ...preview.value, cached: true, patient };
  }

  function dismiss(): void {
    preview.value = null;
    error.value = null;
  }

  /** On sign-out or a change of clinician: the next clinician does not see these. */
  function reset(): void {
    dismiss();
    recent.value = [];
  }

  return { preview, error, busy, recent, submit, accept, opened, dismiss, reset };
});
