import { describe, expect, it } from 'vitest';
import { WorkstationError, type ErrorCode } from '../../../common/errors';
import { cloudHintFromQr, decideHriFallback, type HriFallbackContext } from '../../../main/hri';

const base: HriFallbackContext = {
  citizenId: 'CITIZENAAAA2222',
  hint: { endpoint: 'https://ehr-cloud.example:9000' },
  hasCachedRecord: false,
  defaults: { region: 'eu-central-1', ehrBucket: 'ehr' },
};
const err = (code: ErrorCode) => new WorkstationError(code);

describe('HRI fallback policy', () => {
  it.each(['HRI_UNAVAILABLE', 'HRI_TIMEOUT', 'HRI_RESPONSE_INVALID'] as const)('%s with a hint uses the hint, defaults filled in', (code) => {
    expect(decideHriFallback(err(code), base)).toEqual({
      action: 'use-hint',
      reason: code,
      cacheAvailable: false,
      location: { endpoint: 'https://ehr-cloud.example:9000', region: 'eu-central-1', bucket: 'ehr', prefix: 'CITIZENAAAA2222' },
    });
  });

  it('a complete hint is used as given, and says whether the cache could still serve', () => {
    const hint = { endpoint: 'http://127.0.0.1:9000', region: 'r1', bucket: 'b-1', prefix: 'p/q' };
    const decision = decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint, hasCachedRecord: true });
    expect(decision).toEqual({ action: 'use-hint', reason: 'HRI_TIMEOUT', cacheAvailable: true, location: { endpoint: hint.endpoint, region: 'r1', bucket: 'b-1', prefix: 'p/q' } });
  });

  it('no hint but a cached record: use the cache', () => {
    expect(decideHriFallback(err('HRI_UNAVAILABLE'), { ...base, hint: null, hasCachedRecord: true })).toEqual({ action: 'use-cache', reason: 'HRI_UNAVAILABLE' });
  });

  it('no hint and no cache: fail with the HRI error', () => {
    const e = err('HRI_UNAVAILABLE');
    expect(decideHriFallback(e, { ...base, hint: null })).toEqual({ action: 'fail', error: e });
  });

  it('a hint that is not an http(s) URL is ignored', () => {
    expect(decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint: { endpoint: 'file:///etc/passwd' } }).action).toBe('fail');
    expect(decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint: { endpoint: 'not a url' }, hasCachedRecord: true }).action).toBe('use-cache');
  });

  it.each(['HRI_NOT_FOUND', 'HRI_TOKEN_REJECTED', 'CANCELLED'] as const)('%s never falls back (revocation must not be bypassed), even with hint and cache', (code) => {
    const e = err(code);
    expect(decideHriFallback(e, { ...base, hasCachedRecord: true })).toEqual({ action: 'fail', error: e });
  });

  it('an untyped failure is INTERNAL_ERROR', () => {
    const decision = decideHriFallback(new Error('boom'), base);
    expect(decision.action).toBe('fail');
    expect(decision.action === 'fail' && decision.error.code).toBe('INTERNAL_ERROR');
  });
});

describe("the QR's cloud hint", () => {
  it.each([
    ['https://ehr-cloud.example:9000', 'https://ehr-cloud.example:9000'],
    ['http://127.0.0.1:9000/', 'http://127.0.0.1:9000'],
    ['ehr-cloud.example', 'https://ehr-cloud.example'],
    ['ehr-cloud.example:9443', 'https://ehr-cloud.example:9443'],
  ])('%s -> endpoint %s', (hint, endpoint) => {
    expect(cloudHintFromQr(hint)).toEqual({ endpoint });
  });

  it.each([undefined, '', 'ftp://x.example', 'https://user:pw@x.example', 'not a host!', 'javascript://x'])('%s is no hint', (hint) => {
    expect(cloudHintFromQr(hint)).toBeNull();
  });
});
