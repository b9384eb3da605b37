import { createHash } from 'node:crypto';
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
  Type,
  type Asn1,
} from './asn1';
import { parseAlgorithmIdentifier, signatureScheme, verifySignature, type AlgorithmIdentifier } from './algorithms';
import { distributionPointNameKeys, type Certificate } from './certificate';
import { parseName, type DistinguishedName } from './names';

export const CRL_EXT = {
  authorityKeyIdentifier: '2.5.29.35',
  issuerAltName: '2.5.29.18',
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  issuingDistributionPoint: '2.5.29.28',
  freshestCrl: '2.5.29.46',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  // entry extensions
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  certificateIssuer: '2.5.29.29',
} as const;

const UNDERSTOOD_CRL = new Set<string>([
  CRL_EXT.authorityKeyIdentifier,
  CRL_EXT.issuerAltName,
  CRL_EXT.crlNumber,
  CRL_EXT.issuingDistributionPoint,
  CRL_EXT.freshestCrl,
  CRL_EXT.authorityInfoAccess,
  CRL_EXT.deltaCrlIndicator,
]);
const UNDERSTOOD_ENTRY = new Set<string>([CRL_EXT.reasonCode, CRL_EXT.invalidityDate]);

export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  '(unused)',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

export interface CrlEntry {
  serial: string;
  revocationDate: Date;
  reason: string | null;
}

/** A parsed X.509 v1/v2 CRL (RFC 5280 §5), node-forge ASN.1. */
export interface Crl {
  der: Buffer;
  tbs: Buffer;
  fingerprint: string;
  issuer: DistinguishedName;
  thisUpdate: Date;
  nextUpdate: Date | null;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Buffer;
  entries: Map<string, CrlEntry>;
  crlNumber: string | null;
  authorityKeyId: string | null;
  isDelta: boolean;
  /** A critical CRL or entry extension we cannot process: the CRL must not be used. */
  unprocessableCritical: boolean;
  scope: {
    onlyUserCerts: boolean;
    onlyCaCerts: boolean;
    onlySomeReasons: boolean;
    indirect: boolean;
    onlyAttributeCerts: boolean;
    distributionPoint: string[] | null;
  } | null;
}

export function parseCrl(der: Uint8Array): Crl {
  const buf = Buffer.from(der);
  try {
    const outer = readTlv(buf, 0);
    if (outer.end !== buf.length || buf[0] !== 0x30) throw new Asn1Error('CRL: not a single SEQUENCE');
    const raw = rawChildren(buf, outer);
    if (raw.length !== 3) throw new Asn1Error('CRL: expected 3 fields');
    const root = parseDer(buf);
    const [tbsNode, algNode, sigNode] = sequence(root, 'CertificateList');
    const signatureAlgorithm = parseAlgorithmIdentifier(algNode, 'signatureAlgorithm');
    const sig = bitString(sigNode, 'signatureValue');
    const f = sequence(tbsNode, 'TBSCertList');
    let i = 0;
    let version = 1;
    if (isUniversal(f[0], Type.INTEGER)) version = smallInteger(f[i++], 'version') + 1;
    const inner = parseAlgorithmIdentifier(f[i++], 'signature');
    if (!inner.der.equals(signatureAlgorithm.der))
      throw new Asn1Error('CRL signature algorithm differs inside and outside');
    const issuer = parseName(f[i++], 'issuer');
    const thisUpdate = time(f[i++], 'thisUpdate');
    let nextUpdate: Date | null = null;
    if (f[i] && (isUniversal(f[i], Type.UTCTIME) || isUniversal(f[i], Type.GENERALIZEDTIME)))
      nextUpdate = time(f[i++], 'nextUpdate');
    const crl: Crl = {
      der: buf,
      tbs: buf.subarray(raw[0]!.start, raw[0]!.end),
      fingerprint: createHash('sha256').update(buf).digest('hex'),
      issuer,
      thisUpdate,
      nextUpdate,
      signatureAlgorithm,
      signature: sig.bytes,
      entries: new Map(),
      crlNumber: null,
      authorityKeyId: null,
      isDelta: false,
      unprocessableCritical: false,
      scope: null,
    };
    if (f[i] && isUniversal(f[i], Type.SEQUENCE)) {
      for (const e of sequence(f[i++], 'revokedCertificates')) parseEntry(crl, e);
    }
    if (isContext(f[i], 0)) {
      if (version !== 2) throw new Asn1Error('CRL extensions in a v1 CRL');
      for (const ext of sequence(children(f[i++])[0], 'crlExtensions')) parseCrlExtension(crl, ext);
    }
    if (i !== f.length) throw new Asn1Error('TBSCertList: unexpected fields');
    return crl;
  } catch (e) {
    if (e instanceof WorkstationError) throw e;
    throw new WorkstationError('PKI_CRL_INVALID', { problem: (e as Error).message }, { cause: e });
  }
}

