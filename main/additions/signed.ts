import { createHash } from 'node:crypto';
import type * as fhir4 from 'fhir/r4';
import { WorkstationError, isWorkstationError, type ErrorCode, type ErrorDetails } from '../../common/errors';
import { canonicalJson } from '../audit';
import {
  verifyClinicianChain,
  type ChainPolicy,
  type CertificateInput,
  type CrlInput,
  clinicianIdentity,
} from '../pki';
import { attachmentRefsOf, type AttachmentRef } from './attachments';
import { AUTHOR_SIGNATURE_TYPE, SYSTEMS } from './fhir';
import { signDetachedJws, verifyDetachedJws, type JwsAlgorithm, type JwsSigner } from './jws';

/**
 * A signed addition: the collection Bundle with the author's detached JWS in its Provenance's
 * `signature` (sigFormat application/jose, type ASTM E1762 author). What is signed is the RFC 8785
 * (JCS) canonical JSON of the Bundle without that one `signature` element; what is stored, encrypted
 * and hashed is the JCS canonical JSON of the whole signed Bundle. Its SHA-256 (hex) is the
 * addition's id: the same signed addition always has the same id and the same object name.
 */
export const JOSE_SIG_FORMAT = 'application/jose';
export const ADDITION_CONTENT_TYPE = 'application/fhir+json';

