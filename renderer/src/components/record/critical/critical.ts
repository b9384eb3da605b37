import type { SectionKind, ViewEntry, ViewSection } from '../../../../../common/emergency-view';

/**
 * The critical-first summary, as pure functions: which sections form the critical band, which
 * entries are current (shown first) and which are history (resolved, inactive, stopped), and what
 * must stand out as much as a high-criticality allergy (resuscitation/intubation orders).
 */
export const CRITICAL_KINDS = [
  'alerts',
  'allergies',
  'advanceDirectives',
  'medications',
  'problems',
  'devices',
  'pregnancy',
] as const satisfies readonly SectionKind[];
export type CriticalKind = (typeof CRITICAL_KINDS)[number];
export const isCriticalKind = (k: SectionKind): k is CriticalKind => (CRITICAL_KINDS as readonly string[]).includes(k);

/** Sections whose whole content is history (past illnesses). */
const HISTORY_KINDS: readonly SectionKind[] = ['pastIllness'];

const INACTIVE_STATUS = new Set([
  'inactive',
  'resolved',
  'remission',
  'completed',
  'stopped',
  'cancelled',
  'entered-in-error',
  'not-done',
  'not-taken',
  'refuted',
  'superseded',
  'revoked',
]);

/** Current: to be read now. False for resolved/inactive/stopped/refuted entries (they go under "history"). */
export function isCurrent(e: ViewEntry): boolean {
  switch (e.type) {
    case 'problem':
    case 'medication':
      return e.active;
    case 'allergy':
      return !INACTIVE_STATUS.has(e.clinicalStatus ?? '') && !INACTIVE_STATUS.has(e.verificationStatus ?? '');
    case 'alert':
    case 'directive':
    case 'device':
    case 'other':
      return !INACTIVE_STATUS.has(e.status ?? '');
    default:
      return true;
  }
}

/** Resuscitation and intubation orders (DNR, DNI, DNACPR, "not for resuscitation"), in English or Greek. */
const LIFE_SUSTAINING =
  /\b(DNR|DNI|DNAR|DNACPR|AND|POLST|MOLST)\b|resusc|intubat|\bCPR\b|ΚΑΡΠΑ|ανάνηψ|αναζωογόνη|διασωλήν/i;

export function isLifeSustainingOrder(e: ViewEntry): boolean {
  return e.type === 'directive' && isCurrent(e) && [e.directive, ...e.categories].some((t) => LIFE_SUSTAINING.test(t));
}

export function isHighRiskAllergy(e: ViewEntry): boolean {
  return (
    e.type === 'allergy' && !e.absence && isCurrent(e) && (e.criticality === 'high' || e.highestSeverity === 'severe')
  );
}

/** A current pregnancy stated by an observation of the pregnancy section ("Pregnant", "Έγκυος"). */
const PREGNANT = /\b(pregnant|schwanger)\b|έγκυος|εγκυμοσύνη|κύηση/i;
const NOT_PREGNANT = /\bnot\b|\bno\b|μη |όχι|nicht/i;
export function isPregnancy(e: ViewEntry): boolean {
  return e.type === 'observation' && !!e.value && PREGNANT.test(e.value) && !NOT_PREGNANT.test(e.value);
}

export interface SplitSection {
  section: ViewSection;
  current: ViewEntry[];
  history: ViewEntry[];
}

/** Entries split into current and history; a history-only section has no current entries. */
export function split(section: ViewSection): SplitSection {
  if (HISTORY_KINDS.includes(section.kind)) return { section, current: [], history: section.entries };
  const current: ViewEntry[] = [];
  const history: ViewEntry[] = [];
  for (const e of section.entries) (isCurrent(e) ? current : history).push(e);
  return { section, current, history };
}
