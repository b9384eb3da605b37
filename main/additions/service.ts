import type { KeyObject } from 'node:crypto';
import type * as fhir4 from 'fhir/r4';
import {
  ATTACHMENT_MAX_BYTES,
  SUBMISSION_MAX_BYTES,
  type AdditionFormInput,
  type OutboxCounts,
  type OutboxItem,
  type StageAttachmentRequest,
  type StageAttachmentResponse,
} from '../../common/additions';
import { WorkstationError } from '../../common/errors';
import type { Certificate } from '../pki';
import type { AttachmentRef } from './attachments';
import { buildAdditionBundle, kindCounts, type AdditionAuthor } from './fhir';
import type { JwsAlgorithm } from './jws';
import type { Outbox, OutboxAttachment, UploadTarget } from './outbox';
import { pendingObjectKey, sealAddition } from './pending';
import type { OutboxSender } from './sender';
import { signAddition } from './signed';
import { AttachmentStaging, type StagedAttachment } from './staging';

/**
 * The additions service: forms -> FHIR bundle -> signed (clinician's key, x5c) -> encrypted for the
 * patient's pending context -> committed to the outbox -> the sender uploads it. `submit` returns once
 * the addition is durable on this workstation; the upload happens after, and survives restarts.
 *
 * Attachments are staged first (`stage`, the `additions.stageAttachment` channel: the file in
 * chunks, sealed on arrival into its pending container in a staging file, staging.ts) and named in
 * the form by their staging id; `submit` signs a small bundle that refers to each by object name,
 * size and digests (attachments.ts), moves each finished container into the outbox spool and
 * commits the row: no pass over the bytes at submit, nothing big on the main thread.
 */