export interface SignedAddition {
  /** SHA-256 (hex) of `bytes`. */
  additionId: string;
  /** JCS canonical JSON of the signed Bundle (UTF-8). */
  bytes: Buffer;
  bundle: fhir4.Bundle;
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function provenanceOf(bundle: fhir4.Bundle): fhir4.Provenance {
  const provenances = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Provenance');
  if (provenances.length !== 1) throw new WorkstationError('ADDITION_INVALID', { field: 'provenance' });
  return provenances[0]!.resource as fhir4.Provenance;
}

/** The Bundle as signed: a deep copy whose Provenance has no `signature`. */
function unsignedCopy(bundle: fhir4.Bundle): fhir4.Bundle {
  const copy = JSON.parse(JSON.stringify(bundle)) as fhir4.Bundle;
  delete provenanceOf(copy).signature;
  return copy;
}

/** Signs a bundle from buildAdditionBundle with the clinician's key; the signing time is the Provenance's `recorded`. */
export function signAddition(bundle: fhir4.Bundle, signer: JwsSigner): SignedAddition {
  const provenance = provenanceOf(bundle);
  if (provenance.signature?.length) throw new WorkstationError('ADDITION_INVALID', { field: 'signature' });
  const recorded = new Date(provenance.recorded);
  const payload = Buffer.from(canonicalJson(bundle), 'utf8');
  const jws = signDetachedJws(payload, signer, recorded);
  const author = provenance.agent.find((a) => a.type?.coding?.some((c) => c.code === 'author'))?.who;
  const signed = JSON.parse(JSON.stringify(bundle)) as fhir4.Bundle;
  provenanceOf(signed).signature = [
    {
      type: [AUTHOR_SIGNATURE_TYPE],
      when: provenance.recorded,
      who: author ?? { display: 'author' },
      sigFormat: JOSE_SIG_FORMAT,
      targetFormat: 'application/fhir+json;canonicalization=http://hl7.org/fhir/canonicalization/json',
      data: Buffer.from(jws, 'ascii').toString('base64'),
    },
  ];
  const bytes = Buffer.from(canonicalJson(signed), 'utf8');
  return { additionId: sha256Hex(bytes), bytes, bundle: signed };
}

export interface VerifyAdditionOptions {
  trustAnchors: readonly CertificateInput[];
  /** Extra intermediates besides the x5c chain. */
  intermediates?: readonly CertificateInput[];
  crls?: readonly CrlInput[];
  policy?: Partial<ChainPolicy>;
  /** The id the addition was stored under: its SHA-256 must match. */
  expectedId?: string;
  /** The patient the addition must be about (its Provenance source entity reference). */
  expectedPatientReference?: string;
  /** Now (default: the clock); a signing time later than now + skew is refused. */
  now?: Date;
}

export interface AdditionSigner {
  name: string;
  registration: string | null;
  subject: string;
  issuer: string;
  fingerprint: string;
}

export interface AdditionVerification {
  valid: boolean;
  /** 'OK' or the first failed check's error code. */
  code: ErrorCode | 'OK';
  details: ErrorDetails;
  /** Which checks passed, in order: integrity (canonical bytes, id), structure, signature, chain. */
  checks: { integrity: boolean; structure: boolean; signature: boolean; chain: boolean };
  additionId: string;
  alg: JwsAlgorithm | null;
  signedAt: string | null;
  signer: AdditionSigner | null;
  /** Subjects from the signer to the trust anchor. */
  chain: string[];
  warnings: { code: ErrorCode; details: ErrorDetails }[];
  /** Resource counts by type (excluding Practitioner and Provenance). */
  resources: Record<string, number>;
  /**
   * The attachment objects the signed bundle refers to (size and digests signed with it). The
   * signature covers the references only: whoever accepts the addition must check each object
   * against them (the patient's review does, ADDITION_ATTACHMENT_MISMATCH).
   */
  attachments: AttachmentRef[];
  /** The parsed, verified bundle (only when valid). */
  bundle: fhir4.Bundle | null;
}

const SKEW_MS = 300_000;

/**
 * Checks a stored addition end to end: the bytes are canonical JSON whose SHA-256 is the expected
 * id, the bundle is a well-formed addition (every clinical resource is a Provenance target, the
 * Practitioner is bound to the signing certificate), the JWS verifies over the unsigned canonical
 * bundle, and the x5c chain validates to a trust anchor at the signing time. Never throws for a bad
 * addition: the result names the first failed check.
 */
export function verifyAddition(bytes: Uint8Array, options: VerifyAdditionOptions): AdditionVerification {
  const additionId = sha256Hex(bytes);
  const result: AdditionVerification = {
    valid: false,
    code: 'OK',
    details: {},
    checks: { integrity: false, structure: false, signature: false, chain: false },
    additionId,
    alg: null,
    signedAt: null,
    signer: null,
    chain: [],
    warnings: [],
    resources: {},
    attachments: [],
    bundle: null,
  };
  const failWith = (code: ErrorCode, details: ErrorDetails): AdditionVerification => ({ ...result, code, details });
  try {
    // 1. integrity
    if (options.expectedId !== undefined && options.expectedId !== additionId)
      return failWith('OBJECT_INTEGRITY_FAILED', { id: options.expectedId.slice(0, 16), reason: 'sha256' });
    let bundle: fhir4.Bundle;
    const text = Buffer.from(bytes).toString('utf8');
    try {
      bundle = JSON.parse(text) as fhir4.Bundle;
    } catch {
      return failWith('OBJECT_INTEGRITY_FAILED', { id: additionId.slice(0, 16), reason: 'json' });
    }
    if (canonicalJson(bundle) !== text)
      return failWith('OBJECT_INTEGRITY_FAILED', { id: additionId.slice(0, 16), reason: 'not-canonical' });
    result.checks.integrity = true;

    // 2. structure
    const structure = checkStructure(bundle, options.expectedPatientReference);
    result.resources = structure.resources;
    result.attachments = structure.attachments;
    result.checks.structure = true;

    // 3. signature
    const sig = structure.provenance.signature![0]!;
    const jws = Buffer.from(sig.data ?? '', 'base64').toString('ascii');
    const verified = verifyDetachedJws(jws, Buffer.from(canonicalJson(unsignedCopy(bundle)), 'utf8'));
    result.alg = verified.header.alg;
    result.signedAt = verified.header.sigT;
    const leaf = verified.certificates[0]!;
    const identity = clinicianIdentity(leaf);
    result.signer = {
      name: identity.name,
      registration: identity.registrationNumber,
      subject: identity.subject,
      issuer: identity.issuer,
      fingerprint: leaf.fingerprint,
    };
    if (structure.fingerprint !== leaf.fingerprint) return failWith('ADDITION_SIGNATURE_INVALID', { reason: 'signer' });
    const recorded = Date.parse(structure.provenance.recorded);
    if (Math.abs(recorded - verified.signedAt.getTime()) > 1000)
      return failWith('ADDITION_SIGNATURE_INVALID', { reason: 'sigT' });
    const now = options.now ?? new Date();
    if (verified.signedAt.getTime() > now.getTime() + SKEW_MS)
      return failWith('ADDITION_SIGNATURE_INVALID', { reason: 'future' });
    result.checks.signature = true;

    // 4. chain, at the signing time: a certificate that expired since still proves who signed then.
    const chain = verifyClinicianChain({
      leaf,
      intermediates: [...verified.certificates.slice(1), ...(options.intermediates ?? [])],
      trustAnchors: options.trustAnchors,
      crls: options.crls ?? [],
      time: verified.signedAt,
      ...(options.policy ? { policy: options.policy } : {}),
    });
    result.chain = chain.chain;
    result.warnings = chain.warnings;
    if (!chain.valid) return failWith(chain.code as ErrorCode, chain.details);
    result.checks.chain = true;
    return { ...result, valid: true, bundle };
  } catch (e) {
    if (isWorkstationError(e)) return failWith(e.code, e.details ?? {});
    throw e;
  }
}

interface Structure {
  provenance: fhir4.Provenance;
  fingerprint: string;
  resources: Record<string, number>;
  attachments: AttachmentRef[];
}

function checkStructure(bundle: fhir4.Bundle, expectedPatient: string | undefined): Structure {
  const bad = (field: string) => new WorkstationError('ADDITION_INVALID', { field });
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'collection' || !Array.isArray(bundle.entry))
    throw bad('bundle');
  const provenance = provenanceOf(bundle);
  const sigs = provenance.signature ?? [];
  if (sigs.length !== 1) throw new WorkstationError('ADDITION_SIGNATURE_INVALID', { reason: 'missing' });
  const sig = sigs[0]!;
  if (
    sig.sigFormat !== JOSE_SIG_FORMAT ||
    !sig.type?.some((t) => t.system === AUTHOR_SIGNATURE_TYPE.system && t.code === AUTHOR_SIGNATURE_TYPE.code) ||
    typeof sig.data !== 'string'
  ) {
    throw new WorkstationError('ADDITION_SIGNATURE_INVALID', { reason: 'format' });
  }
  const byUrl = new Map<string, fhir4.FhirResource>();
  for (const e of bundle.entry) {
    if (!e.fullUrl || !e.resource || byUrl.has(e.fullUrl)) throw bad('entry');
    byUrl.set(e.fullUrl, e.resource);
  }
  const clinical = bundle.entry.filter(
    (e) => e.resource!.resourceType !== 'Practitioner' && e.resource!.resourceType !== 'Provenance',
  );
  if (!clinical.length) throw bad('entry');
  const targets = new Set(provenance.target.map((t) => t.reference));
  if (targets.size !== clinical.length || !clinical.every((e) => targets.has(e.fullUrl)))
    throw bad('provenance.target');
  const author = provenance.agent.find((a) =>
    a.type?.coding?.some((c) => c.system === SYSTEMS.provenanceParticipant && c.code === 'author'),
  );
  const practitioner = author?.who.reference ? byUrl.get(author.who.reference) : undefined;
  if (practitioner?.resourceType !== 'Practitioner') throw bad('provenance.agent');
  const fingerprint = practitioner.identifier?.find((i) => i.system === SYSTEMS.certFingerprint)?.value;
  if (!fingerprint) throw bad('practitioner.identifier');
  const patient = provenance.entity?.find((en) => en.role === 'source')?.what.reference;
  if (!patient) throw bad('provenance.entity');
  if (expectedPatient !== undefined && patient !== expectedPatient) throw bad('patient');
  const resources: Record<string, number> = {};
  for (const e of clinical) resources[e.resource!.resourceType] = (resources[e.resource!.resourceType] ?? 0) + 1;
  return { provenance, fingerprint, resources, attachments: attachmentRefsOf(bundle) };
}
