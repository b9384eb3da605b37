import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../common/errors';
import { MESSAGES, LOCALES, errorMessage } from '../../../common/i18n/messages';

function keys(obj: unknown, prefix = ''): string[] {
  if (typeof obj !== 'object' || obj === null) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  it('every error code has a message in every language', () => {
    for (const locale of LOCALES) {
      const errors = MESSAGES[locale].errors as Record<string, string>;
      for (const code of ERROR_CODES) expect(errors[code], `${locale}: errors.${code}`).toBeTruthy();
    }
  });

  it('every language has exactly the keys of English, with the same placeholders', () => {
    const en = MESSAGES.en as unknown as Record<string, unknown>;
    const enKeys = keys(en).sort();
    for (const locale of LOCALES) {
      const table = MESSAGES[locale] as unknown as Record<string, unknown>;
      expect(keys(table).sort(), locale).toEqual(enKeys);
      for (const k of enKeys) {
        const get = (t: Record<string, unknown>) =>
          k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], t) as string;
        expect(placeholders(get(table)), `${locale}: ${k}`).toEqual(placeholders(get(en)));
      }
    }
  });

  it('formats an error with its details for the CLI', () => {
    expect(errorMessage({ code: 'PKI_WEAK_KEY', details: { bits: 1024 } })).toContain('1024 bits');
    expect(errorMessage({ code: 'PKI_WEAK_KEY', details: { bits: 1024 } }, 'el')).toContain('1024 bit');
  });
});
