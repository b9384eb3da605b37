import type { ErrorCode, ErrorDetails } from '../../common/errors';
import { isWorkstationError } from '../../common/errors';
import { describePublicKey, signatureScheme, verifySignature } from './algorithms';
import {
  ANY_POLICY,
  EKU,
  parseCertificate,
  parseCertificates,
  UNDERSTOOD_EXTENSIONS,
  type Certificate,
} from './certificate';
import { crlStatus, parseCrls, type Crl } from './crl';
import { satisfiesNameConstraints, type ConstraintSet } from './name-constraints';
import { profileViolation } from './profile';
import { processPolicies } from './policy';

export type RevocationPolicy = 'hard-fail' | 'warn' | 'off';

export interface ChainPolicy {
  /** Tolerance applied to validity periods and CRL nextUpdate. */
  clockSkewSeconds: number;
  /** Extended key usage the target must carry, or 'any' to skip the check. */
  eku: string;
  /** Certificate policy the path must be valid for (RFC 5280 initial-explicit-policy), or null. */
  requiredPolicy: string | null;
  /** What a missing, stale or unusable CRL means; a revoked certificate always fails. */
  revocation: RevocationPolicy;
  /** Key usage the target must have when it carries a keyUsage extension. */
  leafKeyUsage: 'digitalSignature' | 'none';
  /** Extra extension OIDs the caller processes (e.g. the configured role extension). */
  understoodExtensions: readonly string[];
  /** Longest path tried (intermediates between the target and the anchor). */
  maxIntermediates: number;
}

export const DEFAULT_CHAIN_POLICY: ChainPolicy = {
  clockSkewSeconds: 300,
  eku: EKU.clientAuth,
  requiredPolicy: null,
  revocation: 'hard-fail',
  leafKeyUsage: 'digitalSignature',
  understoodExtensions: [],
  maxIntermediates: 8,
};

export type CertificateInput = Certificate | string | Uint8Array;
export type CrlInput = Crl | string | Uint8Array;

export interface VerifyChainInput {
  leaf: CertificateInput;
  intermediates?: readonly CertificateInput[];
  trustAnchors: readonly CertificateInput[];
  crls?: readonly CrlInput[];
  /** Validation time (default: now). */
  time?: Date;
  policy?: Partial<ChainPolicy>;
}

export interface ChainWarning {
  code: ErrorCode;
  details: ErrorDetails;
}

export interface ChainResult {
  valid: boolean;
  /** 'OK' when valid; otherwise the error code (message key errors.<code>). */
  code: ErrorCode | 'OK';
  /** Values for the message template. */
  details: ErrorDetails;
  /** Subjects from the target to the trust anchor (as far as a path was built). */
  chain: string[];
  /** The certificates of `chain`, same order. */
  certificates: Certificate[];
  warnings: ChainWarning[];
  /** Policies the path is valid for (empty when no policy tree remains). */
  policies: string[];
}

interface Failure {
  code: ErrorCode;
  details: ErrorDetails;
}

interface Candidate {
  anchor: Certificate;
  /** From the certificate issued by the anchor down to the target. */
  path: Certificate[];
}

const fail = (code: ErrorCode, details: ErrorDetails): Failure => ({ code, details });

function toCertificate(input: CertificateInput): Certificate {
  if (!(input instanceof Uint8Array) && typeof input === 'object') return input;
  const certs = parseCertificates(input);
  if (certs.length !== 1) return parseCertificate(typeof input === 'string' ? Buffer.from(input) : input);
  return certs[0]!;
}

function toCrls(input: CrlInput): Crl[] {
  if (!(input instanceof Uint8Array) && typeof input === 'object') return [input];
  return parseCrls(input);
}

/**
 * Verify a clinician's certificate: build a path to a trust anchor and validate it in the
 * manner of RFC 5280 §6.1 at `time`. Never throws for certificate problems: the result names
 * the first rule broken, as an error code with message details.
 */
