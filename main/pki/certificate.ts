import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { WorkstationError } from '../../common/errors';
import {
  Asn1Error,
  bitString,
  boolean,
  children,
  integerBytes,
  integerHex,
  isContext,
  isUniversal,
  octets,
  oid,
  parseDer,
  pemBlocks,
  primitiveBytes,
  rawChildren,
  readTlv,
  sequence,
  smallInteger,
  time,
  toDerBuffer,
  Type,
  type Asn1,
} from './asn1';
import { parseAlgorithmIdentifier, type AlgorithmIdentifier } from './algorithms';
import { parseName, parseRdn, type DistinguishedName } from './names';

export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
  subjectDirectoryAttributes: '2.5.29.9',
} as const;

/** Extensions this validator processes (a critical one of any other type is refused). */
export const UNDERSTOOD_EXTENSIONS: ReadonlySet<string> = new Set([
  EXT.subjectKeyIdentifier,
  EXT.keyUsage,
  EXT.subjectAltName,
  EXT.basicConstraints,
  EXT.nameConstraints,
  EXT.certificatePolicies,
  EXT.policyMappings,
  EXT.authorityKeyIdentifier,
  EXT.policyConstraints,
  EXT.extKeyUsage,
  EXT.inhibitAnyPolicy,
  EXT.crlDistributionPoints,
]);

export const KEY_USAGE = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsage = (typeof KEY_USAGE)[number];

export const EKU = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  any: '2.5.29.37.0',
} as const;

export const ANY_POLICY = '2.5.29.32.0';

export type GeneralName =
  | { type: 'email'; value: string }
  | { type: 'dns'; value: string }
  | { type: 'uri'; value: string }
  | { type: 'ip'; value: Buffer }
  | { type: 'dn'; value: DistinguishedName }
  | { type: 'other'; tag: number };

export interface GeneralSubtree {
  base: GeneralName;
  /** RFC 5280 requires minimum 0 and no maximum; others make the constraint unprocessable. */
  nonDefaultBounds: boolean;
}

export interface TimeEncoding {
  type: 'UTCTime' | 'GeneralizedTime';
  /** GeneralizedTime with fractional seconds. */
  fractional: boolean;
}

function timeEncoding(node: Asn1 | undefined): TimeEncoding {
  const utc = isUniversal(node, Type.UTCTIME);
  return { type: utc ? 'UTCTime' : 'GeneralizedTime', fractional: !utc && primitiveBytes(node, 'Time').includes('.') };
}

export interface Extension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

/** A parsed X.509 v1-v3 certificate. node-forge's ASN.1 parser, checked field by field. */
export interface Certificate {
  der: Buffer;
  /** The exact signed bytes. */
  tbs: Buffer;
  fingerprint: string;
  version: number;
  serial: string;
  /** The serialNumber INTEGER's content octets as encoded (two's complement). */
  serialBytes: Buffer;
  /** How notBefore / notAfter were encoded (RFC 5280 §4.1.2.5). */
  validityEncoding: { notBefore: TimeEncoding; notAfter: TimeEncoding };
  /** issuerUniqueID or subjectUniqueID present. */
  hasUniqueIds: boolean;
  innerSignatureAlgorithm: AlgorithmIdentifier;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Buffer;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  spki: Buffer;
  /** Null when Node cannot import the key (the algorithm is then reported when the key is needed). */
  publicKey: KeyObject | null;
  publicKeyAlgorithm: string;
  extensions: Map<string, Extension>;
  basicConstraints: { ca: boolean; pathLen: number | null } | null;
  keyUsage: ReadonlySet<KeyUsage> | null;
  extKeyUsage: string[] | null;
  subjectKeyId: string | null;
  authorityKeyId: string | null;
  policies: { oid: string }[] | null;
  policyMappings: { issuerDomain: string; subjectDomain: string }[] | null;
  policyConstraints: { requireExplicitPolicy: number | null; inhibitPolicyMapping: number | null } | null;
  inhibitAnyPolicy: number | null;
  nameConstraints: { permitted: GeneralSubtree[] | null; excluded: GeneralSubtree[] } | null;
  subjectAltNames: GeneralName[] | null;
  /** HTTP(S) URLs of the CRL distribution points, to fetch. */
  crlDistributionPoints: string[];
  /** Distribution points as name keys (see generalNameKey), to match a CRL's scope; null without the extension. */
  distributionPoints: { names: string[] | null; crlIssuer: string[] | null }[] | null;
  selfIssued: boolean;
}

function malformed(e: unknown, subject?: string): WorkstationError {
  if (e instanceof WorkstationError) return e;
  return new WorkstationError(
    'PKI_MALFORMED_CERTIFICATE',
    { subject: subject ?? '(unreadable)', problem: e instanceof Error ? e.message : 'parse error' },
    { cause: e },
  );
}

