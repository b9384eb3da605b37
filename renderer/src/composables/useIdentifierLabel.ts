import { useI18n } from 'vue-i18n';

/**
 * Human labels for patient identifier systems ("urn:oid:2.16.840.1.113883.2.4.6.3" -> "National
 * ID (BSN)"), from a small table of the systems seen in practice; unknown systems fall back to the
 * system's last segment ("…/ns/nhi-id" -> "nhi-id"), an OID or UUID to "Identifier".
 */
export type IdentifierKind =
  'nationalId' | 'healthId' | 'passport' | 'socialInsurance' | 'mrn' | 'ssn' | 'nhs' | 'nhi' | 'amka';

const TABLE: [RegExp, IdentifierKind, string?][] = [
  [/^urn:oid:2\.16\.840\.1\.113883\.2\.4\.6\.3$/, 'nationalId', 'BSN'],
  [/^urn:oid:2\.16\.840\.1\.113883\.3\.9143\.2\.1\.1$/, 'nationalId'],
  [/^urn:oid:2\.16\.840\.1\.113883\.3\.9143\.2\.1\.2$/, 'passport'],
  [/^urn:oid:2\.16\.840\.1\.113883\.3\.9143\.2\.1\.4$/, 'socialInsurance'],
  [/^urn:oid:2\.16\.840\.1\.113883\.3\.9143\.2\.1\.5$/, 'healthId'],
  [/^urn:oid:2\.16\.840\.1\.113883\.2\.1\.4\.1$/, 'nhs'],
  [/amka/i, 'amka'],
  [/nhs-number|NHS Number/i, 'nhs'],
  [/nhi-id|\/nhi$/i, 'nhi'],
  [/us-ssn|^urn:oid:2\.16\.840\.1\.113883\.4\.1$|social security/i, 'ssn'],
  [/passport|^PPN$/i, 'passport'],
  [/medical record|\bMRN?\b|\/mrn\b/i, 'mrn'],
  [/national (id|identifier)|\bNI\b|\bNNI?\b/i, 'nationalId'],
];

/** Which kind an identifier label (system or type text) is, or null. */
export function identifierKind(label: string | undefined): { kind: IdentifierKind; extra?: string } | null {
  if (!label) return null;
  for (const [re, kind, extra] of TABLE) if (re.test(label)) return { kind, ...(extra ? { extra } : {}) };
  return null;
}

/** Preference for the one identifier shown in the header: national/health ids first, then MRN. */
const RANK: Record<IdentifierKind, number> = {
  nationalId: 0,
  amka: 0,
  nhs: 0,
  nhi: 0,
  healthId: 1,
  ssn: 2,
  socialInsurance: 3,
  mrn: 4,
  passport: 5,
};
export function identifierRank(label: string | undefined): number {
  const k = identifierKind(label);
  return k ? RANK[k.kind] : 9;
}

export function useIdentifierLabel() {
  const { t } = useI18n();
  return function label(system: string | undefined): string {
    const k = identifierKind(system);
    if (k) return t(`identifiers.${k.kind}`) + (k.extra ? ` (${k.extra})` : '');
    if (!system || /^urn:(oid|uuid):/i.test(system) || /^[\d.]+$/.test(system)) return t('patient.identifier');
    if (!/[/:]/.test(system)) return system;
    const last = system
      .replace(/[/#]+$/, '')
      .split(/[/:#]/)
      .filter(Boolean)
      .at(-1);
    return last ?? t('patient.identifier');
  };
}