export function verifyClinicianChain(input: VerifyChainInput): ChainResult {
  const policy: ChainPolicy = { ...DEFAULT_CHAIN_POLICY, ...input.policy };
  const at = input.time ?? new Date();
  let leaf: Certificate;
  let pool: Certificate[];
  let anchors: Certificate[];
  let crls: Crl[];
  try {
    leaf = toCertificate(input.leaf);
    pool = (input.intermediates ?? []).map(toCertificate);
    anchors = input.trustAnchors.map(toCertificate);
    crls = (input.crls ?? []).flatMap(toCrls);
  } catch (e) {
    if (isWorkstationError(e)) return result(false, { code: e.code, details: e.details ?? {} }, null, []);
    throw e;
  }
  return new PathValidator(anchors, pool, crls, policy, at).verify(leaf);
}

function result(
  valid: boolean,
  failure: Failure | null,
  candidate: Candidate | null,
  warnings: ChainWarning[],
  fallbackChain: Certificate[] = [],
  policies: string[] = [],
): ChainResult {
  const certs = candidate
    ? [...candidate.path].reverse().concat(candidate.path[0] === candidate.anchor ? [] : [candidate.anchor])
    : fallbackChain;
  return {
    valid,
    code: failure ? failure.code : 'OK',
    details: failure ? failure.details : {},
    chain: certs.map((c) => c.subject.text),
    certificates: certs,
    warnings,
    policies,
  };
}

/** Path building and validation over one set of trust material. */
class PathValidator {
  private readonly skewMs: number;
  private readonly sigCache = new Map<string, Failure | null>();
  private readonly understood: Set<string>;

  constructor(
    private readonly anchors: Certificate[],
    private readonly pool: Certificate[],
    private readonly crls: Crl[],
    private readonly policy: ChainPolicy,
    private readonly at: Date,
  ) {
    this.skewMs = policy.clockSkewSeconds * 1000;
    this.understood = new Set([...UNDERSTOOD_EXTENSIONS, ...policy.understoodExtensions]);
  }

  verify(leaf: Certificate): ChainResult {
    let firstFailure: { failure: Failure; candidate: Candidate } | null = null;
    let buildFailure: { failure: Failure; depth: number; chain: Certificate[] } | null = null;
    let tried = 0;
    const onBuildFailure = (failure: Failure, chain: Certificate[]) => {
      if (!buildFailure || chain.length > buildFailure.depth) buildFailure = { failure, depth: chain.length, chain };
    };
    for (const candidate of this.buildPaths(leaf, onBuildFailure)) {
      const outcome = this.validate(candidate, 'clinician');
      if (outcome.ok) return result(true, null, candidate, outcome.warnings, [], outcome.policies);
      firstFailure ??= { failure: outcome.failure, candidate };
      if (++tried >= 16) break;
    }
    if (firstFailure) return result(false, firstFailure.failure, firstFailure.candidate, []);
    const b = buildFailure as { failure: Failure; depth: number; chain: Certificate[] } | null;
    if (b) return result(false, b.failure, null, [], b.chain);
    return result(false, fail('PKI_NO_PATH_TO_TRUST_ANCHOR', { subject: leaf.issuer.text }), null, [], [leaf]);
  }

  /** Depth-first path building: issuer by name (AKI/SKI ordering), signature checked at each edge. */
  private *buildPaths(
    target: Certificate,
    onFailure: (f: Failure, chain: Certificate[]) => void,
  ): Generator<Candidate> {
    const trusted = this.anchors.find((a) => a.fingerprint === target.fingerprint);
    if (trusted) yield { anchor: trusted, path: [trusted] };
    const chain: Certificate[] = [target];
    const walk = function* (this: PathValidator, cert: Certificate): Generator<Candidate> {
      const issuers = this.issuersOf(cert);
      if (!issuers.length) onFailure(fail('PKI_NO_PATH_TO_TRUST_ANCHOR', { subject: cert.issuer.text }), [...chain]);
      for (const { issuer, isAnchor } of issuers) {
        if (chain.some((c) => c.fingerprint === issuer.fingerprint)) continue;
        const sigFailure = this.checkSignature(cert, issuer);
        if (sigFailure) {
          onFailure(sigFailure, [...chain]);
          continue;
        }
        if (isAnchor) yield { anchor: issuer, path: [...chain].reverse() };
        else if (chain.length <= this.policy.maxIntermediates) {
          chain.push(issuer);
          yield* walk.call(this, issuer);
          chain.pop();
        }
      }
    };
    yield* walk.call(this, target);
  }

