import { EXT, type Certificate, type GeneralName } from './certificate';
import { signatureScheme, verifySignature } from './algorithms';

/**
 * RFC 5280 §4 certificate-profile rules that a relying party can check on one certificate.
 * Only MUST / MUST NOT rules are applied, and of those only the ones whose breach says the
 * certificate cannot be what it claims or was not made by a conforming CA in a way that matters
 * to path validation; rules RFC 5280 itself tells certificate users to tolerate are not (see
 * docs/pki.md, "Certificate profile", for every rule and every rule left out, with the reason).
 *
 * The parser already refuses (PKI_MALFORMED_CERTIFICATE): extensions in a v1/v2 certificate
 * (§4.1.2.1, §4.1.2.9), an empty extensions SEQUENCE, the same extension twice (§4.2),
 * signatureAlgorithm differing from tbsCertificate.signature (§4.1.1.2), an empty
 * subjectAltName / extKeyUsage / certificatePolicies, a duplicated policy OID (§4.2.1.4),
 * UTCTime / GeneralizedTime not in the Zulu-with-seconds form (§4.1.2.5.1/2).
 *
 * Returns the rule broken ("§4.2.1.1 authorityKeyIdentifier is critical") or null.
 */
export interface ProfileContext {
  /** The certificate's key verifies a certificate signature in this path (the anchor or an intermediate). */
  signsCertificates: boolean;
}

/** Extensions that a conforming CA MUST mark non-critical. */
const MUST_BE_NON_CRITICAL: [oid: string, rule: string][] = [
  [EXT.authorityKeyIdentifier, '§4.2.1.1 authorityKeyIdentifier is critical'],
  [EXT.subjectKeyIdentifier, '§4.2.1.2 subjectKeyIdentifier is critical'],
  [EXT.subjectDirectoryAttributes, '§4.2.1.8 subjectDirectoryAttributes is critical'],
  [EXT.freshestCrl, '§4.2.1.15 freshestCRL is critical'],
  [EXT.authorityInfoAccess, '§4.2.2.1 authorityInfoAccess is critical'],
  [EXT.subjectInfoAccess, '§4.2.2.2 subjectInfoAccess is critical'],
];

/** Extensions that a conforming CA MUST mark critical. */
const MUST_BE_CRITICAL: [oid: string, rule: string][] = [
  [EXT.nameConstraints, '§4.2.1.10 nameConstraints is not critical'],
  [EXT.policyConstraints, '§4.2.1.11 policyConstraints is not critical'],
  [EXT.inhibitAnyPolicy, '§4.2.1.14 inhibitAnyPolicy is not critical'],
];

/**
 * §4.1.2.5: which Time type a date gets (UTCTime through 2049, GeneralizedTime from 2050) is a
 * rule for CAs; "conforming applications MUST be able to process validity dates that are encoded
 * in either UTCTime or GeneralizedTime", so a GeneralizedTime before 2050 is accepted (NIST PKITS
 * 4.2.4 expects exactly that). (A UTCTime cannot name 2050 or later: YY >= 50 is 19YY.) What is
 * checked is the form: Zulu with seconds (the parser) and no fractional seconds (§4.1.2.5.2).
 */
function validityRule(cert: Certificate): string | null {
  for (const field of ['notBefore', 'notAfter'] as const) {
    if (cert.validityEncoding[field].fractional) return `§4.1.2.5.2 ${field} has fractional seconds`;
  }
  return null;
}

/** Octets of the serial number's value (the DER sign octet of a positive number not counted). */
export function serialValueLength(bytes: Buffer): number {
  return bytes.length > 1 && bytes[0] === 0x00 && bytes[1]! & 0x80 ? bytes.length - 1 : bytes.length;
}

/** Self-signed (RFC 5280 §3.2, §4.2.1.1): self-issued and its signature verifies with its own key. */
export function isSelfSigned(cert: Certificate): boolean {
  if (!cert.selfIssued || !cert.publicKey) return false;
  try {
    return verifySignature(signatureScheme(cert.signatureAlgorithm), cert.tbs, cert.signature, cert.publicKey);
  } catch {
    return false;
  }
}

/**
 * §4.2.1.6 name forms in subjectAltName: rfc822Name and dNSName not empty (a dNSName of " " MUST
 * NOT be used), a URI absolute (scheme and scheme-specific part), an iPAddress of 4 or 16 octets.
 */
function sanNameRule(g: GeneralName): string | null {
  switch (g.type) {
    case 'email':
      return g.value.trim() === '' ? '§4.2.1.6 empty rfc822Name' : null;
    case 'dns':
      return g.value.trim() === '' ? '§4.2.1.6 empty dNSName' : null;
    case 'uri':
      return /^[A-Za-z][A-Za-z0-9+.-]*:./.test(g.value)
        ? null
        : '§4.2.1.6 uniformResourceIdentifier is not an absolute URI';
    case 'ip':
      return g.value.length === 4 || g.value.length === 16 ? null : `§4.2.1.6 iPAddress of ${g.value.length} octets`;
    default:
      return null;
  }
}

