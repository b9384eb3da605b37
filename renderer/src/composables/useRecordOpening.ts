import { ref, type Ref } from 'vue';
import { useRouter } from 'vue-router';
import type { OpenRecord } from '../../../common/ipc/channels/emergency';
import type { ErrorInfo } from '../../../common/errors';
import { patientLabelOf } from '../../../common/patient-label';
import { errorInfoOf } from '../api/client';
import { useScanStore } from '../stores/scan';

/**
 * The last step of every way into a record (break the glass; a SMART Health Link's passcode): run
 * the open, tell the scan list who the patient is, close the dialog and show the summary; a refusal
 * stays in `error` (typed) for the dialog to show. One place, so every way in ends the same.
 */
export function useRecordOpening(dialog: Ref<HTMLDialogElement | null>) {
  const scan = useScanStore();
  const router = useRouter();
  const busy = ref(false);
  const error = ref<ErrorInfo | null>(null);

  /** True when the record is open and on screen; false with `error` set when it was refused. */
  async function openWith(open: () => Promise<OpenRecord>): Promise<boolean> {
    busy.value = true;
    error.value = null;
    try {
      const opened = await open();
      scan.opened(opened.patientRef, patientLabelOf(opened.view.patient));
      dialog.value?.close();
      await router.push('/patient');
      return true;
    } catch (e) {
      error.value = errorInfoOf(e);
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { busy, error, openWith };
}
