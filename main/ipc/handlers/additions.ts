import type { z } from 'zod';
import type { additionsChannels } from '../../../common/ipc/channels/additions';
import type { AdditionsService, SubmissionContext } from '../../additions/service';

type Channels = typeof additionsChannels;
/** Same shape as Pick<Handlers, 'additions.submit' | 'outbox.list' | 'outbox.retry'> once the channels are in the contract. */
export type AdditionsHandlers = {
  [C in keyof Channels]: (request: z.output<Channels[C]['request']>) => Promise<z.output<Channels[C]['response']>> | z.output<Channels[C]['response']>;
};

export interface AdditionsHandlerDeps {
  service: AdditionsService;
  /**
   * The signed-in clinician and the open record `recordId` as a submission context; throws
   * NOT_SIGNED_IN / SESSION_LOCKED / CACHE_RECORD_MISSING (the session and open-record services own those rules).
   */
  submissionContext(recordId: string): SubmissionContext;
}

/** The additions channels over the service: validation already happened in the dispatcher. */
export function additionsHandlers(deps: AdditionsHandlerDeps): AdditionsHandlers {
  return {
    'additions.submit': (req) => deps.service.submit(deps.submissionContext(req.recordId), req.items),
    'outbox.list': (req) => deps.service.list(req.limit),
    'outbox.retry': (req) => deps.service.retry(req.id),
  };
}