function extensionFields(node: Asn1): { id: string; critical: boolean; value: Buffer } {
  const f = sequence(node, 'Extension');
  const id = oid(f[0]);
  let k = 1;
  let critical = false;
  if (isUniversal(f[k], Type.BOOLEAN)) critical = boolean(f[k++]);
  return { id, critical, value: octets(f[k], `extension ${id}`) };
}

function parseEntry(crl: Crl, node: Asn1): void {
  const [serialNode, dateNode, extsNode] = sequence(node, 'revokedCertificate');
  const serial = integerHex(integerBytes(serialNode, 'userCertificate'));
  const entry: CrlEntry = { serial, revocationDate: time(dateNode, 'revocationDate'), reason: null };
  if (extsNode) {
    for (const e of sequence(extsNode, 'crlEntryExtensions')) {
      const ext = extensionFields(e);
      if (ext.id === CRL_EXT.reasonCode) {
        const v = parseDer(ext.value);
        const code = Buffer.from(primitiveBytes(v), 'binary')[0] ?? 0;
        entry.reason = REVOCATION_REASONS[code] ?? `reason ${code}`;
      } else if (ext.critical && !UNDERSTOOD_ENTRY.has(ext.id)) crl.unprocessableCritical = true;
    }
  }
  crl.entries.set(serial, entry);
}

function parseCrlExtension(crl: Crl, node: Asn1): void {
  const ext = extensionFields(node);
  if (ext.critical && !UNDERSTOOD_CRL.has(ext.id)) crl.unprocessableCritical = true;
  const v = () => parseDer(ext.value);
  switch (ext.id) {
    case CRL_EXT.crlNumber:
      crl.crlNumber = integerHex(integerBytes(v()));
      break;
    case CRL_EXT.deltaCrlIndicator:
      crl.isDelta = true;
      break;
    case CRL_EXT.authorityKeyIdentifier:
      for (const field of sequence(v()))
        if (isContext(field, 0)) crl.authorityKeyId = Buffer.from(primitiveBytes(field), 'binary').toString('hex');
      break;
    case CRL_EXT.issuingDistributionPoint: {
      const scope = {
        onlyUserCerts: false,
        onlyCaCerts: false,
        onlySomeReasons: false,
        indirect: false,
        onlyAttributeCerts: false,
        distributionPoint: null as string[] | null,
      };
      for (const field of sequence(v(), 'issuingDistributionPoint')) {
        const flag = () => primitiveBytes(field) !== '\x00';
        if (isContext(field, 0))
          scope.distributionPoint = distributionPointNameKeys(children(field, 'distributionPoint')[0]!, crl.issuer);
        else if (isContext(field, 1)) scope.onlyUserCerts = flag();
        else if (isContext(field, 2)) scope.onlyCaCerts = flag();
        else if (isContext(field, 3)) scope.onlySomeReasons = true;
        else if (isContext(field, 4)) scope.indirect = flag();
        else if (isContext(field, 5)) scope.onlyAttributeCerts = flag();
      }
      crl.scope = scope;
      break;
    }
  }
}

