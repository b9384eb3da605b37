import { WorkstationError } from '../../../common/errors';
import { CHANNELS } from '../../../common/ipc/contract';
import { currentStartupDecision, type StartupDecision } from '../../config';
import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';
import { appHandlers } from './app';
import { sessionHandlers } from './session';
import { emergencyHandlers } from './emergency';
import { additionsHandlers } from './additions';
import { settingsHandlers } from './settings';
import { diagnosticsHandlers } from './diagnostics';
import { auditHandlers } from './audit';

/**
 * No fail-open (main/config/startup.ts): an app without a machine configuration answers app.info
 * (which carries `notConfigured`, so the renderer shows that screen) and refuses every other
 * channel with CONFIG_NOT_CONFIGURED — nothing can be signed in to, scanned or opened.
 */
export function gateForStartup(handlers: Handlers, startup: StartupDecision): Handlers {
  if (startup.kind !== 'not-configured') return handlers;
  const refuse = () => {
    throw new WorkstationError('CONFIG_NOT_CONFIGURED', { file: startup.notConfigured.machineFile });
  };
  const gated = Object.fromEntries(
    CHANNELS.map((c) => [c, c === 'app.info' ? handlers[c] : refuse]),
  ) as unknown as Handlers;
  return gated;
}

/**
 * Every channel of the contract has exactly one handler here (the type enforces it). Each handler
 * module gets the services it uses (its own deps object), never the whole workstation.
 */
export function createHandlers(ws: Workstation): Handlers {
  return gateForStartup(allHandlers(ws), currentStartupDecision(ws.loaded));
}

function allHandlers(ws: Workstation): Handlers {
  return {
    ...appHandlers({ loaded: ws.loaded, version: ws.version }),
    ...sessionHandlers({ session: ws.session, idleLock: ws.idleLock, config: ws.loaded.config }),
    ...emergencyHandlers({ emergency: ws.emergency, shl: ws.shl, printer: () => ws.printer() }),
    ...additionsHandlers({
      service: ws.additions,
      submissionContext: (recordId) => ws.emergency.submissionContext(recordId),
      patientOf: (ref) => ws.emergency.patientLabel(ref),
    }),
    ...settingsHandlers({ settings: ws.settings }),
    ...diagnosticsHandlers({ diagnostics: ws.diagnostics }),
    ...auditHandlers({ audit: ws.audit, session: ws.session }),
  };
}
