import { z } from 'zod';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import { openHriLocation } from '../crypto/hri-location';
import { backoffDelayMs, sleep } from '../retry/backoff';

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
  /** Injectable for tests of the backoff; production uses the global fetch. */
  fetch?: typeof fetch;
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
  const doFetch = options.fetch ?? fetch;
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

    let response: Response;
    try {
      response = await doFetch(lookupUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ citizenId: request.citizenId, hriToken: request.hriToken }),
        signal,
        redirect: 'error',
      });
    } catch (e) {
      throw failed(e);
    }

    const status = response.status;
    if (status !== 200) {
      // The body of an error answer carries nothing we need; release the connection.
      await response.body?.cancel().catch(() => {});
      if (status === 404) throw new AttemptFailure(new WorkstationError('HRI_NOT_FOUND'), false);
      if (status === 403) throw new AttemptFailure(new WorkstationError('HRI_TOKEN_REJECTED'), false);
      if (status >= 500 || status === 408 || status === 429)
        throw new AttemptFailure(new WorkstationError('HRI_UNAVAILABLE', { status }), true);
      throw new AttemptFailure(new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'status', status }), false);
    }

    let text: string;
    try {
      text = await readLimited(response, MAX_RESPONSE_BYTES);
    } catch (e) {
      if (isWorkstationError(e)) throw new AttemptFailure(e, false);
      throw failed(e);
    }
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
  };
}

/** Reads a response body as UTF-8, refusing more than `limit` bytes. */
async function readLimited(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'too-large' });
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