  private issuersOf(cert: Certificate): { issuer: Certificate; isAnchor: boolean }[] {
    const rank = (c: Certificate) =>
      cert.authorityKeyId && c.subjectKeyId ? (cert.authorityKeyId === c.subjectKeyId ? 0 : 2) : 1;
    const byName = (list: Certificate[], isAnchor: boolean) =>
      list
        .filter((c) => c.subject.key === cert.issuer.key)
        .map((issuer) => ({ issuer, isAnchor }))
        .sort((a, b) => rank(a.issuer) - rank(b.issuer));
    const anchors = byName(this.anchors, true);
    const anchorPrints = new Set(anchors.map((a) => a.issuer.fingerprint));
    return [...anchors, ...byName(this.pool, false).filter((x) => !anchorPrints.has(x.issuer.fingerprint))];
  }

  private checkSignature(cert: Certificate, issuer: Certificate): Failure | null {
    const key = `${cert.fingerprint}:${issuer.fingerprint}`;
    const cached = this.sigCache.get(key);
    if (cached !== undefined) return cached;
    let outcome: Failure | null = null;
    try {
      const scheme = signatureScheme(cert.signatureAlgorithm);
      if (!issuer.publicKey)
        outcome = fail('PKI_UNSUPPORTED_ALGORITHM', {
          algorithm: issuer.publicKeyAlgorithm,
          subject: issuer.subject.text,
        });
      else if (!verifySignature(scheme, cert.tbs, cert.signature, issuer.publicKey))
        outcome = fail('PKI_SIGNATURE_INVALID', { subject: cert.subject.text });
    } catch (e) {
      if (!isWorkstationError(e)) throw e;
      outcome = fail(e.code, { ...e.details, subject: cert.subject.text });
    }
    this.sigCache.set(key, outcome);
    return outcome;
  }

