import type { SessionAuditEntry } from '../../common/ipc/channels/audit';
import type { Db } from '../cache/index';
import { DCM, SYSTEMS, type AuditEvent } from './event';

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

/** The clinician's agent altId (always the first agent of an entry a clinician made: steps.ts). */
const MINE = `json_extract(entry, '$.event.agent[0].altId') = @altId`;
const HAS_STEP = (table: string, code: string) =>
  `EXISTS (SELECT 1 FROM json_each(${table}.entry, '$.event.subtype') s
     WHERE json_extract(s.value, '$.system') = '${SYSTEMS.step}' AND json_extract(s.value, '$.code') = '${code}')`;

/**
 * Where the clinician's session began: their newest successful certificate check that is not an
 * unlock's (an unlock re-checks the certificate; the session goes on, its entries stay listed).
 * By the audit_log_clinician index (migration 070), walking back from the newest.
 */
const SESSION_START = `
  SELECT c.seq FROM audit_log c
  WHERE json_extract(c.entry, '$.event.agent[0].altId') = @altId
    AND json_extract(c.entry, '$.event.outcome') = '0'
    AND ${HAS_STEP('c', 'certificate-check')}
    AND NOT EXISTS (
      SELECT 1 FROM audit_log n
      WHERE n.seq = (SELECT min(m.seq) FROM audit_log m
                     WHERE json_extract(m.entry, '$.event.agent[0].altId') = @altId AND m.seq > c.seq)
        AND ${HAS_STEP('n', 'session-unlock')})
  ORDER BY c.seq DESC LIMIT 1`;

export interface SessionEntries {
  /** When the session's first listed entry was recorded (null: the clinician has none). */
  since: string | null;
  /** Newest first, at most `limit`. */
  entries: SessionAuditEntry[];
}

/**
 * The clinician's own audit entries since their (latest) sign-in, newest first, answered in SQL:
 * only the entries shown are read and parsed, whatever the size of the log.
 */
export function sessionEntries(
  db: Db,
  certFingerprint: string,
  limit: number,
  reasonText: (event: AuditEvent) => string | null,
): SessionEntries {
  const altId = `sha256:${certFingerprint.toLowerCase()}`;
  const start = (db.prepare(SESSION_START).pluck().get({ altId }) as number | undefined) ?? 0;
  const first = db
    .prepare(
      `SELECT json_extract(entry, '$.event.recorded') FROM audit_log WHERE ${MINE} AND seq >= @start ORDER BY seq LIMIT 1`,
    )
    .pluck()
    .get({ altId, start }) as string | undefined;
  const rows = db
    .prepare(`SELECT seq, entry FROM audit_log WHERE ${MINE} AND seq >= @start ORDER BY seq DESC LIMIT @limit`)
    .all({ altId, start, limit }) as { seq: number; entry: string }[];
  return {
    since: first ?? null,
    entries: rows.map((r) => {
      const event = (JSON.parse(r.entry) as { event: AuditEvent }).event;
      const step = stepOf(event);
      return {
        seq: r.seq,
        recorded: event.recorded,
        step,
        ok: event.outcome === '0',
        errorCode: event.outcomeDesc ?? null,
        patientRef:
          event.entity?.find((x) => x.what?.identifier.system === SYSTEMS.patientRef)?.what?.identifier.value ?? null,
        detail: detailOf(event, step, reasonText),
      };
    }),
  };
}

function stepOf(event: AuditEvent): SessionAuditEntry['step'] {
  for (const c of event.subtype ?? []) {
    if ((c.system === SYSTEMS.step || c.system === SYSTEMS.dcm) && STEP_CODES[c.code]) return STEP_CODES[c.code]!;
  }
  return 'other';
}

function detailOf(
  event: AuditEvent,
  step: SessionAuditEntry['step'],
  reasonText: (event: AuditEvent) => string | null,
): string | null {
  const details = (event.entity ?? []).flatMap((e) => e.detail ?? []);
  const value = (type: string) => details.find((d) => d.type === type)?.valueString ?? null;
  switch (step) {
    case 'emergency-start':
      return reasonText(event) ?? value('reason-code');
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
      return event.entity?.find((e) => e.what?.identifier.system === SYSTEMS.object)?.what?.identifier.value ?? null;
    default:
      return null;
  }
}
