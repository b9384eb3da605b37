/**
 * Plain-text renderings of FHIR datatypes. Real documents leave out displays, put the meaning
 * in `text`, or only in the narrative: every function here degrades to the next best thing
 * and never returns HTML.
 */

import type * as fhir4 from 'fhir/r4';

const SYSTEM_NAMES: Record<string, string> = {
  'http://snomed.info/sct': 'SNOMED CT',
  'http://loinc.org': 'LOINC',
  'http://www.nlm.nih.gov/research/umls/rxnorm': 'RxNorm',
  'http://www.whocc.no/atc': 'ATC',
  'http://hl7.org/fhir/sid/icd-10': 'ICD-10',
  'http://hl7.org/fhir/sid/icd-10-cm': 'ICD-10-CM',
  'http://hl7.org/fhir/sid/icd-9-cm': 'ICD-9-CM',
  'http://id.who.int/icd/release/11/mms': 'ICD-11',
  'http://hl7.org/fhir/sid/cvx': 'CVX',
  'http://hl7.org/fhir/sid/ndc': 'NDC',
  'http://unitsofmeasure.org': 'UCUM',
  'http://standardterms.edqm.eu': 'EDQM',
  'http://fdasis.nlm.nih.gov': 'UNII',
  'urn:oid:2.16.840.1.113883.6.73': 'ATC',
  'urn:oid:2.16.840.1.113883.6.96': 'SNOMED CT',
  'urn:oid:2.16.840.1.113883.6.1': 'LOINC',
};

/** Displays for codes that documents often send without one. */
const KNOWN_DISPLAYS: Record<string, Record<string, string>> = {
  'http://terminology.hl7.org/CodeSystem/list-empty-reason': {
    nilknown: 'Nil known',
    notasked: 'Not asked',
    withheld: 'Information withheld',
    unavailable: 'Unavailable',
    notstarted: 'Not started',
    closed: 'Closed',
  },
  'http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips': {
    'no-allergy-info': 'No information about allergies',
    'no-known-allergies': 'No known allergies',
    'no-known-medication-allergies': 'No known medication allergies',
    'no-known-environmental-allergies': 'No known environmental allergies',
    'no-known-food-allergies': 'No known food allergies',
    'no-medication-info': 'No information about medications',
    'no-known-medications': 'No known medications',
    'no-problem-info': 'No information about problems',
    'no-known-problems': 'No known problems',
    'no-immunization-info': 'No information about immunizations',
    'no-known-immunizations': 'No known immunizations',
    'no-procedure-info': 'No information about past history of procedures',
    'no-known-procedures': 'No known procedures',
    'no-device-info': 'No information about devices',
    'no-known-devices': 'No known devices in use',
  },
  'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation': {
    H: 'High',
    HH: 'Critical high',
    HU: 'Significantly high',
    L: 'Low',
    LL: 'Critical low',
    LU: 'Significantly low',
    N: 'Normal',
    A: 'Abnormal',
    AA: 'Critical abnormal',
    POS: 'Positive',
    NEG: 'Negative',
    DET: 'Detected',
    ND: 'Not detected',
    IND: 'Indeterminate',
    R: 'Resistant',
    S: 'Susceptible',
    I: 'Intermediate',
  },
  // Contact relationships that documents often send as a bare code (the IPS examples send MTH).
  'http://terminology.hl7.org/CodeSystem/v3-RoleCode': {
    MTH: 'Mother',
    FTH: 'Father',
    NMTH: 'Natural mother',
    NFTH: 'Natural father',
    PRN: 'Parent',
    STPMTH: 'Stepmother',
    STPFTH: 'Stepfather',
    SPS: 'Spouse',
    HUSB: 'Husband',
    WIFE: 'Wife',
    DOMPART: 'Domestic partner',
    SIGOTHR: 'Significant other',
    CHILD: 'Child',
    DAU: 'Daughter',
    SON: 'Son',
    SIB: 'Sibling',
    SIS: 'Sister',
    BRO: 'Brother',
    GRPRN: 'Grandparent',
    GRMTH: 'Grandmother',
    GRFTH: 'Grandfather',
    GRNDCHILD: 'Grandchild',
    GRNDDAU: 'Granddaughter',
    GRNDSON: 'Grandson',
    AUNT: 'Aunt',
    UNCLE: 'Uncle',
    COUSN: 'Cousin',
    NIECE: 'Niece',
    NEPHEW: 'Nephew',
    FAMMEMB: 'Family member',
    FRND: 'Friend',
    NBOR: 'Neighbour',
    ROOM: 'Roommate',
    ONESELF: 'Self',
  },
  'http://terminology.hl7.org/CodeSystem/v3-RoleClass': {
    NOK: 'Next of kin',
    ECON: 'Emergency contact',
    GUARD: 'Guardian',
    CAREGIVER: 'Caregiver',
    PRS: 'Personal relationship',
  },
  'http://terminology.hl7.org/CodeSystem/v2-0131': {
    C: 'Emergency contact',
    E: 'Employer',
    EP: 'Emergency contact person',
    F: 'Federal agency',
    I: 'Insurance company',
    N: 'Next of kin',
    S: 'State agency',
    U: 'Unknown',
  },
};

