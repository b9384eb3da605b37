import {
  request as httpRequest,
  type Agent as HttpAgent,
  type IncomingMessage,
  type RequestOptions as HttpRequestOptions,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import { PassThrough, Readable } from 'node:stream';
import * as Minio from 'minio';
import { WorkstationError } from '../../common/errors';
import { createPooledAgent } from '../net/index';
import type { CredentialProvider, TemporaryCredentials } from './credentials';
import { toCloudError } from './errors';

/**
 * A small S3 object store over the minio client: the endpoint and region come from the patient's
 * cloud location, the keys from a CredentialProvider (asked before every request, so a refresh is
 * picked up). Every failure is a typed WorkstationError (main/cloud/errors.ts); so is an error
 * in the middle of a returned stream.
 */
export interface ObjectStoreOptions {
  endpoint: string;
  region: string;
  credentials: CredentialProvider;
  /** A connection idle for this long (no byte in either direction) is dropped: CLOUD_UNAVAILABLE. Config `cloud.timeoutMs`. */
  timeoutMs: number;
  /** The workstation's clock, on which credential expiry is measured (CloudAccess's). Default Date.now. */
  now?: () => number;
  /** Trust anchors for the endpoint's TLS certificate when not a public CA (PEM), besides the system's roots. */
  ca?: string[];
  /**
   * A keep-alive agent shared with other stores of the same endpoint (CloudAccess's connection
   * pool, main/net): connections outlive this store, and close() leaves them to the pool. Without
   * it the store has an agent of its own, destroyed by close().
   */
  agent?: HttpAgent;
}

export interface ObjectInfo {
  size: number;
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
}

export interface RequestOptions {
  signal?: AbortSignal;
}

export interface PutOptions extends RequestOptions {
  /** Required for a stream body of known length (avoids a multipart upload of unknown size). */
  size?: number;
  contentType?: string;
  /** x-amz-meta-* values: never record contents. */
  metadata?: Record<string, string>;
  /** Canned ACL (x-amz-acl); the audit shipper's batches must belong to the audit bucket's owner. */
  acl?: 'bucket-owner-full-control';
  /** Conditional put (If-None-Match: *): never replaces an object; an existing name gives `existed: true` (S3 412). */
  ifNoneMatch?: boolean;
}

export interface ObjectStore {
  readonly endpoint: string;
  /** The whole object as a stream. */
  getObject(bucket: string, key: string, options?: RequestOptions): Promise<Readable>;
  /** Bytes [start, end) of the object; without `end`, from `start` to the object's end. */
  getRange(bucket: string, key: string, start: number, end?: number, options?: RequestOptions): Promise<Readable>;
  stat(bucket: string, key: string, options?: RequestOptions): Promise<ObjectInfo>;
  /** False only for a missing object; other failures throw. */
  exists(bucket: string, key: string, options?: RequestOptions): Promise<boolean>;
  put(
    bucket: string,
    key: string,
    body: Buffer | Readable,
    options?: PutOptions,
  ): Promise<{ etag: string; existed?: boolean }>;
  /** Drops the cached credentials: the next request asks the provider for fresh ones. */
  invalidateCredentials(): void;
  /** Closes pooled connections. */
  close(): void;
}

/**
 * Feeds our CredentialProvider to the minio client, remembering the expiry of what it handed out.
 * minio-js does not export its CredentialProvider base class from the package entry; its client
 * only calls `getCredentials()` and the three getters, so this bridge has that shape.
 */
class ProviderBridge {
  last: TemporaryCredentials | null = null;
  constructor(
    private readonly provider: CredentialProvider,
    private readonly now: () => number,
  ) {}
  async getCredentials() {
    const c = await this.provider.get();
    if (c.expiresAt && c.expiresAt.getTime() <= this.now())
      throw new WorkstationError('CLOUD_CREDENTIALS_EXPIRED', { reason: 'provider' });
    this.last = c;
    return { getAccessKey: () => c.accessKey, getSecretKey: () => c.secretKey, getSessionToken: () => c.sessionToken };
  }
}
type MinioCredentialProvider = NonNullable<Minio.ClientOptions['credentialsProvider']>;

/**
 * minio's S3Error has no HTTP status, and a HEAD error has no body (so no code): the transport
 * notes the status of failed responses by their x-amz-request-id, which the S3Error carries.
 */
function statusRecordingTransport(secure: boolean) {
  const statuses = new Map<string, number>();
  const send = secure ? httpsRequest : httpRequest;
  return {
    statuses,
    transport: {
      request(options: HttpRequestOptions, callback?: (res: IncomingMessage) => void) {
        return send(options, (res) => {
          const id = res.headers['x-amz-request-id'];
          if (typeof id === 'string' && (res.statusCode ?? 0) >= 400) {
            statuses.set(id, res.statusCode as number);
            if (statuses.size > 64) statuses.delete(statuses.keys().next().value as string);
          }
          callback?.(res);
        });
      },
    },
  };
}

export function createObjectStore(options: ObjectStoreOptions): ObjectStore {
  const url = new URL(options.endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WorkstationError('INVALID_INPUT', { field: 'endpoint' });
  const secure = url.protocol === 'https:';
  const ownAgent = !options.agent;
  const agent =
    options.agent ??
    createPooledAgent(secure, {
      activeTimeoutMs: options.timeoutMs,
      secureContext:
        secure && options.ca?.length ? createSecureContext({ ca: [...rootCertificates, ...options.ca] }) : undefined,
    });
  const now = options.now ?? Date.now;
  const bridge = new ProviderBridge(options.credentials, now);
  const recorder = statusRecordingTransport(secure);
  const client = new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port || (secure ? 443 : 80)),
    useSSL: secure,
    region: options.region,
    credentialsProvider: bridge as unknown as MinioCredentialProvider,
    transport: recorder.transport as unknown as Minio.ClientOptions['transport'],
    transportAgent: agent,
    pathStyle: true,
    // Retries are ours (the download resumes from the last verified segment); minio's would log to the console.
    retryOptions: { disableRetry: true },
  });
  // A streamed put (multipart above the part size) always starts its own upload: minio would first look
  // for an unfinished one under the same name to resume, which needs s3:ListBucketMultipartUploads on
  // the whole bucket — an emergency session's policy allows PutObject in its patient's prefix only.
  (client as unknown as { findUploadId: () => Promise<undefined> }).findUploadId = async () => undefined;

  const mapped = (e: unknown, bucket: string, key: string) => {
    const requestId = (e as { amzRequestid?: unknown } | null)?.amzRequestid;
    const status = typeof requestId === 'string' ? recorder.statuses.get(requestId) : undefined;
    return toCloudError(e, { credentialsExpiresAt: bridge.last?.expiresAt, now, status, bucket, key });
  };

  /** Runs one S3 call; a signal abort wins the race (the request itself is ended by destroying the stream). */
  async function call<T>(
    bucket: string,
    key: string,
    signal: AbortSignal | undefined,
    work: () => Promise<T>,
  ): Promise<T> {
    if (signal?.aborted) throw new WorkstationError('CANCELLED');
    try {
      return await work();
    } catch (e) {
      if (signal?.aborted) throw new WorkstationError('CANCELLED');
      throw mapped(e, bucket, key);
    }
  }

  /** The response stream, with mid-stream errors typed and cancellation honoured. */
  function guard(source: Readable, bucket: string, key: string, signal: AbortSignal | undefined): Readable {
    const out = new PassThrough({ highWaterMark: 256 * 1024 });
    const onAbort = () => out.destroy(new WorkstationError('CANCELLED'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    source.on('error', (e) =>
      out.destroy(signal?.aborted ? new WorkstationError('CANCELLED') : mapped(e, bucket, key)),
    );
    // A response cut short without an error event (the socket closed cleanly) must not look complete.
    source.on('close', () => {
      if (!source.readableEnded && !out.destroyed)
        out.destroy(
          mapped(Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }), bucket, key),
        );
    });
    out.on('close', () => {
      signal?.removeEventListener('abort', onAbort);
      if (!source.destroyed) source.destroy();
    });
    source.pipe(out);
    return out;
  }

  async function stat(bucket: string, key: string, opts: RequestOptions = {}): Promise<ObjectInfo> {
    const s = await call(bucket, key, opts.signal, () => client.statObject(bucket, key));
    const metadata: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.metaData ?? {})) metadata[k.toLowerCase()] = String(v);
    return { size: s.size, etag: s.etag, lastModified: s.lastModified, metadata };
  }

  return {
    endpoint: options.endpoint,
    async getObject(bucket, key, opts = {}) {
      const source = await call(bucket, key, opts.signal, () => client.getObject(bucket, key));
      return guard(source, bucket, key, opts.signal);
    },
    async getRange(bucket, key, start, end, opts = {}) {
      if (
        !Number.isSafeInteger(start) ||
        start < 0 ||
        (end !== undefined && (!Number.isSafeInteger(end) || end <= start))
      ) {
        throw new WorkstationError('CONTAINER_RANGE_INVALID', { start, end: end ?? 'end' });
      }
      const source = await call(bucket, key, opts.signal, () =>
        client.getPartialObject(bucket, key, start, end === undefined ? undefined : end - start),
      );
      return guard(source, bucket, key, opts.signal);
    },
    stat,
    async exists(bucket, key, opts = {}) {
      try {
        await stat(bucket, key, opts);
        return true;
      } catch (e) {
        if (e instanceof WorkstationError && e.code === 'CLOUD_OBJECT_MISSING') return false;
        throw e;
      }
    },
    async put(bucket, key, body, opts = {}) {
      const meta: Record<string, string> = { ...(opts.contentType ? { 'Content-Type': opts.contentType } : {}) };
      for (const [k, v] of Object.entries(opts.metadata ?? {})) meta[`x-amz-meta-${k}`] = v;
      if (opts.acl) meta['x-amz-acl'] = opts.acl;
      if (opts.ifNoneMatch) meta['If-None-Match'] = '*';
      if (opts.signal && body instanceof Readable) {
        const onAbort = () => body.destroy(new WorkstationError('CANCELLED'));
        opts.signal.addEventListener('abort', onAbort, { once: true });
        body.once('close', () => opts.signal?.removeEventListener('abort', onAbort));
      }
      const size = opts.size ?? (Buffer.isBuffer(body) ? body.length : undefined);
      try {
        const info = await call(bucket, key, opts.signal, () => client.putObject(bucket, key, body, size, meta));
        return { etag: info.etag };
      } catch (e) {
        if (opts.ifNoneMatch && e instanceof WorkstationError && e.details?.s3 === 'PreconditionFailed')
          return { etag: '', existed: true };
        throw e;
      }
    },
    invalidateCredentials() {
      options.credentials.invalidate();
    },
    close() {
      if (ownAgent) agent.destroy();
    },
  };
}
