import { useI18n } from 'vue-i18n';

/**
 * FHIR status and category codes ("active", "on-hold", "unable-to-assess") in the UI language.
 * Codes the locale files do not know are shown as the document wrote them.
 */
export function useCodes() {
  const { t, te } = useI18n();
  return function code(value: string | undefined | null): string {
    if (!value) return '';
    const key = `codes.${value.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}`;
    return /^[a-z][a-zA-Z-]*$/.test(value) && te(key) ? t(key) : value;
  };
}