/** A short name for a code system: "SNOMED CT", "LOINC", or the URL's last part. */
export function systemShortName(system: string | undefined): string | undefined {
  if (!system) return undefined;
  const known = SYSTEM_NAMES[system];
  if (known) return known;
  if (system.startsWith('urn:oid:')) return `OID ${system.slice(8)}`;
  const tail = system.replace(/\/+$/, '').split(/[/#]/).pop();
  return tail || system;
}

export function knownDisplay(system: string | undefined, code: string | undefined): string | undefined {
  if (!system || !code) return undefined;
  return KNOWN_DISPLAYS[system]?.[code];
}

/** Markup that some systems leave inside plain-text fields ("rest normal <br/>normal"). */
const STRAY_TAGS = /<\/?(br|p|div|span|b|i|u|em|strong|sub|sup|ul|ol|li|table|tr|td|th)\b[^<>]*>/gi;

/** A plain-text field, whitespace collapsed, stray HTML tags removed; undefined when empty. */
export function clean(s: string | undefined | null): string | undefined {
  if (typeof s !== 'string') return undefined;
  const t = s.replace(STRAY_TAGS, ' ').replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t;
}

export function codingDisplay(c: fhir4.Coding | undefined): string | undefined {
  return clean(c?.display) ?? knownDisplay(c?.system, c?.code);
}

export function codingCodeText(c: fhir4.Coding | undefined): string | undefined {
  const code = clean(c?.code);
  if (!code) return undefined;
  const sys = systemShortName(c?.system);
  return sys ? `${code} (${sys})` : code;
}

/** Coding display, then text. Undefined when only a bare code is available. */
export function conceptDisplay(cc: fhir4.CodeableConcept | undefined): string | undefined {
  if (!cc || typeof cc !== 'object') return undefined;
  const codings = list(cc.coding);
  for (const c of codings) {
    const d = codingDisplay(c);
    if (d) return d;
  }
  return clean(cc.text);
}

/** A bare code with its system's short name: "1234-5 (LOINC)". */
export function conceptCode(cc: fhir4.CodeableConcept | undefined): string | undefined {
  const codings = list(cc?.coding);
  for (const c of codings) {
    const t = codingCodeText(c);
    if (t) return t;
  }
  return undefined;
}

/**
 * The fallback chain for naming a thing: coding display -> text -> better alternatives the caller
 * knows of (a reference's display, a note) -> code with system short name -> narrative.
 */
export function describeConcept(
  cc: fhir4.CodeableConcept | undefined,
  options: { alternatives?: (string | undefined)[]; narrative?: fhir4.Narrative | undefined } = {},
): string | undefined {
  return (
    conceptDisplay(cc) ??
    list(options.alternatives)
      .map(clean)
      .find((a) => a !== undefined) ??
    conceptCode(cc) ??
    narrativeText(options.narrative, 300)
  );
}

/** All displays of a list of concepts, skipping those without any text. */
export function conceptList(ccs: fhir4.CodeableConcept[] | undefined): string[] {
  return list(ccs)
    .map((cc) => conceptDisplay(cc) ?? conceptCode(cc))
    .filter((t): t is string => t !== undefined);
}

/** The text of a status concept (clinicalStatus, verificationStatus): its code is the stable value. */
export function statusCode(cc: fhir4.CodeableConcept | undefined): string | undefined {
  const codings = list(cc?.coding);
  for (const c of codings) if (clean(c.code)) return clean(c.code);
  return clean(cc?.text)?.toLowerCase();
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : '';
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/**
 * XHTML to plain text: block ends become line breaks, table cells are separated, tags are
 * dropped, entities decoded. The result is never HTML (a "<" in it is a literal character).
 */
export function htmlToText(html: string, maxLength = 20_000): string | undefined {
  const t = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/(p|div|tr|li|h[1-6]|table|thead|tbody|ul|ol|caption)\s*>/gi, '\n')
    .replace(/<\/(td|th)\s*>/gi, ' | ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/<[^>]*$/, ' ');
  const lines = decodeEntities(t)
    .split('\n')
    .map((l) =>
      l
        .replace(/[ \t\f\v\u00a0]+/g, ' ')
        .replace(/(\s*\|\s*)+$/, '')
        .trim(),
    )
    .filter((l) => l !== '' && l !== '|');
  const out = lines.join('\n');
  if (out === '') return undefined;
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}

export function narrativeText(n: fhir4.Narrative | undefined, maxLength?: number): string | undefined {
  if (!n || typeof n.div !== 'string') return undefined;
  return htmlToText(n.div, maxLength);
}

function num(v: number | undefined): string | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

/** "<5", "120" and the unit separately ("mmol/L"). */
export function quantityParts(q: fhir4.Quantity | undefined): { value?: string; unit?: string } {
  if (!q || typeof q !== 'object') return {};
  const n = num(q.value);
  const value = n !== undefined ? `${q.comparator ?? ''}${n}` : undefined;
  const unit = clean(q.unit) ?? clean(q.code);
  return { ...(value !== undefined ? { value } : {}), ...(unit !== undefined ? { unit } : {}) };
}

export function quantityText(q: fhir4.Quantity | undefined): string | undefined {
  const { value, unit } = quantityParts(q);
  if (value === undefined) return unit;
  return unit && unit !== '1' ? `${value} ${unit}` : value;
}

export function ratioText(r: fhir4.Ratio | undefined): string | undefined {
  if (!r) return undefined;
  const n = quantityText(r.numerator);
  const d = quantityText(r.denominator);
  if (n && d) return d === '1' ? n : `${n}/${d}`;
  return n;
}

export function rangeText(r: fhir4.Range | undefined): string | undefined {
  if (!r) return undefined;
  const lo = quantityParts(r.low);
  const hi = quantityParts(r.high);
  const unit = hi.unit ?? lo.unit;
  const suffix = unit && unit !== '1' ? ` ${unit}` : '';
  if (lo.value !== undefined && hi.value !== undefined) return `${lo.value}–${hi.value}${suffix}`;
  if (lo.value !== undefined) return `≥${lo.value}${suffix}`;
  if (hi.value !== undefined) return `≤${hi.value}${suffix}`;
  return undefined;
}

export function periodText(p: fhir4.Period | undefined): string | undefined {
  if (!p) return undefined;
  const start = clean(p.start);
  const end = clean(p.end);
  if (start && end) return `${start} – ${end}`;
  if (start) return `since ${start}`;
  if (end) return `until ${end}`;
  return undefined;
}

export function humanNameText(n: fhir4.HumanName | undefined): string | undefined {
  if (!n || typeof n !== 'object') return undefined;
  const parts = [...list(n.prefix), ...list(n.given), n.family, ...list(n.suffix)].map((p) => clean(p));
  const built = parts.filter((p): p is string => p !== undefined).join(' ');
  return clean(n.text) ?? clean(built);
}

export function addressText(a: fhir4.Address | undefined): string | undefined {
  if (!a || typeof a !== 'object') return undefined;
  const cityLine = [a.postalCode, a.city].map(clean).filter(Boolean).join(' ');
  const parts = [...list(a.line), cityLine, a.district, a.state, a.country].map((p) => clean(p));
  return clean(a.text) ?? clean(parts.filter((p): p is string => p !== undefined).join(', '));
}

export function annotationTexts(notes: fhir4.Annotation[] | undefined): string[] {
  return list(notes)
    .map((n) => clean(n?.text))
    .filter((t): t is string => t !== undefined);
}

/** A sortable time for a FHIR date/dateTime (partial dates allowed); undefined for free text. */
export function sortTime(date: string | undefined): number | undefined {
  if (!date || !/^\d{4}/.test(date)) return undefined;
  const t = Date.parse(date.length === 4 ? `${date}-01-01` : date.length === 7 ? `${date}-01` : date);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A repeating FHIR element as an array. Real documents sometimes hold a single object where an
 * array belongs (DSTU2/STU3 habits, e.g. Observation.interpretation, or one given name as a
 * string): it counts as one item.
 */
export function list<T>(value: T[] | T | undefined | null): T[] {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined);
  return value === null || value === undefined ? [] : [value];
}
