import type * as fhir4 from 'fhir/r4';
import type { NoInformationKind } from '../../common/emergency-view';
import { conceptDisplay, knownDisplay, list } from './text';

/**
 * "No information" and "none known" statements. IPS lets a document say a required section is
 * empty with Composition.section.emptyReason, or with a single entry whose code is one of these.
 * The two meanings differ for the clinician: "no known allergy" is a finding, "no information"
 * is not, so they are told apart.
 */

const SNOMED = 'http://snomed.info/sct';
const ABSENT_UNKNOWN = 'http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips';
const EMPTY_REASON = 'http://terminology.hl7.org/CodeSystem/list-empty-reason';

const SNOMED_ABSENCE: Record<string, NoInformationKind> = {
  '1287211007': 'no-information', // No information available
  '716186003': 'none-known', // No known allergy
  '409137002': 'none-known', // No known drug allergy
  '429625007': 'none-known', // No known food allergy
  '428607008': 'none-known', // No known environmental allergy
  '160245001': 'none-known', // No current problems or disability
  '787481004': 'none-known', // No known medications
};

export interface Absence {
  kind: NoInformationKind;
  text: string;
}

/**
 * Code systems whose codes are trusted over any text: when a concept carries a code from one
 * of these that is not an absence code, it names a real thing ("Allergy to penicillin"),
 * whatever its text says.
 */
const STANDARD_SYSTEMS = new Set([
  SNOMED,
  ABSENT_UNKNOWN,
  'http://loinc.org',
  'http://www.nlm.nih.gov/research/umls/rxnorm',
  'http://www.whocc.no/atc',
  'http://hl7.org/fhir/sid/icd-10',
  'http://hl7.org/fhir/sid/icd-10-cm',
  'http://id.who.int/icd/release/11/mms',
  'http://hl7.org/fhir/sid/cvx',
  'http://standardterms.edqm.eu',
  'http://fdasis.nlm.nih.gov',
  'urn:oid:2.16.840.1.113883.6.96',
  'urn:oid:2.16.840.1.113883.6.73',
]);

/**
 * Absence statements written as text only (no code, or only a local code), in the languages
 * IPS documents come in. Anchored at the start, and the whole text must be the statement
 * (a short tail such as "to drugs" is allowed): "No known allergies", "NKDA", "Keine bekannten
 * Allergien", "Sin alergias conocidas", "Καμία γνωστή αλλεργία". "No information" forms are
 * checked first ("Aucune information" is not "none known").
 */
/** `\b` that knows letters beyond ASCII (Greek, accented Latin): the patterns below are written with \b and rebuilt with this. */
const WORD_BOUNDARY = '(?:(?<=[\\p{L}\\p{N}])(?![\\p{L}\\p{N}])|(?<![\\p{L}\\p{N}])(?=[\\p{L}\\p{N}]))';
const unicode = (re: RegExp): RegExp => new RegExp(re.source.replaceAll('\\b', WORD_BOUNDARY), 'u');