/** CRLs from PEM text (X509 CRL blocks) or one DER CRL. */
export function parseCrls(input: string | Uint8Array): Crl[] {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN')) return pemBlocks(text, ['X509 CRL']).map((b) => parseCrl(b.der));
  if (typeof input === 'string') return [];
  return input.length ? [parseCrl(input)] : [];
}

export type CrlCheck =
  | { status: 'good'; crl: Crl }
  | { status: 'revoked'; entry: CrlEntry }
  | { status: 'stale'; crl: Crl }
  | { status: 'invalid'; problem: string }
  | { status: 'missing' };

/**
 * The revocation status of `cert` from complete CRLs issued by its issuer. `signers` are the
 * keys that may sign CRLs for that issuer (the issuing CA itself first). A CRL is used only if
 * its signature verifies, its signer may sign CRLs, it covers this kind of certificate and it
 * has no critical extension we cannot process. Any usable CRL listing the serial revokes.
 */
export function crlStatus(
  cert: Certificate,
  signers: readonly Certificate[],
  crls: readonly Crl[],
  at: Date,
  skewMs: number,
): CrlCheck {
  const isCa = cert.basicConstraints?.ca === true;
  let problem: string | null = null;
  let fresh: Crl | null = null;
  let stale: Crl | null = null;
  for (const crl of crls) {
    if (crl.issuer.key !== cert.issuer.key) continue;
    if (crl.isDelta) continue;
    if (
      crl.scope &&
      (crl.scope.indirect ||
        crl.scope.onlyAttributeCerts ||
        crl.scope.onlySomeReasons ||
        (crl.scope.onlyUserCerts && isCa) ||
        (crl.scope.onlyCaCerts && !isCa))
    )
      continue;
    if (crl.scope?.distributionPoint && !coversDistributionPoint(cert, crl.scope.distributionPoint)) continue;
    if (crl.unprocessableCritical) {
      problem = 'unsupported critical extension';
      continue;
    }
    const signedBy = signers.find((s) => crlSignedBy(crl, s));
    if (!signedBy) {
      problem = problem ?? 'signature';
      continue;
    }
    if (signedBy.keyUsage && !signedBy.keyUsage.has('cRLSign')) {
      problem = 'issuer may not sign CRLs';
      continue;
    }
    const entry = crl.entries.get(cert.serial);
    if (entry && entry.reason !== 'removeFromCRL') return { status: 'revoked', entry };
    if (!crl.nextUpdate || crl.nextUpdate.getTime() + skewMs >= at.getTime()) {
      if (!fresh || crl.thisUpdate > fresh.thisUpdate) fresh = crl;
    } else if (!stale || crl.thisUpdate > stale.thisUpdate) stale = crl;
  }
  if (fresh) return { status: 'good', crl: fresh };
  if (stale) return { status: 'stale', crl: stale };
  if (problem) return { status: 'invalid', problem };
  return { status: 'missing' };
}

/**
 * A CRL whose issuingDistributionPoint names a distribution point covers only certificates
 * naming that point in their cRLDistributionPoints (RFC 5280 §6.3.3 (b)(2)(i)).
 */
function coversDistributionPoint(cert: Certificate, idpNames: string[]): boolean {
  return (cert.distributionPoints ?? []).some((dp) =>
    (dp.names ?? dp.crlIssuer ?? []).some((n) => idpNames.includes(n)),
  );
}

/** Whether `crl` carries a valid signature by `signer`'s key (weak algorithms never verify). */
export function crlSignedBy(crl: Crl, signer: Certificate): boolean {
  if (!signer.publicKey || signer.subject.key !== crl.issuer.key) return false;
  try {
    return verifySignature(signatureScheme(crl.signatureAlgorithm), crl.tbs, crl.signature, signer.publicKey);
  } catch {
    return false;
  }
}
