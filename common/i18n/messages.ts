import en from './locales/en.json';
import el from './locales/el.json';
import type { ErrorInfo } from '../errors';

/** Every language is one JSON file here; English is the reference every other must match. */
export const MESSAGES = { en, el } as const;
export type Locale = keyof typeof MESSAGES;
export const LOCALES = Object.keys(MESSAGES) as Locale[];

/** Fill {name} placeholders (the same syntax vue-i18n uses). Missing values stay visible. */
export function formatMessage(template: string, values: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
}

/** An error as a sentence, for the CLI and logs shown to IT staff. */
export function errorMessage(error: ErrorInfo, locale: Locale = 'en'): string {
  const table = MESSAGES[locale].errors as Record<string, string>;
  return formatMessage(table[error.code] ?? error.code, error.details);
}
