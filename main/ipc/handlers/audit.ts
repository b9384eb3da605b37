import type { AuditTrail } from '../../audit/index';
import type { ClinicianSession } from '../../session/index';
import type { Handlers } from '../dispatch';

const SHOWN = 500;

export interface AuditHandlerDeps {
  audit: Pick<AuditTrail, 'sessionEntries'>;
  session: Pick<ClinicianSession, 'require'>;
}

/** The signed-in clinician's own audit entries since their sign-in (NOT_SIGNED_IN, SESSION_LOCKED otherwise). */
export function auditHandlers(deps: AuditHandlerDeps): Pick<Handlers, 'audit.session'> {
  return {
    'audit.session': () => deps.audit.sessionEntries(deps.session.require().audit.certFingerprint, SHOWN),
  };
}