/** Parse one DER certificate. Throws PKI_MALFORMED_CERTIFICATE. */
export function parseCertificate(der: Uint8Array): Certificate {
  const buf = Buffer.from(der);
  let subjectText: string | undefined;
  try {
    const outer = readTlv(buf, 0);
    if (outer.end !== buf.length || buf[0] !== 0x30) throw new Asn1Error('Certificate: not a single SEQUENCE');
    const raw = rawChildren(buf, outer);
    if (raw.length !== 3) throw new Asn1Error('Certificate: expected 3 fields');
    const tbs = buf.subarray(raw[0]!.start, raw[0]!.end);

    const root = parseDer(buf);
    const [tbsNode, sigAlgNode, sigNode] = sequence(root, 'Certificate');
    const signatureAlgorithm = parseAlgorithmIdentifier(sigAlgNode, 'signatureAlgorithm');
    const sig = bitString(sigNode, 'signatureValue');
    if (sig.unusedBits !== 0) throw new Asn1Error('signatureValue: unused bits');

    const f = sequence(tbsNode, 'TBSCertificate');
    let i = 0;
    let version = 1;
    if (isContext(f[0], 0)) {
      version = smallInteger(children(f[0])[0], 'version') + 1;
      if (version < 2 || version > 3) throw new Asn1Error('version: must be v1, v2 or v3');
      i++;
    }
    const serialBytes = integerBytes(f[i++], 'serialNumber');
    const innerSignatureAlgorithm = parseAlgorithmIdentifier(f[i++], 'signature');
    const issuer = parseName(f[i++], 'issuer');
    const [nb, na, ...vrest] = sequence(f[i++], 'validity');
    if (vrest.length) throw new Asn1Error('validity: extra fields');
    const notBefore = time(nb, 'notBefore');
    const notAfter = time(na, 'notAfter');
    const subject = parseName(f[i++], 'subject');
    subjectText = subject.text;
    const spkiNode = f[i++];
    const spkiFields = sequence(spkiNode, 'subjectPublicKeyInfo');
    const publicKeyAlgorithm = parseAlgorithmIdentifier(spkiFields[0], 'subjectPublicKeyInfo algorithm').oid;
    const spki = toDerBuffer(spkiNode!);
    let hasUniqueIds = false;
    for (const tag of [1, 2]) {
      if (isContext(f[i], tag)) {
        hasUniqueIds = true;
        i++;
      }
    }
    const extensions = new Map<string, Extension>();
    if (isContext(f[i], 3)) {
      if (version !== 3) throw new Asn1Error('extensions in a certificate older than v3');
      const list = sequence(children(f[i])[0], 'extensions');
      if (!list.length) throw new Asn1Error('extensions: empty');
      for (const e of list) {
        const ext = parseExtension(e);
        if (extensions.has(ext.oid)) throw new Asn1Error(`extension ${ext.oid} appears twice`);
        extensions.set(ext.oid, ext);
      }
      i++;
    }
    if (i !== f.length) throw new Asn1Error('TBSCertificate: unexpected fields');
    if (!signatureAlgorithm.der.equals(innerSignatureAlgorithm.der))
      throw new Asn1Error('signature algorithm differs inside and outside the signed part');

    let publicKey: KeyObject | null = null;
    try {
      publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    } catch {
      publicKey = null;
    }

    const cert: Certificate = {
      der: buf,
      tbs,
      fingerprint: createHash('sha256').update(buf).digest('hex'),
      version,
      serial: integerHex(serialBytes),
      serialBytes,
      validityEncoding: { notBefore: timeEncoding(nb), notAfter: timeEncoding(na) },
      hasUniqueIds,
      innerSignatureAlgorithm,
      signatureAlgorithm,
      signature: sig.bytes,
      issuer,
      subject,
      notBefore,
      notAfter,
      spki,
      publicKey,
      publicKeyAlgorithm,
      extensions,
      basicConstraints: null,
      keyUsage: null,
      extKeyUsage: null,
      subjectKeyId: null,
      authorityKeyId: null,
      policies: null,
      policyMappings: null,
      policyConstraints: null,
      inhibitAnyPolicy: null,
      nameConstraints: null,
      subjectAltNames: null,
      crlDistributionPoints: [],
      distributionPoints: null,
      selfIssued: issuer.key === subject.key,
    };
    decodeExtensions(cert);
    return cert;
  } catch (e) {
    throw malformed(e, subjectText);
  }
}

