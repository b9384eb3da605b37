/**
 * The one catalogue of error codes. Every code has a message in every locale
 * (common/i18n/locales/*.json under "errors.<CODE>"); a test enforces it.
 * Codes are stable: IT staff search for them, the CLI prints them, logs carry them.
 */
export const ERROR_CODES = [
  // general / IPC
  'INTERNAL_ERROR',
  'IPC_INVALID_REQUEST',
  'IPC_UNKNOWN_CHANNEL',
  'IPC_FORBIDDEN_SENDER',
  'NOT_SIGNED_IN',
  'SESSION_LOCKED',
  'CANCELLED',
  'INVALID_INPUT',
  // configuration
  'CONFIG_INVALID',
  'CONFIG_FILE_UNREADABLE',
  'CLI_AUDIT_NOT_DURABLE',
  'CONFIG_NOT_CONFIGURED',
  // emergency QR payload
  'QR_NOT_THIS_FORMAT',
  'QR_UNSUPPORTED_VERSION',
  'QR_CHECKSUM_MISMATCH',
  'QR_LAYOUT_MISMATCH',
  'QR_TRUNCATED',
  'QR_EXPIRED',
  'QR_IMAGE_UNREADABLE',
  'SCAN_EXPIRED',
  // SMART Health Links (HL7 SHL, main/shl)
  'SHL_INVALID',
  'SHL_LAYOUT_MISMATCH',
  'SHL_UNSUPPORTED_VERSION',
  'SHL_EXPIRED',
  'SHL_INSECURE_URL',
  'SHL_PASSCODE_REQUIRED',
  'SHL_PASSCODE_WRONG',
  'SHL_PASSCODE_EXHAUSTED',
  'SHL_NO_LONGER_VALID',
  'SHL_UNREACHABLE',
  'SHL_REDIRECT_REFUSED',
  'SHL_RESPONSE_INVALID',
  'SHL_TOO_LARGE',
  'SHL_DECRYPT_FAILED',
  'SHL_NO_SUPPORTED_CONTENT',
  'SHL_CARD_SIGNATURE_INVALID',
  'SHL_READ_ONLY',
  // EHR container and record layout
  'CONTAINER_BAD_HEADER',
  'CONTAINER_UNSUPPORTED_VERSION',
  'CONTAINER_AUTH_FAILED',
  'CONTAINER_TRUNCATED',
  'CONTAINER_TRAILING_DATA',
  'CONTAINER_RANGE_INVALID',
  'MANIFEST_INVALID',
  'MANIFEST_SIGNATURE_INVALID',
  'MANIFEST_ROLLBACK',
  'MANIFEST_CHAIN_BROKEN',
  'OBJECT_INTEGRITY_FAILED',
  // clinician identity (PKI)
  'PKI_CREDENTIAL_WRONG_PASSPHRASE',
  'PKI_CREDENTIAL_UNSUPPORTED_FORMAT',
  'PKI_CREDENTIAL_KEY_MISMATCH',
  'PKI_CREDENTIAL_CANNOT_SIGN',
  'PKI_CREDENTIAL_ITERATIONS',
  'PKI_KDF_WORKER_FAILED',
  'PKI_MALFORMED_CERTIFICATE',
  'PKI_PROFILE_VIOLATION',
  'PKI_NO_PATH_TO_TRUST_ANCHOR',
  'PKI_SIGNATURE_INVALID',
  'PKI_NOT_YET_VALID',
  'PKI_EXPIRED',
  'PKI_NOT_A_CA',
  'PKI_CLINICIAN_IS_CA',
  'PKI_PATH_LENGTH_EXCEEDED',
  'PKI_KEY_USAGE',
  'PKI_EXTENDED_KEY_USAGE',
  'PKI_UNKNOWN_CRITICAL_EXTENSION',
  'PKI_NAME_CONSTRAINTS',
  'PKI_POLICY_REQUIRED',
  'PKI_WEAK_ALGORITHM',
  'PKI_WEAK_KEY',
  'PKI_UNSUPPORTED_ALGORITHM',
  'PKI_REVOKED',
  'PKI_REVOCATION_UNKNOWN',
  'PKI_CRL_INVALID',
  // health record index
  'HRI_NOT_FOUND',
  'HRI_TOKEN_REJECTED',
  'HRI_UNAVAILABLE',
  'HRI_TIMEOUT',
  'HRI_RESPONSE_INVALID',
  'CLOUD_HINT_NOT_ALLOWED',
  /** A server (HRI, EHR cloud, STS, emergency-access endpoint) whose TLS certificate is not trusted. */
  'TLS_SERVER_UNTRUSTED',
  // cloud
  'CLOUD_ACCESS_DENIED',
  'CLOUD_OBJECT_MISSING',
  'CLOUD_UNAVAILABLE',
  'CLOUD_CREDENTIALS_EXPIRED',
  'CLOUD_CREDENTIALS_FAILED',
  'ACCESS_CLINICIAN_REFUSED',
  'ACCESS_NOT_GRANTED',
  // FHIR
  'FHIR_INVALID_BUNDLE',
  'FHIR_VIEW_WORKER_FAILED',
  // cache, audit, access
  'CACHE_RECORD_MISSING',
  'CACHE_CORRUPT',
  'CACHE_QR_MISMATCH',
  'CACHE_KEY_UNAVAILABLE',
  /** better-sqlite3 / serialport built for another runtime, or not built (main/native). */
  'NATIVE_MODULE_UNAVAILABLE',
  // workstation storage (SQLite database, data directory)
  'STORAGE_BUSY',
  'STORAGE_FULL',
  'STORAGE_IO_ERROR',
  'STORAGE_READONLY',
  'STORAGE_CORRUPT',
  'STORAGE_IN_USE',
  'ATTACHMENT_TOO_LARGE',
  'ATTACHMENT_UNKNOWN',
  'AUDIT_CHAIN_BROKEN',
  'ACCESS_REASON_REQUIRED',
  'ACCESS_EXPIRED',
  // additions
  'ADDITION_INVALID',
  'ADDITION_SIGNATURE_INVALID',
  'ADDITION_ATTACHMENT_TOO_LARGE',
  'ADDITION_STAGING_INVALID',
  'ADDITION_ATTACHMENT_MISMATCH',
  'OUTBOX_ITEM_MISSING',
  // scanner
  'SCANNER_PORT_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Details are shown to the clinician through the message template: only non-sensitive scalars. */
export type ErrorDetails = Record<string, string | number | boolean>;

export interface ErrorInfo {
  code: ErrorCode;
  details?: ErrorDetails;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The message key for a code, for vue-i18n and the CLI alike. */
export function messageKey(code: ErrorCode): string {
  return `errors.${code}`;
}

/**
 * The typed error every service throws. `details` must never hold secrets or record contents;
 * `cause` stays in the main process (never serialised to the renderer).
 */
export class WorkstationError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(details ? `${code} ${JSON.stringify(details)}` : code, options);
    this.name = 'WorkstationError';
    this.code = code;
    this.details = details;
  }

  toInfo(): ErrorInfo {
    return this.details ? { code: this.code, details: this.details } : { code: this.code };
  }
}

