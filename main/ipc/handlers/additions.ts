import type { z } from 'zod';
import type { additionsChannels } from '../../../common/ipc/channels/additions';
import type { AdditionsService, SubmissionContext } from '../../additions';
import type { PatientLabel } from '../../../common/patient-label';

type Channels = typeof additionsChannels;
/** Same shape as Pick<Handlers, 'additions.submit' | 'outbox.list' | 'outbox.retry'> once the channels are in the contract. */
export type AdditionsHandlers = {
  [C in keyof Channels]: (
    request: z.output<Channels[C]['request']>,
  ) => Promise<z.output<Channels[C]['response']>> | z.output<Channels[C]['response']>;
};

export interface AdditionsHandlerDeps {
  service: AdditionsService;
  /**
   * The signed-in clinician and the open record `recordId` as a submission context; throws
   * NOT_SIGNED_IN / SESSION_LOCKED / CACHE_RECORD_MISSING (the session and open-record services own those rules).
   */
  submissionContext(recordId: string): SubmissionContext;
  /** Name, birth date and sex for a patient reference (from the encrypted cache; null when unknown or locked). */
  patientOf?(patientRef: string): PatientLabel | null;
}

/** The additions channels over the service: validation already happened in the dispatcher. */
export function additionsHandlers(deps: AdditionsHandlerDeps): AdditionsHandlers {
  return {
    'additions.stageAttachment': (req) =>
      deps.service.stage(req, req.op === 'begin' ? deps.submissionContext(req.recordId) : null),
    'additions.submit': (req) => deps.service.submit(deps.submissionContext(req.recordId), req.items),
    'outbox.list': async (req) => {
      const list = await deps.service.list(req.limit);
      if (!deps.patientOf) return list;
      const labels = new Map<string, PatientLabel | null>();
      const labelOf = (ref: string) => {
        if (!labels.has(ref)) labels.set(ref, deps.patientOf!(ref));
        return labels.get(ref)!;
      };
      return { ...list, items: list.items.map((item) => ({ ...item, patient: labelOf(item.patientRef) })) };
    },
    'outbox.retry': (req) => deps.service.retry(req.id),
  };
}
