import type { KeyObject } from 'node:crypto';
import type * as fhir4 from 'fhir/r4';
import {
  SUBMISSION_MAX_BYTES,
  submissionAttachmentBytes,
  type AdditionFormInput,
  type OutboxCounts,
  type OutboxItem,
} from '../../common/additions';
import { WorkstationError } from '../../common/errors';
import type { Certificate } from '../pki/certificate';
import { buildAdditionBundle, kindCounts, type AdditionAuthor } from './fhir';
import type { JwsAlgorithm } from './jws';
import type { Outbox, UploadTarget } from './outbox';
import { pendingObjectKey, sealAddition } from './pending';
import type { OutboxSender } from './sender';
import { signAddition } from './signed';

/**
 * The additions service: forms -> FHIR bundle -> signed (clinician's key, x5c) -> encrypted for the
 * patient's pending context -> committed to the outbox -> the sender uploads it. `submit` returns once
 * the addition is durable on this workstation; the upload happens after, and survives restarts.
 */

/** The signing side of a clinician credential (main/pki ClinicianCredential has this shape). */
export interface SigningCredential {
  privateKey(): KeyObject;
  readonly certificate: Certificate;
  readonly chain: readonly Certificate[];
}

/** Everything about the open record and the signed-in clinician a submission needs (the integrator builds it). */
export interface SubmissionContext {
  credential: SigningCredential;
  author: AdditionAuthor;
  /** The QR's citizen id and master key: name and key of the pending object. Main process only. */
  citizenId: string;
  masterKey: Buffer;
  /** The short, non-reversible patient reference the audit and the UI use. */
  patientRef: string;
  /** The IPS's reference to its Patient (patientReferenceOf(ips)). */
  patient: fhir4.Reference;
  /** The patient's cloud and its pending bucket. */
  target: UploadTarget;
}

export interface AdditionsServiceOptions {
  outbox: Outbox;
  /** Null: items wait in the outbox until a sender runs (CLI, tests). */
  sender: OutboxSender | null;
  workstation: { id: string; site?: string };
  /** What start-up recovered from the outbox spool after a database fault (shown with the outbox), or null. */
  recovery?: { recovered: number; unrecoverable: number } | null;
  /** RSA keys sign PS256 unless told RS256; P-256 keys ES256. */
  rsaAlgorithm?: Extract<JwsAlgorithm, 'PS256' | 'RS256'>;
  now?: () => Date;
}

export interface Submitted {
  additionId: string;
  item: OutboxItem;
}

export class AdditionsService {
  readonly #o: AdditionsServiceOptions;

  constructor(options: AdditionsServiceOptions) {
    this.#o = options;
  }

  /** Build, sign, encrypt and commit; ADDITION_INVALID {field} for a form that does not validate. */
  submit(ctx: SubmissionContext, forms: readonly AdditionFormInput[]): Submitted {
    const bytes = submissionAttachmentBytes(forms);
    if (bytes > SUBMISSION_MAX_BYTES)
      throw new WorkstationError('ADDITION_INVALID', {
        field: 'items',
        problem: 'too-large',
        bytes,
        limit: SUBMISSION_MAX_BYTES,
      });
    const recorded = this.#o.now?.() ?? new Date();
    const bundle = buildAdditionBundle(forms, {
      patient: ctx.patient,
      author: ctx.author,
      workstation: this.#o.workstation,
      recorded,
    });
    const key = ctx.credential.privateKey();
    const isRsa = key.asymmetricKeyType === 'rsa';
    const signed = signAddition(bundle, {
      privateKey: key,
      certificates: [ctx.credential.certificate.der, ...ctx.credential.chain.map((c) => c.der)],
      ...(isRsa && this.#o.rsaAlgorithm ? { alg: this.#o.rsaAlgorithm } : {}),
    });
    const body = sealAddition(signed, { masterKey: ctx.masterKey, citizenId: ctx.citizenId });
    const item = this.#o.outbox.enqueue({
      additionId: signed.additionId,
      patientRef: ctx.patientRef,
      target: ctx.target,
      objectKey: pendingObjectKey(ctx.citizenId, signed.additionId, this.#o.workstation.id),
      body,
      kinds: kindCounts(forms),
      clinician: {
        name: ctx.author.name,
        registration: ctx.author.registration ?? '',
        certFingerprint: ctx.author.certFingerprint,
      },
    });
    this.#o.sender?.kick();
    return { additionId: signed.additionId, item };
  }

  list(limit?: number): {
    items: OutboxItem[];
    counts: OutboxCounts;
    recovery: { recovered: number; unrecoverable: number } | null;
  } {
    return { items: this.#o.outbox.list(limit), counts: this.#o.outbox.counts(), recovery: this.#o.recovery ?? null };
  }

  retry(id: number): OutboxItem {
    const item = this.#o.outbox.retryNow(id);
    this.#o.sender?.kick();
    return item;
  }
}
