import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { isIP } from 'node:net';
import { parseCertificate, type Certificate } from '../../../main/pki/certificate';
import { toPem } from '../../../main/pki/asn1';
import { bits, bool, ctx, der, fromDer, int, octet, oid, seq, time, type Node } from './der';
import { testKey, signStructure, signatureAlgorithm, type HashName, type KeySpec, type TestKey } from './keys';
import { encodeName, type NameEncoding } from './names';

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';
const KU_BITS: KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export type GeneralNameSpec = { dns: string } | { email: string } | { uri: string } | { dn: string } | { ip: string };

export interface CustomExtension {
  oid: string;
  critical?: boolean;
  /** DER of the extension value (inside the OCTET STRING). */
  value: Buffer;
}

export interface IssueOptions {
  /** RFC 4514 text, least significant first: "CN=Dr A, O=Hospital, C=GR". */
  subject: string;
  /** Issuing certificate; omit for a self-signed certificate. */
  issuer?: TestCertificate;
  /** Subject key: a key, a spec (memoised key, slot 0) or [spec, slot]. Default rsa2048. */
  key?: TestKey | KeySpec | [KeySpec, number];
  /** Override the issuer name written in the certificate (chaining tests). */
  issuerName?: string;
  nameEncoding?: NameEncoding;
  /** Hex; default random positive 16 bytes. */
  serial?: string;
  /** The serialNumber INTEGER's content octets exactly (zero, negative, over-long serials). */
  serialBytes?: Buffer;
  /** Criticality of extensions the factory writes non-critical or critical by default. */
  critical?: {
    subjectKeyId?: boolean;
    authorityKeyId?: boolean;
    subjectAltNames?: boolean;
    policyConstraints?: boolean;
    inhibitAnyPolicy?: boolean;
  };
  /** An authorityKeyIdentifier with authorityCertIssuer + serial only, no keyIdentifier. */
  authorityKeyIdWithoutKeyId?: boolean;
  /** Force the Time type of notBefore / notAfter ('generalized-fraction': GeneralizedTime with .5 s). */
  validityEncoding?: { notBefore?: TimeForm; notAfter?: TimeForm };
  /** Add an issuerUniqueID (any version). */
  uniqueIds?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  hash?: HashName;
  pss?: boolean;
  version?: 1 | 2 | 3;
  /** Shorthand: CA defaults (basicConstraints cA critical, keyUsage keyCertSign+cRLSign). */
  ca?: boolean;
  pathLen?: number;
  /** null omits the extension; undefined takes the defaults for CA or leaf. */
  basicConstraints?: { ca: boolean; pathLen?: number; critical?: boolean } | null;
  keyUsage?: KeyUsageName[] | { usages: KeyUsageName[]; critical?: boolean } | null;
  extKeyUsage?: string[] | { oids: string[]; critical?: boolean } | null;
  subjectKeyId?: boolean | string;
  authorityKeyId?: boolean | string;
  policies?: string[] | { oids: string[]; critical?: boolean };
  policyMappings?: [issuerDomain: string, subjectDomain: string][];
  policyConstraints?: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number };
  inhibitAnyPolicy?: number;
  nameConstraints?: { permitted?: GeneralNameSpec[]; excluded?: GeneralNameSpec[]; critical?: boolean };
  subjectAltNames?: GeneralNameSpec[];
  crlDistributionPoints?: string[];
  extensions?: CustomExtension[];
  corruptSignature?: boolean;
}

export interface TestCertificate {
  der: Buffer;
  pem: string;
  cert: Certificate;
  key: TestKey;
  subject: string;
  serial: string;
}

const DAY = 86_400_000;
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

function resolveKey(k: IssueOptions['key']): TestKey {
  if (!k) return testKey('rsa2048');
  if (typeof k === 'string') return testKey(k);
  if (Array.isArray(k)) return testKey(k[0], k[1]);
  return k;
}

export function keyId(key: TestKey): string {
  // RFC 5280 method 1 over the whole SPKI: stable and unique enough for tests
  return createHash('sha1').update(key.spki).digest('hex');
}

