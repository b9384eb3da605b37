import type { SectionKind, ViewEntry } from '../../common/emergency-view';
import { sortTime } from './text';

/**
 * The order of entries on the emergency screen: what matters now first. Sorting is stable, so
 * the document's own order is kept among equals. Statements of absence ("No known food
 * allergy" among real allergies) and retracted entries go last.
 */

const CRITICALITY_RANK: Record<string, number> = { high: 0, 'unable-to-assess': 1, low: 3 };
const SEVERITY_RANK: Record<string, number> = { severe: 0, moderate: 1, mild: 2 };
const RETRACTED = new Set(['entered-in-error', 'refuted']);
const INACTIVE_ALLERGY = new Set(['inactive', 'resolved']);
const INACTIVE_STATUS = new Set([
  'inactive',
  'completed',
  'stopped',
  'cancelled',
  'revoked',
  'rejected',
  'not-taken',
  'not-done',
  'resolved',
  'entered-in-error',
]);

function entryDate(e: ViewEntry): string | undefined {
  switch (e.type) {
    case 'observation':
    case 'report':
    case 'immunization':
    case 'procedure':
    case 'directive':
    case 'other':
      return e.date;
    case 'problem':
      return e.onset ?? e.recorded;
    default:
      return undefined;
  }
}

function retracted(e: ViewEntry): boolean {
  if (e.type === 'allergy' || e.type === 'problem')
    return e.verificationStatus !== undefined && RETRACTED.has(e.verificationStatus);
  return 'status' in e && e.status === 'entered-in-error';
}

function inactive(e: ViewEntry): boolean {
  switch (e.type) {
    case 'allergy':
      return e.clinicalStatus !== undefined && INACTIVE_ALLERGY.has(e.clinicalStatus);
    case 'problem':
    case 'medication':
      return !e.active;
    case 'alert':
    case 'device':
    case 'directive':
      return e.status !== undefined && INACTIVE_STATUS.has(e.status);
    default:
      return false;
  }
}

/** Newest first; undated last. */
function byDateDesc(a: ViewEntry, b: ViewEntry): number {
  const ta = sortTime(entryDate(a));
  const tb = sortTime(entryDate(b));
  if (ta === undefined || tb === undefined) return ta === undefined ? (tb === undefined ? 0 : 1) : -1;
  return tb - ta;
}

function byAllergyRisk(a: ViewEntry, b: ViewEntry): number {
  if (a.type !== 'allergy' || b.type !== 'allergy') return 0;
  const c = (CRITICALITY_RANK[a.criticality ?? ''] ?? 2) - (CRITICALITY_RANK[b.criticality ?? ''] ?? 2);
  if (c !== 0) return c;
  return (SEVERITY_RANK[a.highestSeverity ?? ''] ?? 3) - (SEVERITY_RANK[b.highestSeverity ?? ''] ?? 3);
}

const DATED_KINDS = new Set<SectionKind>([
  'results',
  'vitalSigns',
  'pregnancy',
  'immunizations',
  'procedures',
  'socialHistory',
  'functionalStatus',
]);

export function orderEntries(kind: SectionKind, entries: ViewEntry[]): ViewEntry[] {
  const rank = (e: ViewEntry) => (e.absence ? 3 : retracted(e) ? 2 : inactive(e) ? 1 : 0);
  return [...entries].sort((a, b) => {
    const r = rank(a) - rank(b);
    if (r !== 0) return r;
    if (kind === 'allergies') return byAllergyRisk(a, b);
    if (DATED_KINDS.has(kind)) return byDateDesc(a, b);
    return 0;
  });
}