export function isWorkstationError(e: unknown): e is WorkstationError {
  return e instanceof WorkstationError;
}

/**
 * The typed code of a storage failure: an SQLite result code (better-sqlite3's SqliteError.code:
 * SQLITE_BUSY, SQLITE_FULL, SQLITE_IOERR_WRITE, ...) or a file-system errno that means the disk
 * (ENOSPC, EDQUOT, EROFS, EIO). Null for anything else.
 */
export function storageErrorCode(e: unknown): ErrorCode | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (code.startsWith('SQLITE_')) {
    const primary = code.split('_').slice(0, 2).join('_');
    switch (primary) {
      case 'SQLITE_BUSY':
      case 'SQLITE_LOCKED':
        return 'STORAGE_BUSY';
      case 'SQLITE_FULL':
        return 'STORAGE_FULL';
      case 'SQLITE_READONLY':
        return 'STORAGE_READONLY';
      case 'SQLITE_CORRUPT':
      case 'SQLITE_NOTADB':
        return 'STORAGE_CORRUPT';
      case 'SQLITE_IOERR':
      case 'SQLITE_CANTOPEN':
      case 'SQLITE_PROTOCOL':
        return 'STORAGE_IO_ERROR';
      default:
        return null;
    }
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'STORAGE_FULL';
  if (code === 'EROFS') return 'STORAGE_READONLY';
  if (code === 'EIO') return 'STORAGE_IO_ERROR';
  return null;
}

/** Any thrown value as a typed error; storage failures get their STORAGE_* code, other unknown failures INTERNAL_ERROR. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (isWorkstationError(e)) return e.toInfo();
  const storage = storageErrorCode(e);
  return storage ? { code: storage } : { code: 'INTERNAL_ERROR' };
}