function ext(id: string, critical: boolean, value: Node | Buffer): Node {
  return seq(oid(id), critical ? bool(true) : null, octet(Buffer.isBuffer(value) ? value : der(value)));
}

export function generalName(g: GeneralNameSpec): Node {
  if ('email' in g) return ctx(1, g.email);
  if ('dns' in g) return ctx(2, g.dns);
  if ('uri' in g) return ctx(6, g.uri);
  if ('dn' in g) return ctx(4, [encodeName(g.dn)]);
  const [addr, prefix] = g.ip.split('/');
  const bytes = ipBytes(addr!);
  if (prefix === undefined) return ctx(7, bytes.toString('binary'));
  const mask = Buffer.alloc(bytes.length);
  for (let i = 0; i < Number(prefix); i++) mask[i >> 3]! |= 0x80 >> (i & 7);
  return ctx(7, Buffer.concat([bytes, mask]).toString('binary'));
}

function ipBytes(addr: string): Buffer {
  if (isIP(addr) === 4) return Buffer.from(addr.split('.').map(Number));
  if (isIP(addr) === 6) {
    const [head, tail] = addr.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return Buffer.from(
      groups.flatMap((x) => {
        const v = parseInt(x, 16);
        return [v >> 8, v & 0xff];
      }),
    );
  }
  throw new Error(`bad IP ${addr}`);
}

function keyUsageBits(usages: KeyUsageName[]): Node {
  let max = -1;
  const bytes = Buffer.alloc(2);
  for (const u of usages) {
    const bit = KU_BITS.indexOf(u);
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
    max = Math.max(max, bit);
  }
  const len = max < 0 ? 1 : (max >> 3) + 1;
  const used = bytes.subarray(0, len);
  const unused = max < 0 ? 0 : 7 - (max & 7);
  return bits(used, unused);
}

function randomSerial(): string {
  const b = randomBytes(16);
  b[0]! &= 0x7f;
  b[0]! |= 0x01;
  return b.toString('hex');
}

