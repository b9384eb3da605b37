import { request as httpsRequest, type RequestOptions } from 'node:https';
import { rootCertificates } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import { WorkstationError } from '../../common/errors';

/**
 * The one way main/shl talks to a SMART Health Link server: https only, the system's roots plus
 * the CAs the configuration names (shl.trustedCas), a deadline for the whole exchange, a cap on
 * the body, and redirects followed only within the origin asked (never to another host).
 */
export interface ShlHttpOptions {
  /** Extra trusted CA certificates (PEM), added to Node's root store. */
  ca?: readonly string[];
  timeoutMs: number;
  maxBytes: number;
  /** Redirects followed within the same origin (default 3). */
  maxRedirects?: number;
  signal?: AbortSignal;
}

export interface ShlHttpResponse {
  status: number;
  contentType: string;
  body: Buffer;
  /** The URL that answered (after same-origin redirects). */
  url: string;
}

export interface ShlHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** JSON body (POST). */
  json?: unknown;
  accept?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function shlRequest(req: ShlHttpRequest, options: ShlHttpOptions): Promise<ShlHttpResponse> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const first = new URL(req.url);
  if (first.protocol !== 'https:')
    throw new WorkstationError('SHL_INSECURE_URL', { protocol: first.protocol.replace(/:$/, '') });
  let current = { ...req, url: first.href };
  for (let hop = 0; ; hop++) {
    const res = await once(current, options, signal, first.host);
    if (!REDIRECTS.has(res.status)) return res;
    if (hop >= (options.maxRedirects ?? 3))
      throw new WorkstationError('SHL_REDIRECT_REFUSED', { reason: 'too many redirects' });
    const location = res.location;
    let next: URL;
    try {
      next = new URL(location ?? '', current.url);
    } catch {
      throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'bad redirect' });
    }
    // Same origin only: scheme, host and port of the URL the link named.
    if (!location || next.origin !== first.origin)
      throw new WorkstationError('SHL_REDIRECT_REFUSED', { reason: 'other origin' });
    const keepsMethod = res.status === 307 || res.status === 308;
    current = keepsMethod ? { ...current, url: next.href } : { method: 'GET', url: next.href, accept: current.accept };
  }
}

interface RawResponse extends ShlHttpResponse {
  location?: string;
}

function once(req: ShlHttpRequest, options: ShlHttpOptions, signal: AbortSignal, host: string): Promise<RawResponse> {
  const body = req.json === undefined ? undefined : Buffer.from(JSON.stringify(req.json), 'utf8');
  const headers: Record<string, string | number> = { accept: req.accept ?? 'application/json' };
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = body.length;
  }
  // No shared agent: a handful of requests per link, and no pooled socket outlives the exchange (the CLI exits).
  const opts: RequestOptions = {
    method: req.method,
    headers,
    signal,
    agent: false,
    ca: options.ca?.length ? [...rootCertificates, ...options.ca] : undefined,
  };
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const fail = (e: unknown) => {
      if (settled) return;
      settled = true;
      reject(toShlError(e, host, signal));
    };
    const r = httpsRequest(req.url, opts, (res: IncomingMessage) => {
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        res.destroy();
        return fail(new WorkstationError('SHL_TOO_LARGE', { limit: options.maxBytes }));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          fail(new WorkstationError('SHL_TOO_LARGE', { limit: options.maxBytes }));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('close', () => {
        if (!res.complete) fail(new WorkstationError('SHL_UNREACHABLE', { host }));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers['content-type'] ?? '')
            .split(';')[0]!
            .trim()
            .toLowerCase(),
          body: Buffer.concat(chunks),
          url: req.url,
          location: typeof res.headers.location === 'string' ? res.headers.location : undefined,
        });
      });
    });
    r.on('error', fail);
    r.end(body);
  });
}

function toShlError(e: unknown, host: string, signal: AbortSignal): WorkstationError {
  if (e instanceof WorkstationError) return e;
  if (signal.aborted && (signal.reason as { name?: string } | undefined)?.name !== 'TimeoutError')
    return new WorkstationError('CANCELLED');
  const code = (e as { code?: unknown } | null)?.code;
  const tls = typeof code === 'string' && /CERT|SIGNATURE|SELF_SIGNED|ALTNAME|ISSUER/.test(code);
  return new WorkstationError('SHL_UNREACHABLE', tls ? { host, reason: 'certificate not trusted' } : { host }, {
    cause: e,
  });
}
