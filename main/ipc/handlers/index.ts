import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';
import { appHandlers } from './app';
import { sessionHandlers } from './session';
import { emergencyHandlers } from './emergency';
import { additionsHandlers } from './additions';
import { settingsHandlers } from './settings';
import { diagnosticsHandlers } from './diagnostics';
import { auditHandlers } from './audit';

/** Every channel of the contract has exactly one handler here (the type enforces it). */
export function createHandlers(ws: Workstation): Handlers {
  return {
    ...appHandlers(ws),
    ...sessionHandlers(ws),
    ...emergencyHandlers(ws),
    'shl.open': ({ scanId, reason, passcode }) => ws.shl.open(scanId, reason, passcode),
    ...additionsHandlers({ service: ws.additions, submissionContext: (recordId) => ws.emergency.submissionContext(recordId) }),
    ...settingsHandlers(ws),
    ...diagnosticsHandlers(ws),
    ...auditHandlers(ws),
  };
}