  /** RFC 5280 §6.1.3-6.1.5 over one candidate path, then revocation. */
  private validate(
    candidate: Candidate,
    purpose: 'clinician' | 'crl-signer',
    depth = 0,
  ): { ok: true; warnings: ChainWarning[]; policies: string[] } | { ok: false; failure: Failure } {
    const { anchor, path } = candidate;
    const n = path.length;
    const trustedTarget = path[0] === anchor;
    const subject = (c: Certificate) => ({ subject: c.subject.text });

    if (purpose === 'clinician') {
      // A clinician is an end entity: a CA certificate (cA=TRUE) or a key allowed to sign
      // certificates (keyCertSign) could issue "clinicians" of its own, so it never signs in.
      const target = path[n - 1]!;
      if (target.basicConstraints?.ca)
        return { ok: false, failure: fail('PKI_CLINICIAN_IS_CA', { ...subject(target), problem: 'cA=TRUE' }) };
      if (target.keyUsage?.has('keyCertSign'))
        return { ok: false, failure: fail('PKI_CLINICIAN_IS_CA', { ...subject(target), problem: 'keyCertSign' }) };
    }

    const keyFailure = this.checkKey(anchor) ?? path.map((c) => this.checkKey(c)).find((f) => f !== null) ?? null;
    if (keyFailure) return { ok: false, failure: keyFailure };

    // RFC 5280 §4 profile rules on every certificate, the anchor's included (docs/pki.md). A
    // certificate whose key verifies a certificate signature must first be a CA at all.
    for (let idx = trustedTarget ? 0 : -1; idx < n; idx++) {
      const cert = idx < 0 ? anchor : path[idx]!;
      const signsCertificates = idx < n - 1;
      // The anchor as a v3 certificate must say it may sign certificates (§4.2.1.9); a v1/v2
      // anchor is a CA by configuration (RFC 5280 §6.1.4 (k)); intermediates: below.
      if (signsCertificates && (idx >= 0 || cert.version === 3) && !cert.basicConstraints?.ca)
        return { ok: false, failure: fail('PKI_NOT_A_CA', subject(cert)) };
      const rule = profileViolation(cert, { signsCertificates });
      if (rule)
        return {
          ok: false,
          failure: fail('PKI_PROFILE_VIOLATION', { subject: cert.subject.text || '(empty subject)', rule }),
        };
    }
    if (!trustedTarget) {
      if (anchor.keyUsage && !anchor.keyUsage.has('keyCertSign'))
        return { ok: false, failure: fail('PKI_KEY_USAGE', { ...subject(anchor), usage: 'keyCertSign' }) };
      for (const ext of anchor.extensions.values()) {
        if (ext.critical && !this.understood.has(ext.oid))
          return {
            ok: false,
            failure: fail('PKI_UNKNOWN_CRITICAL_EXTENSION', { ...subject(anchor), extension: ext.oid }),
          };
      }
    }

    // The anchor's own validity period and constraints apply, as most deployed verifiers do.
    const anchorTime = this.checkValidity(anchor);
    if (anchorTime) return { ok: false, failure: anchorTime };
    let maxPathLength = anchor.basicConstraints?.pathLen ?? n;
    const constraints: ConstraintSet[] = anchor.nameConstraints && !trustedTarget ? [anchor.nameConstraints] : [];

    for (let idx = 0; idx < n; idx++) {
      const cert = path[idx]!;
      const isTarget = idx === n - 1;
      const timeFailure = trustedTarget ? null : this.checkValidity(cert);
      if (timeFailure) return { ok: false, failure: timeFailure };
      if ((isTarget || !cert.selfIssued) && !satisfiesNameConstraints(cert, constraints))
        return { ok: false, failure: fail('PKI_NAME_CONSTRAINTS', subject(cert)) };
      for (const ext of cert.extensions.values()) {
        if (ext.critical && !this.understood.has(ext.oid))
          return {
            ok: false,
            failure: fail('PKI_UNKNOWN_CRITICAL_EXTENSION', { ...subject(cert), extension: ext.oid }),
          };
      }
      if (cert.nameConstraints?.permitted?.length === 0 && cert.nameConstraints.excluded.length === 0) {
        return {
          ok: false,
          failure: fail('PKI_MALFORMED_CERTIFICATE', { ...subject(cert), problem: 'empty nameConstraints' }),
        };
      }
      if (!isTarget) {
        if (!cert.basicConstraints?.ca) return { ok: false, failure: fail('PKI_NOT_A_CA', subject(cert)) };
        if (!cert.selfIssued) {
          if (maxPathLength <= 0) return { ok: false, failure: fail('PKI_PATH_LENGTH_EXCEEDED', subject(cert)) };
          maxPathLength--;
        }
        const pl = cert.basicConstraints.pathLen;
        if (pl !== null && pl < maxPathLength) maxPathLength = pl;
        if (cert.keyUsage && !cert.keyUsage.has('keyCertSign'))
          return { ok: false, failure: fail('PKI_KEY_USAGE', { ...subject(cert), usage: 'keyCertSign' }) };
        if (cert.nameConstraints) constraints.push(cert.nameConstraints);
      }
    }

    const target = path[n - 1]!;
    if (purpose === 'clinician') {
      if (
        this.policy.leafKeyUsage === 'digitalSignature' &&
        target.keyUsage &&
        !target.keyUsage.has('digitalSignature')
      ) {
        return { ok: false, failure: fail('PKI_KEY_USAGE', { ...subject(target), usage: 'digitalSignature' }) };
      }
      if (this.policy.eku !== 'any') {
        const eku = target.extKeyUsage;
        if (!eku || !(eku.includes(this.policy.eku) || eku.includes(EKU.any)))
          return {
            ok: false,
            failure: fail('PKI_EXTENDED_KEY_USAGE', { ...subject(target), required: this.policy.eku }),
          };
      }
    } else if (target.keyUsage && !target.keyUsage.has('cRLSign')) {
      return { ok: false, failure: fail('PKI_KEY_USAGE', { ...subject(target), usage: 'cRLSign' }) };
    }

    let policies: string[] = [];
    if (!trustedTarget) {
      const required = this.policy.requiredPolicy;
      const outcome = processPolicies(path, {
        initialPolicySet: required ? [required] : [ANY_POLICY],
        initialExplicitPolicy: required !== null,
        initialPolicyMappingInhibit: false,
        initialAnyPolicyInhibit: false,
      });
      if (!outcome.ok)
        return {
          ok: false,
          failure: fail('PKI_POLICY_REQUIRED', { ...subject(path[outcome.at]!), policy: required ?? 'any' }),
        };
      policies = outcome.policies;
    }

    const warnings: ChainWarning[] = [];
    if (this.policy.revocation !== 'off' && !trustedTarget) {
      for (let idx = 0; idx < n; idx++) {
        const cert = path[idx]!;
        const issuer = idx === 0 ? anchor : path[idx - 1]!;
        // A CRL-signing certificate may be vouched for by the CRLs it signs itself (a CA's
        // self-issued CRL key, RFC 5280 §6.3.3 (f)); a CRL from the CA key can still revoke it.
        const self = purpose === 'crl-signer' && idx === n - 1 && cert.issuer.key === cert.subject.key ? [cert] : [];
        const signers = [issuer, ...self, ...this.separateCrlSigners(cert, issuer, anchor, depth)];
        const status = crlStatus(cert, signers, this.crls, this.at, this.skewMs);
        if (status.status === 'good') continue;
        if (status.status === 'revoked')
          return {
            ok: false,
            failure: fail('PKI_REVOKED', { ...subject(cert), reason: status.entry.reason ?? 'unspecified' }),
          };
        const problem: Failure =
          status.status === 'invalid'
            ? fail('PKI_CRL_INVALID', { ...subject(cert), problem: status.problem })
            : fail('PKI_REVOCATION_UNKNOWN', {
                ...subject(cert),
                problem: status.status === 'stale' ? 'stale' : 'missing',
              });
        if (this.policy.revocation === 'hard-fail') return { ok: false, failure: problem };
        warnings.push(problem);
      }
    }
    return { ok: true, warnings, policies };
  }

