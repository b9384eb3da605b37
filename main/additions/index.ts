/**
 * Clinician additions: FHIR R4 resources from the editor's forms, signed (detached JWS, x5c),
 * encrypted for the patient's pending context, committed to a durable outbox and uploaded to the
 * pending bucket; and the checks the patient's side (and the verify-addition CLI) runs on them.
 */
export {
  buildAdditionBundle,
  patientReferenceOf,
  kindCounts,
  SYSTEMS as ADDITION_SYSTEMS,
  AUTHOR_SIGNATURE_TYPE,
  NOTE_TYPE,
  type AdditionAuthor,
  type AdditionContext,
} from './fhir';
export {
  signDetachedJws,
  verifyDetachedJws,
  sigTime,
  JWS_ALGORITHMS,
  type JwsAlgorithm,
  type JwsHeader,
  type JwsSigner,
  type VerifiedJws,
} from './jws';
export {
  signAddition,
  verifyAddition,
  JOSE_SIG_FORMAT,
  ADDITION_CONTENT_TYPE,
  type SignedAddition,
  type AdditionVerification,
  type VerifyAdditionOptions,
  type AdditionSigner,
} from './signed';
export {
  sealAddition,
  openPendingAddition,
  sealAttachmentStream,
  openAttachmentStream,
  pendingObjectKey,
  parsePendingObjectKey,
  pendingPrefix,
  pendingAssociatedData,
  isAdditionId,
  PENDING_SUFFIX,
  type PendingKey,
} from './pending';
export {
  Outbox,
  type OutboxEntryInput,
  type OutboxAttachment,
  type DueItem,
  type DueAttachment,
  type UploadTarget,
} from './outbox';
export {
  attachmentRefsOf,
  attachmentObjectKey,
  attachmentAssociatedData,
  attachmentElement,
  newAttachmentId,
  AttachmentDigest,
  ATTACHMENT_URL_PREFIX,
  ATTACHMENT_SHA256_EXTENSION,
  ATTACHMENT_SUFFIX,
  type AttachmentRef,
} from './attachments';
export { AttachmentStaging, type StagedAttachment, type StagingLimits } from './staging';
export {
  OutboxSender,
  backoffDelay,
  DEFAULT_BACKOFF,
  type OutboxSenderOptions,
  type OutboxChange,
  type BackoffOptions,
  type SendOutcome,
} from './sender';
export {
  AdditionsService,
  type AdditionsServiceOptions,
  type AdditionLimits,
  type SubmissionContext,
  type SigningCredential,
  type Submitted,
} from './service';
export { openStorageWithOutbox, type StorageReport } from './recovery';