export function profileViolation(cert: Certificate, ctx: ProfileContext): string | null {
  const ext = cert.extensions;
  const bc = cert.basicConstraints;
  const ku = cert.keyUsage;
  const isCa = bc?.ca === true;

  // §4.1.2.1 / §4.1.2.8: unique identifiers only in v2/v3 (the parser refuses extensions in v1/v2).
  if (cert.hasUniqueIds && cert.version === 1) return '§4.1.2.8 unique identifier in a version 1 certificate';
  // §4.1.2.2: certificate users MUST handle up to 20 octets, conforming CAs MUST NOT use more.
  // The value is counted, so a 20-octet value with its top bit set (21 octets in DER) passes.
  // Zero and negative serials are tolerated ("certificate users SHOULD be prepared to gracefully
  // handle such certificates").
  if (serialValueLength(cert.serialBytes) > 20)
    return `§4.1.2.2 serial number of ${serialValueLength(cert.serialBytes)} octets (at most 20)`;
  // §4.1.2.4: the issuer field MUST contain a non-empty distinguished name.
  if (cert.issuer.rdns.length === 0) return '§4.1.2.4 empty issuer name';
  const validity = validityRule(cert);
  if (validity) return validity;
  // §4.1.2.6: a CA or CRL issuer MUST have a non-empty subject; an empty subject MUST come with
  // a critical subjectAltName.
  if (cert.subject.rdns.length === 0) {
    if (isCa || ku?.has('keyCertSign') || ku?.has('cRLSign'))
      return '§4.1.2.6 empty subject in a CA or CRL issuer certificate';
    const san = ext.get(EXT.subjectAltName);
    if (!san) return '§4.1.2.6 empty subject without subjectAltName';
    if (!san.critical) return '§4.1.2.6 empty subject with a non-critical subjectAltName';
  }

  // §4.2 criticality.
  for (const [oid, rule] of MUST_BE_NON_CRITICAL) if (ext.get(oid)?.critical) return rule;
  for (const [oid, rule] of MUST_BE_CRITICAL) {
    const e = ext.get(oid);
    if (e && !e.critical) return rule;
  }
  // §4.2.1.9: basicConstraints MUST be present and critical in a CA certificate whose key
  // verifies certificate signatures (presence: PKI_NOT_A_CA, checked by the path rules).
  if (ctx.signsCertificates && bc && !ext.get(EXT.basicConstraints)!.critical)
    return '§4.2.1.9 basicConstraints is not critical in a CA certificate';

  // §4.2.1.1: keyIdentifier MUST be in every certificate except a self-signed one.
  if (cert.authorityKeyId === null && !isSelfSigned(cert))
    return '§4.2.1.1 authorityKeyIdentifier (keyIdentifier) missing';
  // §4.2.1.2: subjectKeyIdentifier MUST appear in every CA certificate (cA=TRUE).
  if (isCa && cert.subjectKeyId === null) return '§4.2.1.2 subjectKeyIdentifier missing in a CA certificate';

  // §4.2.1.3: at least one bit set; keyCertSign only with cA.
  if (ku && ku.size === 0) return '§4.2.1.3 keyUsage with no bit set';
  if (ku?.has('keyCertSign') && !isCa) return '§4.2.1.3 keyCertSign without basicConstraints cA';
  // §4.2.1.9: pathLenConstraint only when cA is asserted and keyUsage (when present) asserts keyCertSign.
  if (bc && bc.pathLen !== null && (!isCa || (ku && !ku.has('keyCertSign'))))
    return '§4.2.1.9 pathLenConstraint without cA and keyCertSign';
  // §4.2.1.10: name constraints MUST be used only in a CA certificate; an iPAddress constraint
  // is an address and a mask: 8 octets (IPv4) or 32 (IPv6).
  if (ext.has(EXT.nameConstraints) && !isCa) return '§4.2.1.10 nameConstraints in a certificate that is not a CA';
  const nc = cert.nameConstraints;
  for (const subtree of [...(nc?.permitted ?? []), ...(nc?.excluded ?? [])]) {
    if (subtree.base.type === 'ip' && subtree.base.value.length !== 8 && subtree.base.value.length !== 32)
      return `§4.2.1.10 iPAddress constraint of ${subtree.base.value.length} octets`;
  }
  for (const g of cert.subjectAltNames ?? []) {
    const rule = sanNameRule(g);
    if (rule) return rule;
  }
  // §4.2.1.13: a DistributionPoint MUST NOT consist of only the reasons field.
  if (cert.distributionPoints?.some((dp) => dp.names === null && dp.crlIssuer === null))
    return '§4.2.1.13 DistributionPoint with neither distributionPoint nor cRLIssuer';
  return null;
}