const TEXT_NO_INFORMATION: RegExp[] = [
  /^(no|without) (information|info|data|details)\b/,
  /^(information|info) (not available|unavailable|unknown)\b/,
  /^(unknown|not known|not recorded|not asked)$/,
  /^(sin|no hay) (información|informacion|datos)\b/,
  /^(sem|não há|nao ha) (informação|informacao|dados)\b/,
  /^keine (angaben|informationen|information|daten)\b/,
  /^geen (gegevens|informatie)\b/,
  /^(pas d'information|aucune information|pas de données|aucune donnée)\b/,
  /^(nessuna informazione|informazioni non disponibili)\b/,
  /^(δεν υπάρχουν|χωρίς|καμία) (πληροφορ|στοιχεί|δεδομέν)/,
  /^άγνωστο$/,
].map(unicode);
const TEXT_NONE_KNOWN: RegExp[] = [
  /^(nkda|nka|nkfa|nkma)$/,
  /^(no|nil) known\b/,
  /^none known\b/,
  /^(none|nil)$/,
  /^no (current |active |chronic |regular |current or past )?(drug |medication |medicine |food |environmental )?(allerg(y|ies)|intolerances?|problems?|conditions?|diseases?|medications?|medicines?|drugs|devices?|implants?|procedures?|surgery|surgeries|immuni[sz]ations?|vaccinations?)( known| reported| recorded| taken)?\b/,
  /^(patient|the patient) (has|takes|uses|reports) no\b/,
  /^(keine|kein) (bekannte[nr]?|aktuellen?)\b/,
  /^geen (bekende|actuele)\b/,
  /^(sin|ningun[ao]?|no tiene|no presenta) .{0,40}\bconocid[ao]s?\b/,
  /^(sin|ningun[ao]?) (alergias?|problemas?|medicamentos?|medicación|medicacion)\b/,
  /^(nenhum|nenhuma|sem) .{0,40}\bconhecid[ao]s?\b/,
  /^(aucun|aucune|pas d'|pas de) .{0,40}\bconnue?s?\b/,
  /^(nessun|nessuna) .{0,40}\bnot[ae]\b/,
  /^(καμία|κανένα|κανένας|χωρίς|δεν υπάρχ\S*) .{0,40}\bγνωστ/,
].map(unicode);
/** Longer texts are narratives, not statements of absence. */
const MAX_STATEMENT_LENGTH = 80;
/** "No drug allergies but allergic to peanuts": a qualified statement is not an absence. */
const QUALIFIED = unicode(
  /[,;:(]|\b(but|except|however|apart from|other than|although|aber|außer|ausser|pero|excepto|salvo|sauf|mais|excepté|tranne|eccetto|exceto|mas|behalve|maar|εκτός|αλλά|όμως)\b/,
);

function absenceOfText(texts: (string | undefined)[]): Absence | undefined {
  for (const raw of texts) {
    if (typeof raw !== 'string') continue;
    const t = raw
      .trim()
      .replace(/\s+/g, ' ')
      .replace(/[.!]+$/, '')
      .toLowerCase();
    if (t === '' || t.length > MAX_STATEMENT_LENGTH || QUALIFIED.test(t)) continue;
    if (TEXT_NO_INFORMATION.some((re) => re.test(t))) return { kind: 'no-information', text: raw.trim() };
    if (TEXT_NONE_KNOWN.some((re) => re.test(t))) return { kind: 'none-known', text: raw.trim() };
  }
  return undefined;
}

/**
 * The absence a concept states: one of the "no information" / "no known ..." codes, or — when
 * it has no code from a standard terminology — an absence written as text (IPS documents from
 * systems without SNOMED CT write "No known allergies" as text only).
 */
export function absenceOfConcept(cc: fhir4.CodeableConcept | undefined): Absence | undefined {
  const coded = absenceOfCode(cc);
  if (coded) return coded;
  if (!cc || typeof cc !== 'object') return undefined;
  const codings = list(cc.coding);
  const standard = codings.some(
    (c) =>
      typeof c?.system === 'string' &&
      STANDARD_SYSTEMS.has(c.system) &&
      typeof c.code === 'string' &&
      c.code.trim() !== '',
  );
  if (standard) return undefined;
  return absenceOfText([cc.text, ...codings.map((c) => c?.display)]);
}

function absenceOfCode(cc: fhir4.CodeableConcept | undefined): Absence | undefined {
  const codings = list(cc?.coding);
  for (const c of codings) {
    const code = typeof c?.code === 'string' ? c.code.trim() : '';
    let kind: NoInformationKind | undefined;
    if (c.system === SNOMED) kind = SNOMED_ABSENCE[code];
    else if (c.system === ABSENT_UNKNOWN) {
      if (code.startsWith('no-known-')) kind = 'none-known';
      else if (code.startsWith('no-') && code.endsWith('-info')) kind = 'no-information';
    }
    if (kind) {
      const text =
        conceptDisplay(cc) ?? knownDisplay(c.system, code) ?? (kind === 'none-known' ? 'None known' : 'No information');
      return { kind, text };
    }
  }
  return undefined;
}

/** A section's emptyReason as an absence: nilknown is "none known", every other reason "no information". */
export function absenceOfEmptyReason(cc: fhir4.CodeableConcept): Absence {
  const codings = list(cc.coding);
  const nilKnown = codings.some((c) => c.system === EMPTY_REASON && c.code === 'nilknown');
  const text = conceptDisplay(cc) ?? codings.map((c) => c.code).find(Boolean) ?? 'No information';
  return { kind: nilKnown ? 'none-known' : 'no-information', text };
}
