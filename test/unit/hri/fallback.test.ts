import { describe, expect, it } from 'vitest';
import { WorkstationError, type ErrorCode } from '../../../common/errors';
import {
  allowedHintHosts,
  cloudHintFromQr,
  decideHriFallback,
  hintHostAllowed,
  type HriFallbackContext,
} from '../../../main/hri';

const base: HriFallbackContext = {
  citizenId: 'CITIZENAAAA2222',
  hint: { endpoint: 'https://ehr-cloud.example:9000' },
  hasCachedRecord: false,
  defaults: { region: 'eu-central-1', ehrBucket: 'ehr' },
  allowedHintHosts: ['ehr-cloud.example:9000', '127.0.0.1'],
};
const err = (code: ErrorCode) => new WorkstationError(code);

describe('HRI fallback policy', () => {
  it('never follows a hint to a host off the allow-list (blind SSRF): CLOUD_HINT_NOT_ALLOWED, or the cache when there is one', () => {
    const hint = { endpoint: 'https://intranet.hospital.local:8443' };
    const refused = decideHriFallback(err('HRI_UNAVAILABLE'), { ...base, hint });
    expect(refused).toMatchObject({
      action: 'fail',
      error: {
        code: 'CLOUD_HINT_NOT_ALLOWED',
        details: { host: 'intranet.hospital.local:8443', hri: 'HRI_UNAVAILABLE' },
      },
    });
    expect(decideHriFallback(err('HRI_UNAVAILABLE'), { ...base, hint, hasCachedRecord: true })).toEqual({
      action: 'use-cache',
      reason: 'HRI_UNAVAILABLE',
    });
    // Another port of an allowed host:port is another host; a bare host allows every port.
    expect(
      decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint: { endpoint: 'https://ehr-cloud.example:9443' } }),
    ).toMatchObject({ action: 'fail', error: { code: 'CLOUD_HINT_NOT_ALLOWED' } });
    expect(
      decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint: { endpoint: 'http://127.0.0.1:41234' } }),
    ).toMatchObject({ action: 'use-hint' });
    expect(decideHriFallback(err('HRI_TIMEOUT'), { ...base, allowedHintHosts: [] })).toMatchObject({
      action: 'fail',
      error: { code: 'CLOUD_HINT_NOT_ALLOWED' },
    });
  });

  it("allows the configured hosts and the default cloud endpoint's host", () => {
    expect(
      allowedHintHosts({
        hri: { cloudHintHosts: ['ehr-2.example'] },
        cloud: { defaultEndpoint: 'https://s3.ehr.example:9000' },
      }),
    ).toEqual(['ehr-2.example', 's3.ehr.example:9000']);
    expect(allowedHintHosts({ hri: { cloudHintHosts: [] }, cloud: { defaultEndpoint: null } })).toEqual([]);
    expect(hintHostAllowed('https://EHR-2.example/x', ['ehr-2.example'])).toBe(true);
  });

  it.each(['HRI_UNAVAILABLE', 'HRI_TIMEOUT', 'HRI_RESPONSE_INVALID'] as const)(
    '%s with a hint uses the hint, defaults filled in',
    (code) => {
      expect(decideHriFallback(err(code), base)).toEqual({
        action: 'use-hint',
        reason: code,
        cacheAvailable: false,
        location: {
          endpoint: 'https://ehr-cloud.example:9000',
          region: 'eu-central-1',
          bucket: 'ehr',
          prefix: 'CITIZENAAAA2222',
        },
      });
    },
  );

  it('a complete hint is used as given, and says whether the cache could still serve', () => {
    const hint = { endpoint: 'http://127.0.0.1:9000', region: 'r1', bucket: 'b-1', prefix: 'p/q' };
    const decision = decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint, hasCachedRecord: true });
    expect(decision).toEqual({
      action: 'use-hint',
      reason: 'HRI_TIMEOUT',
      cacheAvailable: true,
      location: { endpoint: hint.endpoint, region: 'r1', bucket: 'b-1', prefix: 'p/q' },
    });
  });

  it('no hint but a cached record: use the cache', () => {
    expect(decideHriFallback(err('HRI_UNAVAILABLE'), { ...base, hint: null, hasCachedRecord: true })).toEqual({
      action: 'use-cache',
      reason: 'HRI_UNAVAILABLE',
    });
  });

  it('no hint and no cache: fail with the HRI error', () => {
    const e = err('HRI_UNAVAILABLE');
    expect(decideHriFallback(e, { ...base, hint: null })).toEqual({ action: 'fail', error: e });
  });

  it('a hint that is not an http(s) URL is ignored', () => {
    expect(decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint: { endpoint: 'file:///etc/passwd' } }).action).toBe(
      'fail',
    );
    expect(
      decideHriFallback(err('HRI_TIMEOUT'), { ...base, hint: { endpoint: 'not a url' }, hasCachedRecord: true }).action,
    ).toBe('use-cache');
  });

  it.each(['HRI_NOT_FOUND', 'HRI_TOKEN_REJECTED', 'CANCELLED'] as const)(
    '%s never falls back (revocation must not be bypassed), even with hint and cache',
    (code) => {
      const e = err(code);
      expect(decideHriFallback(e, { ...base, hasCachedRecord: true })).toEqual({ action: 'fail', error: e });
    },
  );

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

  it.each([undefined, '', 'ftp://x.example', 'https://user:pw@x.example', 'not a host!', 'javascript://x'])(
    '%s is no hint',
    (hint) => {
      expect(cloudHintFromQr(hint)).toBeNull();
    },
  );
});
