import { createI18n } from 'vue-i18n';
import { MESSAGES, type Locale } from '../../common/i18n/messages';

export const i18n = createI18n({
  legacy: false,
  locale: 'en',
  fallbackLocale: 'en',
  messages: MESSAGES,
  // Messages are plain text from our own files; no HTML in messages.
  warnHtmlMessage: true,
  missingWarn: import.meta.env.DEV,
  fallbackWarn: false,
});

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
}
