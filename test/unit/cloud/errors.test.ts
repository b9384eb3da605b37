import * as Minio from 'minio';
import { describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { toCloudError } from '../../../main/cloud/errors';
import { credentialsFromStsAnswer } from '../../../main/cloud/sts';

function s3Error(code: string): Minio.S3Error {
  const e = new Minio.S3Error(code);
  e.code = code;
  return e;
}
const netError = (code: string) => Object.assign(new Error(code), { code });

describe('S3 and network failures as typed errors', () => {
  it.each([
    ['AccessDenied', 'CLOUD_ACCESS_DENIED'],
    ['NoSuchKey', 'CLOUD_OBJECT_MISSING'],
    ['NotFound', 'CLOUD_OBJECT_MISSING'],
    ['NoSuchBucket', 'CLOUD_OBJECT_MISSING'],
    ['ExpiredToken', 'CLOUD_CREDENTIALS_EXPIRED'],
    ['InvalidAccessKeyId', 'CLOUD_CREDENTIALS_FAILED'],
    ['SignatureDoesNotMatch', 'CLOUD_CREDENTIALS_FAILED'],
    ['RequestTimeTooSkewed', 'CLOUD_CREDENTIALS_FAILED'],
    ['SlowDown', 'CLOUD_UNAVAILABLE'],
    ['InternalError', 'CLOUD_UNAVAILABLE'],
    ['InvalidRange', 'CONTAINER_RANGE_INVALID'],
  ] as const)('S3 %s -> %s', (code, expected) => {
    const mapped = toCloudError(s3Error(code));
    expect(mapped.code).toBe(expected);
    expect(mapped.details).toMatchObject({ s3: code });
  });

  it('a bare 403 after the credentials expired is an expiry, before it an access refusal', () => {
    expect(toCloudError(s3Error('AccessDenied'), { credentialsExpiresAt: new Date(Date.now() - 1000) }).code).toBe(
      'CLOUD_CREDENTIALS_EXPIRED',
    );
    expect(toCloudError(s3Error('AccessDenied'), { credentialsExpiresAt: new Date(Date.now() + 60_000) }).code).toBe(
      'CLOUD_ACCESS_DENIED',
    );
  });

  it("expiry is judged on the workstation's clock when one is given, not the system's", () => {
    const expiresAt = new Date(Date.UTC(2030, 0, 1, 12));
    const before = () => expiresAt.getTime() - 1;
    const after = () => expiresAt.getTime() + 1;
    expect(toCloudError(s3Error('AccessDenied'), { credentialsExpiresAt: expiresAt, now: after }).code).toBe(
      'CLOUD_CREDENTIALS_EXPIRED',
    );
    expect(toCloudError(s3Error('AccessDenied'), { credentialsExpiresAt: expiresAt, now: before }).code).toBe(
      'CLOUD_ACCESS_DENIED',
    );
  });

  it('STS credentials that are already expired on the workstation clock are refused when issued', () => {
    const body =
      '<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>AK</AccessKeyId>' +
      '<SecretAccessKey>SK</SecretAccessKey><SessionToken>ST</SessionToken>' +
      '<Expiration>2030-01-01T12:15:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>';
    const serverDate = new Date('2030-01-01T12:00:00Z');
    const answer = { status: 200, body, serverDate, startedAt: serverDate.getTime() };
    // Granted for 15 min from when it was asked: fine 1 min later, expired 16 min later, on the given clock.
    const fine = credentialsFromStsAnswer('AssumeRole', answer, () => serverDate.getTime() + 60_000);
    expect(fine.expiresAt?.toISOString()).toBe('2030-01-01T12:15:00.000Z');
    expect(() => credentialsFromStsAnswer('AssumeRole', answer, () => serverDate.getTime() + 16 * 60_000)).toThrow(
      expect.objectContaining({ code: 'CLOUD_CREDENTIALS_EXPIRED', details: { reason: 'issued-expired' } }),
    );
  });

  it('an unknown code is judged by the HTTP status: 4xx refused, 5xx or unknown unavailable', () => {
    expect(toCloudError(s3Error('InvalidArgument'), { status: 400 })).toMatchObject({
      code: 'CLOUD_ACCESS_DENIED',
      details: { s3: 'InvalidArgument', status: 400 },
    });
    expect(toCloudError(s3Error(''), { status: 502 })).toMatchObject({
      code: 'CLOUD_UNAVAILABLE',
      details: { s3: 'none', status: 502 },
    });
    expect(toCloudError(s3Error('')).code).toBe('CLOUD_UNAVAILABLE');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE'])(
    'network %s -> CLOUD_UNAVAILABLE',
    (code) => {
      expect(toCloudError(netError(code))).toMatchObject({ code: 'CLOUD_UNAVAILABLE', details: { reason: code } });
    },
  );

  it('a typed error along the cause chain wins (minio wraps credential-provider failures)', () => {
    const inner = new WorkstationError('CLOUD_CREDENTIALS_FAILED', { status: 403 });
    expect(toCloudError(new Error('Unable to get credentials', { cause: inner }))).toBe(inner);
    expect(toCloudError(new Error('wrapped', { cause: netError('ECONNREFUSED') })).code).toBe('CLOUD_UNAVAILABLE');
  });

  it("minio's argument errors are INVALID_INPUT; anything else INTERNAL_ERROR", () => {
    expect(toCloudError(new Minio.InvalidBucketNameError('Invalid bucket name: X')).code).toBe('INVALID_INPUT');
    expect(toCloudError(new TypeError('bug')).code).toBe('INTERNAL_ERROR');
  });
});
