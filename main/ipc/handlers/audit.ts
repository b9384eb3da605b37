import { WorkstationError } from '../../../common/errors';
import type { SessionAuditEntry } from '../../../common/ipc/channels/audit';
import { DCM, SYSTEMS, type AuditEntry } from '../../audit/index';
import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';

const SHOWN = 500;
const STEP_CODES: Record<string, SessionAuditEntry['step']> = {
  'qr-scan': 'qr-scan',
  'certificate-check': 'certificate-check',
  'hri-lookup': 'hri-lookup',
  'cloud-credentials': 'cloud-credentials',
  'object-download': 'object-download',
  'cache-open': 'cache-open',
  'cache-purge': 'cache-purge',
  'addition-submitted': 'addition-submitted',
  'session-lock': 'session-lock',
  'session-unlock': 'session-unlock',
  'record-print': 'record-print',
  [DCM.emergencyOverrideStarted.code]: 'emergency-start',
  [DCM.emergencyOverrideStopped.code]: 'emergency-stop',
};

function stepOf(entry: AuditEntry): SessionAuditEntry['step'] {
  for (const c of entry.event.subtype ?? []) {
    if ((c.system === SYSTEMS.step || c.system === SYSTEMS.dcm) && STEP_CODES[c.code]) return STEP_CODES[c.code]!;
  }
  return 'other';
}

function detailOf(ws: Workstation, entry: AuditEntry, step: SessionAuditEntry['step']): string | null {
  const details = (entry.event.entity ?? []).flatMap((e) => e.detail ?? []);
  const value = (type: string) => details.find((d) => d.type === type)?.valueString ?? null;
  switch (step) {
    case 'emergency-start':
      return ws.audit.emergencyReasonText(entry) ?? value('reason-code');
    case 'emergency-stop':
      return value('stop-reason');
    case 'qr-scan':
      return value('scan-source');
    case 'session-lock':
      return value('lock-trigger');
    case 'record-print':
      return value('format');
    case 'object-download':
    case 'addition-submitted':
      return (
        entry.event.entity?.find((e) => e.what?.identifier.system === SYSTEMS.object)?.what?.identifier.value ?? null
      );
    default:
      return null;
  }
}

/**
 * The signed-in clinician's own audit entries since their (latest) successful sign-in, from the
 * workstation's audit trail: what they did with which patient references, for review on screen.
 */
export function auditHandlers(ws: Workstation): Pick<Handlers, 'audit.session'> {
  return {
    'audit.session': () => {
      const clinician = ws.session.clinician;
      if (!clinician) throw new WorkstationError(ws.session.status().locked ? 'SESSION_LOCKED' : 'NOT_SIGNED_IN');
      const altId = `sha256:${clinician.audit.certFingerprint.toLowerCase()}`;
      const mine = ws.audit
        .entries(1, Number.MAX_SAFE_INTEGER)
        .filter((e) => e.event.agent.some((a) => a.altId === altId));
      let start = 0;
      mine.forEach((e, i) => {
        // An unlock re-checks the certificate too: the session goes on (its entries stay listed).
        const next = mine[i + 1];
        if (
          stepOf(e) === 'certificate-check' &&
          e.event.outcome === '0' &&
          !(next && stepOf(next) === 'session-unlock')
        )
          start = i;
      });
      const session = mine.slice(start);
      return {
        since: session[0]?.event.recorded ?? null,
        entries: session
          .slice(-SHOWN)
          .reverse()
          .map((e) => {
            const step = stepOf(e);
            return {
              seq: e.seq,
              recorded: e.event.recorded,
              step,
              ok: e.event.outcome === '0',
              errorCode: e.event.outcomeDesc ?? null,
              patientRef:
                e.event.entity?.find((x) => x.what?.identifier.system === SYSTEMS.patientRef)?.what?.identifier.value ??
                null,
              detail: detailOf(ws, e, step),
            };
          }),
      };
    },
  };
}
