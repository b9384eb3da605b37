import { Asn1Error, isStringNode, oid, setOf, sequence, stringValue, toDerBuffer, type Asn1 } from './asn1';

/** An X.501 distinguished name: RDNs in encoded order (most significant first). */
export interface DistinguishedName {
  rdns: RelativeName[];
  /** Comparison key: RFC 5280 §7.1 matching (case, spacing, PrintableString/UTF8String). */
  key: string;
  /** RFC 4514 text (least significant RDN first), for people and logs. */
  text: string;
}

export interface RelativeName {
  attributes: NameAttribute[];
  key: string;
}

export interface NameAttribute {
  type: string;
  /** Decoded text for string values, null for other value types. */
  value: string | null;
  /** Canonical matching form of the value. */
  match: string;
}

export const ATTR = {
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  country: '2.5.4.6',
  locality: '2.5.4.7',
  state: '2.5.4.8',
  street: '2.5.4.9',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  title: '2.5.4.12',
  givenName: '2.5.4.42',
  initials: '2.5.4.43',
  pseudonym: '2.5.4.65',
  domainComponent: '0.9.2342.19200300.100.1.25',
  userId: '0.9.2342.19200300.100.1.1',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

const SHORT: Record<string, string> = {
  [ATTR.commonName]: 'CN',
  [ATTR.surname]: 'SN',
  [ATTR.serialNumber]: 'serialNumber',
  [ATTR.country]: 'C',
  [ATTR.locality]: 'L',
  [ATTR.state]: 'ST',
  [ATTR.street]: 'STREET',
  [ATTR.organization]: 'O',
  [ATTR.organizationalUnit]: 'OU',
  [ATTR.title]: 'title',
  [ATTR.givenName]: 'GN',
  [ATTR.initials]: 'initials',
  [ATTR.pseudonym]: 'pseudonym',
  [ATTR.domainComponent]: 'DC',
  [ATTR.userId]: 'UID',
  [ATTR.emailAddress]: 'emailAddress',
};

/** RFC 4518-style preparation, simplified: NFKC, case folded, insignificant spaces removed. */
export function prepareString(s: string): string {
  return s.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
}

export function parseName(node: Asn1 | undefined, what = 'Name'): DistinguishedName {
  const rdns = sequence(node, what).map((rdnNode) => {
    setOf(rdnNode, `${what} RDN`);
    return parseRdn(rdnNode, what);
  });
  return { rdns, key: rdns.map((r) => r.key).join(','), text: formatName(rdns) };
}

/** One RelativeDistinguishedName (a SET OF AttributeTypeAndValue, possibly implicitly tagged). */
export function parseRdn(rdnNode: Asn1, what = 'RDN'): RelativeName {
  if (!Array.isArray(rdnNode.value)) throw new Asn1Error(`${what}: RDN must be constructed`);
  const attributes = rdnNode.value.map((ava) => {
    const [typeNode, valueNode, ...rest] = sequence(ava, `${what} attribute`);
    if (rest.length) throw new Asn1Error(`${what}: attribute has extra fields`);
    const type = oid(typeNode, `${what} attribute type`);
    if (!valueNode) throw new Asn1Error(`${what}: attribute without value`);
    if (isStringNode(valueNode)) {
      const value = stringValue(valueNode);
      return { type, value, match: prepareString(value) };
    }
    return { type, value: null, match: '#' + toDerBuffer(valueNode).toString('hex') };
  });
  if (!attributes.length) throw new Asn1Error(`${what}: empty RDN`);
  const key = attributes
    .map((a) => `${a.type}=${JSON.stringify(a.match)}`)
    .sort()
    .join('+');
  return { attributes, key };
}

function escapeValue(v: string): string {
  return v
    .replace(/([,+"\\<>;=])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

function formatName(rdns: RelativeName[]): string {
  return [...rdns]
    .reverse()
    .map((r) =>
      r.attributes
        .map((a) => `${SHORT[a.type] ?? a.type}=${a.value === null ? a.match : escapeValue(a.value)}`)
        .join('+'),
    )
    .join(', ');
}

/** Whether `name` lies in the directory subtree rooted at `base` (base's RDNs are a prefix). */
export function nameWithin(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  return base.rdns.every((r, i) => r.key === name.rdns[i]!.key);
}

/** All values of one attribute type, in encoded order. */
export function attributeValues(name: DistinguishedName, type: string): string[] {
  const out: string[] = [];
  for (const r of name.rdns) for (const a of r.attributes) if (a.type === type && a.value !== null) out.push(a.value);
  return out;
}

/** The most specific value of an attribute (the last one in encoded order). */
export function attributeValue(name: DistinguishedName, type: string): string | null {
  const all = attributeValues(name, type);
  return all.length ? all[all.length - 1]! : null;
}

export function isEmptyName(name: DistinguishedName): boolean {
  return name.rdns.length === 0;
}
