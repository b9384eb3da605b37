import { WorkstationError, isWorkstationError, type ErrorCode } from '../../common/errors';
import type { CloudLocation } from './client';

/**
 * What the QR may say about the patient's cloud, for when the HRI cannot answer. Only the
 * endpoint is required; the rest defaults to the hospital configuration (region, EHR bucket)
 * and to the citizen id as prefix (one record per citizen, as in the research design).
 */
export interface CloudHint {
  endpoint: string;
  region?: string;
  bucket?: string;
  prefix?: string;
}

export interface HriFallbackContext {
  citizenId: string;
  /** The QR's cloud hint, when the QR carries one. */
  hint: CloudHint | null;
  /** Whether the encrypted cache holds a record of this citizen. */
  hasCachedRecord: boolean;
  /** Config `cloud.region` and `cloud.buckets.ehr`. */
  defaults: { region: string; ehrBucket: string };
  /**
   * Hosts (`host` or `host:port`) a hint may name: config `hri.cloudHintHosts` plus the host of
   * `cloud.defaultEndpoint` (see allowedHintHosts). A hint elsewhere is never followed: with signed
   * requests it would be a blind SSRF into the hospital network.
   */
  allowedHintHosts: readonly string[];
}

export type HriFallbackDecision =
  /** Go to the cloud the QR names; `cacheAvailable` says whether the cache can serve if that cloud is down too. */
  | { action: 'use-hint'; location: CloudLocation; reason: ErrorCode; cacheAvailable: boolean }
  /** No usable hint: open the cached record (with its staleness banner). */
  | { action: 'use-cache'; reason: ErrorCode }
  /** Nothing may replace the HRI's answer: show this error. */
  | { action: 'fail'; error: WorkstationError };

/**
 * Failures where the HRI simply could not give a usable answer. HRI_RESPONSE_INVALID is among
 * them: an attacker who can corrupt the answer can as well make the HRI unreachable, and the
 * record itself is authenticated by the QR's key whichever cloud serves it.
 */
const FALLBACK_ALLOWED: ReadonlySet<ErrorCode> = new Set(['HRI_UNAVAILABLE', 'HRI_TIMEOUT', 'HRI_RESPONSE_INVALID']);

/**
 * The fallback policy when the HRI lookup failed, as a pure function.
 *
 * HRI_NOT_FOUND and HRI_TOKEN_REJECTED are answers, not outages: the patient may have withdrawn
 * the record or revoked this QR (a lost card). Falling back would bypass that revocation, so they
 * always fail. CANCELLED and anything unexpected fail too.
 */
export function decideHriFallback(error: unknown, context: HriFallbackContext): HriFallbackDecision {
  if (!isWorkstationError(error))
    return { action: 'fail', error: new WorkstationError('INTERNAL_ERROR', undefined, { cause: error }) };
  if (!FALLBACK_ALLOWED.has(error.code)) return { action: 'fail', error };
  const location = context.hint ? locationFromHint(context.hint, context) : null;
  const refused =
    location && !hintHostAllowed(location.endpoint, context.allowedHintHosts) ? new URL(location.endpoint).host : null;
  if (location && !refused)
    return { action: 'use-hint', location, reason: error.code, cacheAvailable: context.hasCachedRecord };
  if (context.hasCachedRecord) return { action: 'use-cache', reason: error.code };
  if (refused)
    return {
      action: 'fail',
      error: new WorkstationError('CLOUD_HINT_NOT_ALLOWED', { host: refused, hri: error.code }),
    };
  return { action: 'fail', error };
}

/** `host:port` matches exactly; a bare `host` matches any port of it. Case-insensitive. */
export function hintHostAllowed(endpoint: string, allowed: readonly string[]): boolean {
  const url = new URL(endpoint);
  return allowed.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === url.host.toLowerCase() || e === url.hostname.toLowerCase();
  });
}

/** The hosts a QR hint may name: the configured list and the host of the default cloud endpoint. */
export function allowedHintHosts(config: {
  hri: { cloudHintHosts: readonly string[] };
  cloud: { defaultEndpoint: string | null };
}): string[] {
  const hosts = [...config.hri.cloudHintHosts];
  if (config.cloud.defaultEndpoint) hosts.push(new URL(config.cloud.defaultEndpoint).host);
  return hosts;
}

/** A hint whose endpoint is not an http(s) URL is no hint. */
function locationFromHint(hint: CloudHint, context: HriFallbackContext): CloudLocation | null {
  let url: URL;
  try {
    url = new URL(hint.endpoint);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  return {
    endpoint: hint.endpoint,
    region: hint.region ?? context.defaults.region,
    bucket: hint.bucket ?? context.defaults.ehrBucket,
    prefix: hint.prefix ?? context.citizenId,
  };
}

/**
 * The QR's cloud hint (printable ASCII, at most 64 bytes, main/emergency) as a CloudHint: an
 * http(s) URL, or a bare `host[:port]` taken as https. Anything else is no hint.
 */
export function cloudHintFromQr(hint: string | undefined): CloudHint | null {
  if (!hint) return null;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(hint)
    ? hint
    : /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(hint)
      ? `https://${hint}`
      : null;
  if (!text) return null;
  try {
    const url = new URL(text);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return null;
    return { endpoint: url.origin };
  } catch {
    return null;
  }
}
