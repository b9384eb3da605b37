import * as Minio from 'minio';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import { untrustedServerCode } from '../net/index';

/**
 * S3 and network failures as the workstation's typed errors. The minio client wraps some
 * failures (a credential provider's) in plain Errors: the first WorkstationError found along
 * the `cause` chain wins.
 */
const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchVersion']);
const DENIED = new Set(['AccessDenied', 'AllAccessDisabled', 'AccountProblem', 'InvalidObjectState']);
const EXPIRED = new Set(['ExpiredToken', 'TokenRefreshRequired', 'RequestExpired']);
const BAD_CREDENTIALS = new Set([
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'InvalidSecurity',
  'InvalidClientTokenId',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_CONSTANT',
  'HPE_INVALID_CHUNK_SIZE',
]);

export interface CloudErrorContext {
  /** Expiry of the credentials the failed request was signed with (an AccessDenied after it is an expiry). */
  credentialsExpiresAt?: Date | null;
  /** The clock that expiry is measured on (the workstation's). Default Date.now. */
  now?: () => number;
  /** HTTP status of the failed response, when known. */
  status?: number;
  bucket?: string;
  key?: string;
}

function findWorkstationError(e: unknown): WorkstationError | null {
  for (let current: unknown = e, depth = 0; current && depth < 8; depth++) {
    if (isWorkstationError(current)) return current;
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}

function networkCode(e: unknown): string | null {
  for (let current: unknown = e, depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === 'string' &&
      (NETWORK_CODES.has(code) ||
        code.startsWith('ERR_SSL_') ||
        code.startsWith('ERR_TLS_') ||
        code.startsWith('UND_ERR_'))
    )
      return code;
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}

export function toCloudError(e: unknown, context: CloudErrorContext = {}): WorkstationError {
  const typed = findWorkstationError(e);
  if (typed) return typed;
  if (e instanceof Minio.S3Error) {
    const code = e.code ?? '';
    const details = { s3: code || 'none' };
    if (MISSING.has(code)) return new WorkstationError('CLOUD_OBJECT_MISSING', details, { cause: e });
    if (EXPIRED.has(code)) return new WorkstationError('CLOUD_CREDENTIALS_EXPIRED', details, { cause: e });
    if (BAD_CREDENTIALS.has(code)) return new WorkstationError('CLOUD_CREDENTIALS_FAILED', details, { cause: e });
    if (DENIED.has(code)) {
      const expiresAt = context.credentialsExpiresAt;
      // HEAD answers carry no body: an expired session token shows up as a bare 403.
      if (expiresAt && expiresAt.getTime() <= (context.now ?? Date.now)())
        return new WorkstationError('CLOUD_CREDENTIALS_EXPIRED', details, { cause: e });
      return new WorkstationError('CLOUD_ACCESS_DENIED', details, { cause: e });
    }
    if (code === 'InvalidRange') return new WorkstationError('CONTAINER_RANGE_INVALID', details, { cause: e });
    const status = context.status;
    // Any other refusal of our request (RGW answers a forged session token with 400 InvalidArgument).
    if (status !== undefined && status >= 400 && status < 500)
      return new WorkstationError('CLOUD_ACCESS_DENIED', { ...details, status }, { cause: e });
    // SlowDown, InternalError, a proxy's 502 without a body: the server could not do it now.
    return new WorkstationError('CLOUD_UNAVAILABLE', status === undefined ? details : { ...details, status }, {
      cause: e,
    });
  }
  // minio's request layer throws a plain Error for 408/429/499/5xx (its retry list) before it reads
  // the body, even with retries disabled: an S3 or load balancer answering 503 is an outage.
  const retryable = e instanceof Error ? /Retryable HTTP status: (\d{3})/.exec(e.message) : null;
  if (retryable) return new WorkstationError('CLOUD_UNAVAILABLE', { status: Number(retryable[1]) }, { cause: e });
  // A server certificate we do not trust is a refusal, never an outage (no cached copy offered around it).
  const untrusted = untrustedServerCode(e);
  if (untrusted)
    return new WorkstationError('TLS_SERVER_UNTRUSTED', { service: 'cloud', tls: untrusted }, { cause: e });
  const network = networkCode(e);
  if (network) return new WorkstationError('CLOUD_UNAVAILABLE', { reason: network }, { cause: e });
  // minio's argument errors (InvalidBucketNameError, InvalidObjectNameError, ...): a malformed location.
  if (e instanceof Error && /^Invalid\w*Error$/.test(e.name))
    return new WorkstationError('INVALID_INPUT', { field: e.name }, { cause: e });
  return new WorkstationError('INTERNAL_ERROR', undefined, { cause: e });
}
