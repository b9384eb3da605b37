import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * One small HTTP exchange over a pooled agent (main/net/connection-pool.ts): a request with an
 * optional body, the whole answer read into memory up to `maxBytes`. The HRI, the
 * emergency-access endpoint and STS are called this way; S3 goes through the minio client with
 * the same agents. Failures are the raw errors (the caller types them): the signal's reason on
 * abort, `ResponseTooLarge` past the cap, Node's network and TLS errors otherwise.
 */
export interface ExchangeRequest {
  url: URL;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  agent: Agent;
  signal?: AbortSignal;
  /** The answer's body is refused past this many bytes. */
  maxBytes: number;
}

export interface ExchangeAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`response larger than ${limit} bytes`);
    this.name = 'ResponseTooLarge';
  }
}

export function exchange(req: ExchangeRequest): Promise<ExchangeAnswer> {
  return new Promise((resolve, reject) => {
    const { signal } = req;
    if (signal?.aborted) return reject(signal.reason);
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body);
    const headers: Record<string, string> = { ...req.headers };
    if (body) headers['content-length'] = String(body.length);
    let settled = false;
    const finish = (error: unknown, answer?: ExchangeAnswer) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (error !== null) {
        r.destroy();
        reject(error);
      } else resolve(answer as ExchangeAnswer);
    };
    const onAbort = () => finish(signal?.reason ?? new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
    const r = send(req.url, { method: req.method, headers, agent: req.agent }, (res) => {
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > req.maxBytes) {
          finish(new ResponseTooLarge(req.maxBytes));
          res.destroy();
        } else chunks.push(chunk);
      });
      res.on('error', (e) => finish(e));
      res.on('aborted', () => finish(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      res.on('end', () =>
        finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    r.on('error', (e) => finish(e));
    r.end(body);
  });
}