  /**
   * Certificates other than the issuing CA that may sign CRLs for it (RFC 5280 §6.3.3 (f)):
   * same name, cRLSign, and their own path valid to the same trust anchor.
   */
  private separateCrlSigners(
    cert: Certificate,
    issuer: Certificate,
    anchor: Certificate,
    depth: number,
  ): Certificate[] {
    if (depth >= 2) return [];
    const out: Certificate[] = [];
    for (const c of this.pool) {
      if (c === issuer || c.subject.key !== cert.issuer.key || !c.keyUsage?.has('cRLSign')) continue;
      if (!this.crls.some((crl) => crl.issuer.key === cert.issuer.key)) continue;
      for (const candidate of this.buildPaths(c, () => {})) {
        if (candidate.anchor !== anchor) continue;
        if (this.validate(candidate, 'crl-signer', depth + 1).ok) {
          out.push(c);
          break;
        }
      }
    }
    return out;
  }

  private checkKey(cert: Certificate): Failure | null {
    if (!cert.publicKey)
      return fail('PKI_UNSUPPORTED_ALGORITHM', { algorithm: cert.publicKeyAlgorithm, subject: cert.subject.text });
    try {
      describePublicKey(cert.publicKey);
      return null;
    } catch (e) {
      if (!isWorkstationError(e)) throw e;
      return fail(e.code, { ...e.details, subject: cert.subject.text });
    }
  }

  private checkValidity(cert: Certificate): Failure | null {
    // Validity is stated to the second (§4.1.2.5): the validation time is compared at that
    // granularity (floored), so notAfter holds through its whole second and notBefore starts at it.
    const t = Math.floor(this.at.getTime() / 1000) * 1000;
    if (cert.notBefore.getTime() - this.skewMs > t)
      return fail('PKI_NOT_YET_VALID', { subject: cert.subject.text, notBefore: cert.notBefore.toISOString() });
    if (cert.notAfter.getTime() + this.skewMs < t)
      return fail('PKI_EXPIRED', { subject: cert.subject.text, notAfter: cert.notAfter.toISOString() });
    return null;
  }
}
