import { createI18n } from 'vue-i18n';

/**
 * Every language is one JSON file in common/i18n/locales/: adding a language is adding a file
 * (its "meta.name" is how the language names itself in the language switch). English is the
 * reference and the fallback; a unit test keeps every file's keys and placeholders equal to it.
 */
type Messages = Record<string, unknown>;
const files = import.meta.glob<Messages>('../../common/i18n/locales/*.json', { eager: true, import: 'default' });

export const MESSAGES: Record<string, Messages> = Object.fromEntries(
  Object.entries(files).map(([path, messages]) => [path.replace(/^.*\/([\w-]+)\.json$/, '$1'), messages]),
);
const AVAILABLE_LOCALES = Object.keys(MESSAGES).sort();

export const i18n = createI18n({
  legacy: false,
  locale: 'en',
  fallbackLocale: 'en',
  // JSON of nested plain strings; vue-i18n's message type cannot describe an open set of locales.
  messages: MESSAGES as unknown as Record<string, Record<string, string>>,
  // Messages are plain text from our own files; no HTML in messages.
  warnHtmlMessage: true,
  missingWarn: import.meta.env.DEV,
  fallbackWarn: false,
});

/** Switch the UI language (unknown codes fall back to English). */
export function setLocale(locale: string): void {
  const next = AVAILABLE_LOCALES.includes(locale) ? locale : 'en';
  i18n.global.locale.value = next;
  document.documentElement.lang = next;
}

/** How a language names itself ("English", "Ελληνικά"). */
export function languageName(locale: string): string {
  const meta = (MESSAGES[locale] as { meta?: { name?: string } } | undefined)?.meta;
  return meta?.name ?? locale;
}