function parseExtension(node: Asn1): Extension {
  const f = sequence(node, 'Extension');
  const extOid = oid(f[0], 'extnID');
  let critical = false;
  let k = 1;
  if (isUniversal(f[k], Type.BOOLEAN)) {
    critical = boolean(f[k], 'critical');
    k++;
  }
  const value = octets(f[k++], `extension ${extOid}`);
  if (k !== f.length) throw new Asn1Error(`extension ${extOid}: extra fields`);
  return { oid: extOid, critical, value };
}

function decodeExtensions(c: Certificate): void {
  const get = (id: string) => {
    const e = c.extensions.get(id);
    return e ? parseDer(e.value) : null;
  };
  const bc = get(EXT.basicConstraints);
  if (bc) {
    const f = sequence(bc, 'basicConstraints');
    let k = 0;
    let ca = false;
    if (isUniversal(f[k], Type.BOOLEAN)) ca = boolean(f[k++], 'cA');
    const pathLen = f[k] ? smallInteger(f[k++], 'pathLenConstraint') : null;
    if (k !== f.length) throw new Asn1Error('basicConstraints: extra fields');
    c.basicConstraints = { ca, pathLen };
  }
  const ku = get(EXT.keyUsage);
  if (ku) {
    const { bytes } = bitString(ku, 'keyUsage');
    const set = new Set<KeyUsage>();
    KEY_USAGE.forEach((name, bit) => {
      const byte = bytes[bit >> 3];
      if (byte !== undefined && byte & (0x80 >> (bit & 7))) set.add(name);
    });
    c.keyUsage = set;
  }
  const eku = get(EXT.extKeyUsage);
  if (eku) {
    c.extKeyUsage = sequence(eku, 'extKeyUsage').map((n) => oid(n, 'extKeyUsage'));
    if (!c.extKeyUsage.length) throw new Asn1Error('extKeyUsage: empty');
  }
  const ski = get(EXT.subjectKeyIdentifier);
  if (ski) c.subjectKeyId = octets(ski, 'subjectKeyIdentifier').toString('hex');
  const aki = get(EXT.authorityKeyIdentifier);
  if (aki) {
    for (const field of sequence(aki, 'authorityKeyIdentifier')) {
      if (isContext(field, 0))
        c.authorityKeyId = Buffer.from(primitiveBytes(field, 'keyIdentifier'), 'binary').toString('hex');
    }
  }
  const cp = get(EXT.certificatePolicies);
  if (cp) {
    const seen = new Set<string>();
    c.policies = sequence(cp, 'certificatePolicies').map((pi) => {
      const id = oid(sequence(pi, 'PolicyInformation')[0], 'policyIdentifier');
      if (seen.has(id)) throw new Asn1Error('certificatePolicies: duplicate policy');
      seen.add(id);
      return { oid: id };
    });
    if (!c.policies.length) throw new Asn1Error('certificatePolicies: empty');
  }
  const pm = get(EXT.policyMappings);
  if (pm) {
    c.policyMappings = sequence(pm, 'policyMappings').map((m) => {
      const [a, b] = sequence(m, 'policyMapping');
      return { issuerDomain: oid(a), subjectDomain: oid(b) };
    });
  }
  const pc = get(EXT.policyConstraints);
  if (pc) {
    const out = { requireExplicitPolicy: null as number | null, inhibitPolicyMapping: null as number | null };
    for (const field of sequence(pc, 'policyConstraints')) {
      const n = skipCerts(field);
      if (isContext(field, 0)) out.requireExplicitPolicy = n;
      else if (isContext(field, 1)) out.inhibitPolicyMapping = n;
    }
    if (out.requireExplicitPolicy === null && out.inhibitPolicyMapping === null)
      throw new Asn1Error('policyConstraints: empty');
    c.policyConstraints = out;
  }
  const iap = get(EXT.inhibitAnyPolicy);
  if (iap) c.inhibitAnyPolicy = smallInteger(iap, 'inhibitAnyPolicy');
  const nc = get(EXT.nameConstraints);
  if (nc) {
    let permitted: GeneralSubtree[] | null = null;
    let excluded: GeneralSubtree[] = [];
    for (const field of sequence(nc, 'nameConstraints')) {
      const subtrees = children(field, 'GeneralSubtrees').map(parseSubtree);
      if (isContext(field, 0)) permitted = subtrees;
      else if (isContext(field, 1)) excluded = subtrees;
      else throw new Asn1Error('nameConstraints: unexpected field');
    }
    c.nameConstraints = { permitted, excluded };
  }
  const san = get(EXT.subjectAltName);
  if (san) {
    c.subjectAltNames = sequence(san, 'subjectAltName').map(parseGeneralName);
    if (!c.subjectAltNames.length) throw new Asn1Error('subjectAltName: empty');
  }
  const dp = get(EXT.crlDistributionPoints);
  if (dp) {
    c.distributionPoints = parseDistributionPoints(dp, c.issuer);
    c.crlDistributionPoints = distributionPointUris(dp);
  }
}