/** A positive INTEGER from hex (a sign octet is added when the top bit is set). */
export function serialInt(hex: string): Node {
  const b = Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex');
  return int(b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

/** Issue a certificate (self-signed without `issuer`). TBSCertificate built with forge.asn1, signed with Node crypto. */
export function issueCertificate(o: IssueOptions): TestCertificate {
  const certDer = issueCertificateDer(o);
  const cert = parseCertificate(certDer);
  return {
    der: certDer,
    pem: toPem('CERTIFICATE', certDer),
    cert,
    key: resolveKey(o.key),
    subject: cert.subject.text,
    serial: cert.serial,
  };
}

/** Options that make a certificate the parser must refuse (so only its DER can be had). */
export interface MalformedOptions {
  /** Write the extensions whatever the version (extensions in a v1/v2 certificate). */
  extensionsInAnyVersion?: boolean;
  /** tbsCertificate.signature names this hash while the outer signatureAlgorithm names the real one. */
  innerHash?: HashName;
}

/** The DER of a certificate, not parsed: also for certificates main/pki must refuse as malformed. */
export function issueCertificateDer(o: IssueOptions & MalformedOptions): Buffer {
  const key = resolveKey(o.key);
  const signerKey = o.issuer?.key ?? key;
  const issuerName =
    o.issuerName !== undefined
      ? encodeName(o.issuerName, o.nameEncoding)
      : o.issuer
        ? issuerNameOf(o.issuer)
        : encodeName(o.subject, o.nameEncoding);
  const now = Date.now();
  const serial = o.serial ?? randomSerial();
  const isCa = o.ca ?? o.basicConstraints?.ca ?? false;
  const exts: Node[] = [];

  const bc =
    o.basicConstraints === undefined
      ? isCa
        ? { ca: true, pathLen: o.pathLen, critical: true }
        : null
      : o.basicConstraints;
  if (bc)
    exts.push(
      ext(
        '2.5.29.19',
        bc.critical ?? true,
        seq(bc.ca ? bool(true) : null, bc.pathLen !== undefined ? int(bc.pathLen) : null),
      ),
    );

  const ku =
    o.keyUsage === undefined
      ? {
          usages: isCa ? (['keyCertSign', 'cRLSign'] as KeyUsageName[]) : (['digitalSignature'] as KeyUsageName[]),
          critical: true,
        }
      : Array.isArray(o.keyUsage)
        ? { usages: o.keyUsage, critical: true }
        : o.keyUsage;
  if (ku) exts.push(ext('2.5.29.15', ku.critical ?? true, keyUsageBits(ku.usages)));

  const eku =
    o.extKeyUsage === undefined
      ? isCa
        ? null
        : { oids: [EKU_CLIENT_AUTH] }
      : Array.isArray(o.extKeyUsage)
        ? { oids: o.extKeyUsage }
        : o.extKeyUsage;
  if (eku) exts.push(ext('2.5.29.37', eku.critical ?? false, seq(...eku.oids.map(oid))));

  if (o.subjectKeyId !== false)
    exts.push(
      ext(
        '2.5.29.14',
        o.critical?.subjectKeyId ?? false,
        octet(Buffer.from(typeof o.subjectKeyId === 'string' ? o.subjectKeyId : keyId(key), 'hex')),
      ),
    );
  const akiValue =
    typeof o.authorityKeyId === 'string' ? o.authorityKeyId : o.authorityKeyId === false ? null : keyId(signerKey);
  if (o.authorityKeyIdWithoutKeyId && o.issuer)
    exts.push(
      ext(
        '2.5.29.35',
        o.critical?.authorityKeyId ?? false,
        seq(ctx(1, [ctx(4, [issuerNameOf(o.issuer)])]), ctx(2, serialInt(o.issuer.serial).value as string)),
      ),
    );
  else if (akiValue)
    exts.push(
      ext(
        '2.5.29.35',
        o.critical?.authorityKeyId ?? false,
        seq(ctx(0, Buffer.from(akiValue, 'hex').toString('binary'))),
      ),
    );

  if (o.policies) {
    const p = Array.isArray(o.policies) ? { oids: o.policies } : o.policies;
    exts.push(ext('2.5.29.32', p.critical ?? false, seq(...p.oids.map((x) => seq(oid(x))))));
  }
  if (o.policyMappings)
    exts.push(ext('2.5.29.33', true, seq(...o.policyMappings.map(([a, b]) => seq(oid(a), oid(b))))));
  if (o.policyConstraints) {
    const pc = o.policyConstraints;
    exts.push(
      ext(
        '2.5.29.36',
        o.critical?.policyConstraints ?? true,
        seq(
          pc.requireExplicitPolicy !== undefined ? ctx(0, int(pc.requireExplicitPolicy).value as string) : null,
          pc.inhibitPolicyMapping !== undefined ? ctx(1, int(pc.inhibitPolicyMapping).value as string) : null,
        ),
      ),
    );
  }
  if (o.inhibitAnyPolicy !== undefined)
    exts.push(ext('2.5.29.54', o.critical?.inhibitAnyPolicy ?? true, int(o.inhibitAnyPolicy)));
  if (o.nameConstraints) {
    const nc = o.nameConstraints;
    const subtrees = (list: GeneralNameSpec[]) => list.map((g) => seq(generalName(g)));
    exts.push(
      ext(
        '2.5.29.30',
        nc.critical ?? true,
        seq(nc.permitted ? ctx(0, subtrees(nc.permitted)) : null, nc.excluded ? ctx(1, subtrees(nc.excluded)) : null),
      ),
    );
  }
  if (o.subjectAltNames)
    exts.push(ext('2.5.29.17', o.critical?.subjectAltNames ?? false, seq(...o.subjectAltNames.map(generalName))));
  if (o.crlDistributionPoints?.length) {
    exts.push(ext('2.5.29.31', false, seq(...o.crlDistributionPoints.map((u) => seq(ctx(0, [ctx(0, [ctx(6, u)])]))))));
  }
  for (const e of o.extensions ?? []) exts.push(ext(e.oid, e.critical ?? false, e.value));

  const version = o.version ?? 3;
  const tbs = seq(
    version > 1 ? ctx(0, [int(version - 1)]) : null,
    o.serialBytes ? int(o.serialBytes) : serialInt(serial),
    signatureAlgorithm(signerKey, o.innerHash ? { ...o, hash: o.innerHash } : o),
    issuerName,
    seq(
      timeAs(o.notBefore ?? new Date(now - DAY), o.validityEncoding?.notBefore),
      timeAs(o.notAfter ?? new Date(now + 365 * DAY), o.validityEncoding?.notAfter),
    ),
    encodeName(o.subject, o.nameEncoding),
    fromDer(key.spki),
    o.uniqueIds ? ctx(1, '\x00\x01\x02') : null,
    (version === 3 || o.extensionsInAnyVersion) && exts.length ? ctx(3, [seq(...exts)]) : null,
  );
  return signStructure(tbs, signerKey, { hash: o.hash, pss: o.pss, corruptSignature: o.corruptSignature });
}

export type TimeForm = 'utc' | 'generalized' | 'generalized-fraction';

function timeAs(d: Date, form: TimeForm | undefined): Node {
  if (!form) return time(d);
  const iso = d.toISOString();
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  if (form === 'utc')
    return forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.UTCTIME, false, `${digits.slice(2)}Z`);
  return forge.asn1.create(
    forge.asn1.Class.UNIVERSAL,
    forge.asn1.Type.GENERALIZEDTIME,
    false,
    form === 'generalized' ? `${digits}Z` : `${digits}.5Z`,
  );
}

/** The issuer's subject Name node, re-read from its DER (exact encoding preserved). */
export function issuerNameOf(issuer: TestCertificate): Node {
  const certNode = fromDer(issuer.der);
  const tbs = (certNode.value as Node[])[0]!;
  const fields = tbs.value as Node[];
  const offset = fields[0]!.tagClass === 0x80 ? 1 : 0;
  return fields[offset + 4]!;
}

// ---------------------------------------------------------------- chains

export interface ChainOptions {
  /** Certificates including the root: 2 = root -> leaf, 3 = one intermediate, 4 = two. */
  levels: 2 | 3 | 4;
  key?: KeySpec;
  /** Slots keep keys distinct between chains of the same spec. */
  slot?: number;
  root?: Partial<IssueOptions>;
  intermediate?: Partial<IssueOptions>;
  leaf?: Partial<IssueOptions>;
  prefix?: string;
}

export interface TestChain {
  root: TestCertificate;
  intermediates: TestCertificate[];
  leaf: TestCertificate;
}

/** A root, 0-2 intermediates and a clinician leaf, all valid today with clinician defaults. */
export function createChain(o: ChainOptions): TestChain {
  const spec = o.key ?? 'rsa2048';
  const slot = (o.slot ?? 0) * 10;
  const prefix = o.prefix ?? `Test ${spec}`;
  const root = issueCertificate({
    subject: `CN=${prefix} Root CA, O=Test PKI, C=GR`,
    key: [spec, slot],
    ca: true,
    notBefore: new Date(Date.now() - 10 * DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    ...o.root,
  });
  const intermediates: TestCertificate[] = [];
  let issuer = root;
  for (let i = 0; i < o.levels - 2; i++) {
    issuer = issueCertificate({
      subject: `CN=${prefix} Intermediate CA ${i + 1}, O=Test PKI, C=GR`,
      issuer,
      key: [spec, slot + 1 + i],
      ca: true,
      notAfter: new Date(Date.now() + 1825 * DAY),
      ...o.intermediate,
    });
    intermediates.push(issuer);
  }
  const leaf = issueCertificate({
    subject: `CN=Dr ${prefix} Clinician, title=physician, serialNumber=GR-MED-12345, O=Test Hospital, C=GR`,
    issuer,
    key: [spec, slot + 9],
    ...o.leaf,
  });
  return { root, intermediates, leaf };
}

export { toPem };