/** Size limits (config `additions`); defaults ATTACHMENT_MAX_BYTES / SUBMISSION_MAX_BYTES. */
export interface AdditionLimits {
  attachmentMaxBytes: number;
  submissionMaxBytes: number;
}

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
  /** Where staged attachments wait (encrypted, swept at start); without it a submission cannot carry attachments. */
  stagingDir?: string;
  limits?: Partial<AdditionLimits>;
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
  readonly limits: AdditionLimits;
  /** Null without a staging directory. */
  readonly staging: AttachmentStaging | null;

  constructor(options: AdditionsServiceOptions) {
    this.#o = options;
    this.limits = {
      attachmentMaxBytes: options.limits?.attachmentMaxBytes ?? ATTACHMENT_MAX_BYTES,
      submissionMaxBytes: options.limits?.submissionMaxBytes ?? SUBMISSION_MAX_BYTES,
    };
    this.staging = options.stagingDir
      ? new AttachmentStaging(options.stagingDir, () => ({ attachmentMaxBytes: this.limits.attachmentMaxBytes }))
      : null;
    this.staging?.sweep();
  }

  /**
   * The `additions.stageAttachment` channel; `begin` is for the open record whose context is given
   * (the file is sealed for that patient as it arrives). ADDITION_STAGING_INVALID / ADDITION_ATTACHMENT_TOO_LARGE.
   */
  stage(
    req: StageAttachmentRequest,
    ctx: Pick<SubmissionContext, 'citizenId' | 'masterKey'> | null,
  ): Promise<StageAttachmentResponse> {
    if (!this.staging) throw new WorkstationError('ADDITION_STAGING_INVALID', { reason: 'unavailable' });
    return this.staging.handle(req, ctx ? { citizenId: ctx.citizenId, masterKey: ctx.masterKey } : null);
  }

  /** Stages bytes held in memory through the same path (CLI, tests, the benchmarks). Returns the staging id. */
  async stageBuffer(
    ctx: Pick<SubmissionContext, 'citizenId' | 'masterKey'>,
    contentType: StagedAttachment['contentType'],
    bytes: Buffer,
    chunkBytes = 2 * 1024 * 1024,
  ) {
    const staging = this.staging;
    if (!staging) throw new WorkstationError('ADDITION_STAGING_INVALID', { reason: 'unavailable' });
    const { stagingId } = await staging.begin(ctx, contentType, bytes.length);
    for (let i = 0, off = 0; off < bytes.length; i++, off += chunkBytes)
      await staging.append(stagingId, i, bytes.subarray(off, off + chunkBytes));
    await staging.end(stagingId);
    return stagingId;
  }

  /**
   * Build, sign, encrypt and commit; ADDITION_INVALID {field} for a form that does not validate,
   * ADDITION_STAGING_INVALID for a staging id that is unknown or not complete, ADDITION_INVALID
   * {field: items, problem: too-large} above the submission limit. Staged files are consumed once
   * the addition is committed (kept when the submission fails, so the clinician can try again).
   */
  async submit(ctx: SubmissionContext, forms: readonly AdditionFormInput[]): Promise<Submitted> {
    const staged = new Map<string, StagedAttachment>();
    for (const f of forms) {
      if (f?.kind !== 'attachment' || typeof f.stagingId !== 'string' || staged.has(f.stagingId)) continue;
      if (!this.staging) throw new WorkstationError('ADDITION_STAGING_INVALID', { reason: 'unavailable' });
      try {
        const s = this.staging.staged(f.stagingId);
        if (s.citizenId !== ctx.citizenId)
          throw new WorkstationError('ADDITION_STAGING_INVALID', { reason: 'other-patient' });
        staged.set(f.stagingId, s);
      } catch (e) {
        // A malformed id is the form's problem (ADDITION_INVALID from the schema below), not the staging's.
        if (/^[0-9a-f]{32}$/.test(f.stagingId)) throw e;
      }
    }
    let bytes = 0;
    for (const s of staged.values()) bytes += s.size;
    if (bytes > this.limits.submissionMaxBytes)
      throw new WorkstationError('ADDITION_INVALID', {
        field: 'items',
        problem: 'too-large',
        bytes,
        limit: this.limits.submissionMaxBytes,
      });
    const refs = new Map<string, AttachmentRef>();
    for (const s of staged.values())
      refs.set(s.stagingId, {
        attachmentId: s.attachmentId,
        contentType: s.contentType,
        size: s.size,
        sha1: s.sha1,
        sha256: Buffer.from(s.sha256, 'hex').toString('base64'),
        title: null,
      });
    const recorded = this.#o.now?.() ?? new Date();
    const bundle = buildAdditionBundle(forms, {
      patient: ctx.patient,
      author: ctx.author,
      workstation: this.#o.workstation,
      recorded,
      attachments: refs,
    });
    const key = ctx.credential.privateKey();
    const isRsa = key.asymmetricKeyType === 'rsa';
    const signed = signAddition(bundle, {
      privateKey: key,
      certificates: [ctx.credential.certificate.der, ...ctx.credential.chain.map((c) => c.der)],
      ...(isRsa && this.#o.rsaAlgorithm ? { alg: this.#o.rsaAlgorithm } : {}),
    });
    const pendingKey = { masterKey: ctx.masterKey, citizenId: ctx.citizenId };
    const body = sealAddition(signed, pendingKey);
    const { outbox } = this.#o;
    const attachments: OutboxAttachment[] = [];
    let item: OutboxItem;
    try {
      for (const s of staged.values()) {
        if (outbox.byAdditionId(signed.additionId)) break; // the same addition again: already committed
        // The container was sealed while the file was staged: moved, not re-read.
        attachments.push(
          await outbox.spoolAttachment(signed.additionId, {
            attachmentId: s.attachmentId,
            file: s.file,
            size: s.containerSize,
            sha256: s.containerSha256,
          }),
        );
        this.staging!.release(s.stagingId);
      }
      item = outbox.enqueue({
        additionId: signed.additionId,
        patientRef: ctx.patientRef,
        target: ctx.target,
        objectKey: pendingObjectKey(ctx.citizenId, signed.additionId, this.#o.workstation.id),
        body,
        attachments,
        kinds: kindCounts(forms),
        clinician: {
          name: ctx.author.name,
          registration: ctx.author.registration ?? '',
          certFingerprint: ctx.author.certFingerprint,
        },
      });
    } catch (e) {
      outbox.discardAttachments(signed.additionId);
      throw e;
    }
    this.#o.sender?.kick();
    return { additionId: signed.additionId, item };
  }

  /** Session end / sign-out: staged files are dropped. */
  async discardStaged(): Promise<void> {
    await this.staging?.discardAll();
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