/** policyConstraints / inhibitAnyPolicy SkipCerts, IMPLICIT-tagged INTEGER. */
function skipCerts(field: Asn1): number {
  const b = Buffer.from(primitiveBytes(field, 'SkipCerts'), 'binary');
  if (!b.length || b[0]! & 0x80 || b.length > 4) throw new Asn1Error('SkipCerts: bad value');
  return b.reduce((n, x) => n * 256 + x, 0);
}

function parseSubtree(node: Asn1): GeneralSubtree {
  const [base, ...bounds] = sequence(node, 'GeneralSubtree');
  let nonDefaultBounds = false;
  for (const b of bounds) {
    if (isContext(b, 0)) {
      if (Buffer.from(primitiveBytes(b), 'binary').some((x) => x !== 0)) nonDefaultBounds = true;
    } else nonDefaultBounds = true;
  }
  return { base: parseGeneralName(base!), nonDefaultBounds };
}

export function parseGeneralName(node: Asn1): GeneralName {
  if (node.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC) throw new Asn1Error('GeneralName: expected a tagged choice');
  const text = () => Buffer.from(primitiveBytes(node, 'GeneralName'), 'binary').toString('latin1');
  switch (node.type) {
    case 1:
      return { type: 'email', value: text() };
    case 2:
      return { type: 'dns', value: text() };
    case 6:
      return { type: 'uri', value: text() };
    case 7:
      return { type: 'ip', value: Buffer.from(primitiveBytes(node, 'iPAddress'), 'binary') };
    case 4:
      return { type: 'dn', value: parseName(children(node, 'directoryName')[0], 'directoryName') };
    default:
      return { type: 'other', tag: node.type };
  }
}

/** A comparable key for a GeneralName (distribution point matching). */
export function generalNameKey(g: GeneralName): string {
  switch (g.type) {
    case 'dn':
      return `dn:${g.value.key}`;
    case 'uri':
      return `uri:${g.value}`;
    case 'dns':
    case 'email':
      return `${g.type}:${g.value.toLowerCase()}`;
    case 'ip':
      return `ip:${g.value.toString('hex')}`;
    case 'other':
      return `other:${g.tag}`;
  }
}

/** DistributionPointName as name keys: fullName, or nameRelativeToCRLIssuer appended to `issuer`. */
export function distributionPointNameKeys(node: Asn1, issuer: DistinguishedName): string[] {
  if (isContext(node, 0)) return children(node, 'fullName').map((g) => generalNameKey(parseGeneralName(g)));
  if (isContext(node, 1)) return [`dn:${[...issuer.rdns.map((r) => r.key), parseRdn(node).key].join(',')}`];
  throw new Asn1Error('DistributionPointName: unexpected choice');
}

function parseDistributionPoints(
  node: Asn1,
  issuer: DistinguishedName,
): { names: string[] | null; crlIssuer: string[] | null }[] {
  return sequence(node, 'cRLDistributionPoints').map((dp) => {
    let names: string[] | null = null;
    let crlIssuer: string[] | null = null;
    for (const field of sequence(dp, 'DistributionPoint')) {
      if (isContext(field, 0)) names = distributionPointNameKeys(children(field, 'distributionPoint')[0]!, issuer);
      else if (isContext(field, 2))
        crlIssuer = children(field, 'cRLIssuer').map((g) => generalNameKey(parseGeneralName(g)));
    }
    return { names, crlIssuer };
  });
}

function distributionPointUris(node: Asn1): string[] {
  const uris: string[] = [];
  for (const dp of sequence(node, 'cRLDistributionPoints')) {
    for (const field of sequence(dp, 'DistributionPoint')) {
      if (!isContext(field, 0)) continue;
      const name = children(field, 'distributionPoint')[0];
      if (!isContext(name, 0)) continue; // nameRelativeToCRLIssuer: no URL to fetch
      for (const gn of children(name, 'fullName')) {
        const g = parseGeneralName(gn);
        if (g.type === 'uri') uris.push(g.value);
      }
    }
  }
  return uris;
}

/**
 * Certificates from PEM text (any number of CERTIFICATE blocks) or a single DER certificate.
 * An input with no certificate yields an empty list.
 */
export function parseCertificates(input: string | Uint8Array): Certificate[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN'))
    return pemBlocks(text, ['CERTIFICATE', 'X509 CERTIFICATE']).map((b) => parseCertificate(b.der));
  if (typeof input === 'string') return [];
  return input.length ? [parseCertificate(input)] : [];
}
