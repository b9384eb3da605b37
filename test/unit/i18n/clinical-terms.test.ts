import { describe, expect, it } from 'vitest';
import { LOCALES, MESSAGES } from '../../../common/i18n/messages';

/**
 * Clinical status and term codes appear in more than one message table (the record's status tags
 * `codes.*`, `record.active/inactive`, the additions form's options `additions.option.*`): each
 * code must read the same everywhere in a language (one clinician's vocabulary), and the Greek
 * terms are the clinical ones (abatement is not remission).
 */
const CLINICAL_CODES = [
  'active',
  'inactive',
  'resolved',
  'recurrence',
  'relapse',
  'remission',
  'confirmed',
  'unconfirmed',
  'refuted',
  'provisional',
  'differential',
  'enteredInError',
  'mild',
  'moderate',
  'severe',
  'high',
  'low',
  'unableToAssess',
  'completed',
  'stopped',
  'onHold',
  'intended',
  'notTaken',
  'notDone',
  'inProgress',
  'allergy',
  'intolerance',
  'food',
  'medication',
  'environment',
  'biologic',
] as const;
const TABLES = ['codes', 'record', 'additions.option', 'additions.status'] as const;

const camel = (k: string) => k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
function table(locale: string, path: string): Record<string, unknown> {
  return (path
    .split('.')
    .reduce<unknown>(
      (o, p) => (o as Record<string, unknown> | undefined)?.[p],
      MESSAGES[locale as keyof typeof MESSAGES],
    ) ?? {}) as Record<string, unknown>;
}

describe('clinical terms', () => {
  it.each(LOCALES)('%s: every clinical status/term code has one translation, whichever table it is in', (locale) => {
    const found = new Map<string, Map<string, string[]>>();
    for (const t of TABLES) {
      for (const [key, value] of Object.entries(table(locale, t))) {
        const code = camel(key);
        if (!(CLINICAL_CODES as readonly string[]).includes(code) || typeof value !== 'string') continue;
        const byValue = found.get(code) ?? new Map<string, string[]>();
        byValue.set(value.toLocaleLowerCase(locale), [
          ...(byValue.get(value.toLocaleLowerCase(locale)) ?? []),
          `${t}.${key}`,
        ]);
        found.set(code, byValue);
      }
    }
    const inconsistent = [...found.entries()]
      .filter(([, byValue]) => byValue.size > 1)
      .map(([code, byValue]) => `${code}: ${JSON.stringify(Object.fromEntries(byValue))}`);
    expect(inconsistent).toEqual([]);
    // Every code is translated in the record's table.
    for (const code of CLINICAL_CODES) expect(table(locale, 'codes')[code], `${locale}: codes.${code}`).toBeTruthy();
  });

  it("Greek uses the clinician's words: abatement is the date of resolution, not remission", () => {
    const el = (path: string) => table('el', path.split('.').slice(0, -1).join('.'))[path.split('.').at(-1)!];
    expect(el('fields.abatement')).toBe('Ημερομηνία αποδρομής/λύσης');
    expect(el('codes.resolved')).toBe('λύθηκε');
    expect(el('codes.remission')).toBe('ύφεση');
    expect(el('fields.abatement')).not.toMatch(/ύφεση/i);
    expect(el('codes.recurrence')).not.toBe(el('codes.relapse'));
  });
});
