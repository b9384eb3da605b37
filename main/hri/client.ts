import { z } from 'zod';
import { WorkstationError } from '../../common/errors';
import { openHriLocation } from '../crypto';
import { ConnectionPool, ResponseTooLarge, exchange, untrustedServerCode, type ExchangeAnswer } from '../net/index';
import { backoffDelayMs, sleep } from '../retry';

/** Where a patient's record lives: what the HRI answers (sealed) and what the cloud layer needs. */
export interface CloudLocation {
  /** S3 endpoint, e.g. https://ehr-cloud.example:9000 */
  endpoint: string;
  region: string;
  bucket: string;
  /** Object-name prefix of the patient's record inside the bucket. */
  prefix: string;
  /** From the sealed location: the patient's manifest signing key (RFC 7638 thumbprint), if the patient bound it. */
  patientKeyKid?: string;
}

export interface HriClientOptions {
  /** Base URL of the HRI (config `hri.url`); `/v1/...` is resolved against it. */
  url: string;
  /** Per attempt, covering connect, headers and body (config `hri.timeoutMs`). */
  timeoutMs: number;
  /** Extra attempts after the first, only on 5xx, timeouts and network errors (config `hri.retries`). */
  retries: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Extra trusted CA certificates (PEM) for the HRI's server certificate (config `tls.trustedCas`). */
  ca?: readonly string[];
  random?: () => number;
}

export interface HriLookupRequest {
  citizenId: string;
  hriToken: string;
  /** The QR's master key: opens the sealed location (docs/hri.md). */
  masterKey: Uint8Array;
  /** Cancels the whole lookup (all attempts and waits) with CANCELLED. */
  signal?: AbortSignal;
}

export interface HriClient {
  lookupCloudLocation(request: HriLookupRequest): Promise<CloudLocation>;
  /** Ends the kept-alive connections to the HRI (sign-out, close); the client may be used again. */
  closeConnections(): void;
}

/** Larger answers are refused: the HRI's reply is a small JSON object. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const DEFAULT_BACKOFF_BASE_MS = 250;
const DEFAULT_BACKOFF_MAX_MS = 2_000;

const lookupResponseSchema = z.object({ v: z.literal(1), sealed: z.string().min(1).max(MAX_RESPONSE_BYTES) });

/** A failed attempt and whether another attempt may help. */
class AttemptFailure {
  constructor(
    readonly error: WorkstationError,
    readonly retryable: boolean,
  ) {}
}

export function createHriClient(options: HriClientOptions): HriClient {
  // One keep-alive agent for the HRI, kept across opens: a warm lookup is one round trip.
  const pool = new ConnectionPool({ ca: options.ca });
  const lookupUrl = new URL('v1/emergency/lookup', options.url.endsWith('/') ? options.url : `${options.url}/`);
  const baseMs = options.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const maxMs = options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;

  async function attempt(request: HriLookupRequest): Promise<string> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const failed = (e: unknown): AttemptFailure => {
      if (request.signal?.aborted) return new AttemptFailure(new WorkstationError('CANCELLED'), false);
      if (timeout.aborted)
        return new AttemptFailure(
          new WorkstationError('HRI_TIMEOUT', { timeoutMs: options.timeoutMs }, { cause: e }),
          true,
        );
      return new AttemptFailure(new WorkstationError('HRI_UNAVAILABLE', { reason: 'network' }, { cause: e }), true);
    };

    let response: ExchangeAnswer;
    try {
      response = await exchange({
        url: lookupUrl,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ citizenId: request.citizenId, hriToken: request.hriToken }),
        agent: pool.agentFor(lookupUrl, { activeTimeoutMs: options.timeoutMs }),
        signal,
        maxBytes: MAX_RESPONSE_BYTES,
      });
    } catch (e) {
      if (e instanceof ResponseTooLarge)
        throw new AttemptFailure(new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'too-large' }), false);
      // A server certificate we do not trust is a refusal, not an outage: no retry, no fallback.
      const tls = untrustedServerCode(e);
      if (tls && !request.signal?.aborted && !timeout.aborted)
        throw new AttemptFailure(
          new WorkstationError('TLS_SERVER_UNTRUSTED', { service: 'hri', tls }, { cause: e }),
          false,
        );
      throw failed(e);
    }

    const status = response.status;
    if (status !== 200) {
      // Redirects are never followed (a captive portal, a misrouted proxy): the HRI was not reached.
      if (status >= 300 && status < 400)
        throw new AttemptFailure(new WorkstationError('HRI_UNAVAILABLE', { reason: 'redirect', status }), true);
      if (status === 404) throw new AttemptFailure(new WorkstationError('HRI_NOT_FOUND'), false);
      if (status === 403) throw new AttemptFailure(new WorkstationError('HRI_TOKEN_REJECTED'), false);
      if (status >= 500 || status === 408 || status === 429)
        throw new AttemptFailure(new WorkstationError('HRI_UNAVAILABLE', { status }), true);
      throw new AttemptFailure(new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'status', status }), false);
    }

    const text = response.body.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new AttemptFailure(new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'json' }, { cause }), false);
    }
    const parsed = lookupResponseSchema.safeParse(json);
    if (!parsed.success)
      throw new AttemptFailure(new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'schema' }), false);
    return parsed.data.sealed;
  }

  return {
    async lookupCloudLocation(request) {
      let last: WorkstationError | null = null;
      for (let i = 0; i <= options.retries; i++) {
        if (i > 0)
          await sleep(backoffDelayMs(i - 1, { baseMs, maxMs, jitter: 'equal' }, options.random), request.signal);
        try {
          const sealed = await attempt(request);
          // Unsealing checks authenticity and that the location is this citizen's (HRI_RESPONSE_INVALID otherwise).
          const { endpoint, region, bucket, prefix, patientKeyKid } = openHriLocation(
            request.masterKey,
            request.citizenId,
            sealed,
          );
          return patientKeyKid
            ? { endpoint, region, bucket, prefix, patientKeyKid }
            : { endpoint, region, bucket, prefix };
        } catch (e) {
          if (!(e instanceof AttemptFailure)) throw e;
          if (!e.retryable) throw e.error;
          last = e.error;
        }
      }
      const error = last as WorkstationError;
      throw new WorkstationError(error.code, { ...error.details, attempts: options.retries + 1 }, { cause: error });
    },
    closeConnections() {
      pool.destroy();
    },
  };
}
