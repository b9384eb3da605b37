import { request as httpRequest, type Agent } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { XMLParser } from 'fast-xml-parser';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import { untrustedServerCode } from '../net/index';

/**
 * The HTTP side of the STS calls: one POST with a hard timeout, optional mutual TLS, and the
 * STS XML answer (AWS and MinIO share its shape) turned into credentials or a typed error.
 */
export interface TemporaryCredentials {
  accessKey: string;
  secretKey: string;
  sessionToken?: string;
  /** In local clock time; null for static keys (no expiry). */
  expiresAt: Date | null;
}

export interface ClientTlsIdentity {
  /** PEM: the clinician's certificate, optionally followed by its intermediates. */
  certificatePem: string;
  /** PEM private key of that certificate. Stays in the main process. */
  privateKeyPem: string;
}

export interface StsPost {
  url: URL;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Mutual TLS: the client certificate presented during the handshake. */
  clientIdentity?: ClientTlsIdentity;
  /** Extra trust anchors (PEM) for the STS server's certificate (a hospital or training CA). */
  ca?: string[];
  /**
   * A keep-alive agent (main/net ConnectionPool) that carries the trust anchors and, for mutual TLS,
   * the client identity itself (an agent per identity): `clientIdentity` and `ca` are then not used
   * per request. Without one, a fresh connection per call.
   */
  agent?: Agent;
  /** The workstation's clock (CloudAccess's): when the request started, for the expiry. Default Date.now. */
  now?: () => number;
}

export interface StsAnswer {
  status: number;
  body: string;
  /** The server's Date header, for clock-skew-free expiry. */
  serverDate: Date | null;
  startedAt: number;
}

const MAX_STS_RESPONSE_BYTES = 256 * 1024;

/** TLS failures are refusals of who we are (or of who they are), not outages. */
const TLS_ERROR =
  /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_OSSL_)/;

function unavailable(reason: string, cause?: unknown): WorkstationError {
  return new WorkstationError('CLOUD_UNAVAILABLE', { stage: 'credentials', reason }, { cause });
}

export function postToSts(post: StsPost): Promise<StsAnswer> {
  return new Promise((resolve, reject) => {
    if (post.signal?.aborted) return reject(new WorkstationError('CANCELLED'));
    const startedAt = (post.now ?? Date.now)();
    const isHttps = post.url.protocol === 'https:';
    const options: RequestOptions = {
      method: 'POST',
      hostname: post.url.hostname,
      port: post.url.port || (isHttps ? 443 : 80),
      path: `${post.url.pathname}${post.url.search}`,
      headers: { ...post.headers, 'content-length': String(Buffer.byteLength(post.body)) },
      // Without a pool agent, a fresh connection per call: the client certificate must not ride on a shared socket.
      agent: post.agent ?? false,
    };
    if (isHttps && !post.agent) {
      if (post.clientIdentity) {
        options.cert = post.clientIdentity.certificatePem;
        options.key = post.clientIdentity.privateKeyPem;
      }
      if (post.ca?.length) options.ca = post.ca;
    } else if (!isHttps && post.clientIdentity) {
      return reject(new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'mtls-needs-https' }));
    }

    let settled = false;
    const finish = (error: WorkstationError | null, answer?: StsAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      post.signal?.removeEventListener('abort', onAbort);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(answer as StsAnswer);
    };
    const onAbort = () => finish(new WorkstationError('CANCELLED'));
    const timer = setTimeout(() => finish(unavailable('timeout')), post.timeoutMs);
    post.signal?.addEventListener('abort', onAbort, { once: true });

    const req = (isHttps ? httpsRequest : httpRequest)(options, (res) => {
      const chunks: Buffer[] = [];
      let total = 0;
      res.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > MAX_STS_RESPONSE_BYTES)
          finish(new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'response-too-large' }));
        else chunks.push(chunk);
      });
      res.on('error', (e) => finish(unavailable('network', e)));
      res.on('aborted', () => finish(unavailable('network')));
      res.on('end', () => {
        const date = res.headers.date ? new Date(res.headers.date) : null;
        finish(null, {
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          serverDate: date && !Number.isNaN(date.getTime()) ? date : null,
          startedAt,
        });
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (isWorkstationError(e)) return finish(e);
      const untrusted = untrustedServerCode(e);
      if (untrusted)
        return finish(new WorkstationError('TLS_SERVER_UNTRUSTED', { service: 'sts', tls: untrusted }, { cause: e }));
      if (e.code && TLS_ERROR.test(e.code))
        return finish(new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'tls', tls: e.code }, { cause: e }));
      finish(unavailable('network', e));
    });
    req.end(post.body);
  });
}

const xml = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, parseTagValue: false, trimValues: true });

type XmlNode = Record<string, unknown>;
const child = (node: unknown, name: string): unknown =>
  node && typeof node === 'object' ? (node as XmlNode)[name] : undefined;
const text = (node: unknown): string | null => (typeof node === 'string' && node.length > 0 ? node : null);

function parseXml(body: string): XmlNode | null {
  try {
    const parsed: unknown = xml.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as XmlNode) : null;
  } catch {
    return null;
  }
}

/** STS error codes that say our session token (not our identity) has lapsed. */
const EXPIRED_CODES = new Set(['ExpiredToken', 'ExpiredTokenException', 'RequestExpired']);

/**
 * `<{action}Response><{action}Result><Credentials>` into credentials; an error answer
 * (`<ErrorResponse><Error><Code>`, or S3's bare `<Error>`) into a typed error.
 */
export function credentialsFromStsAnswer(
  action: string,
  answer: StsAnswer,
  now: () => number = Date.now,
): TemporaryCredentials {
  const doc = parseXml(answer.body);
  if (answer.status !== 200) {
    const error = child(doc?.ErrorResponse, 'Error') ?? doc?.Error;
    const code = text(child(error, 'Code')) ?? '';
    const details = {
      stage: 'credentials',
      status: answer.status,
      ...(code && /^[A-Za-z.]{1,64}$/.test(code) ? { sts: code } : {}),
    };
    if (answer.status >= 500 || answer.status === 408 || answer.status === 429)
      throw new WorkstationError('CLOUD_UNAVAILABLE', details);
    if (EXPIRED_CODES.has(code)) throw new WorkstationError('CLOUD_CREDENTIALS_EXPIRED', details);
    throw new WorkstationError('CLOUD_CREDENTIALS_FAILED', details);
  }
  const credentials = child(child(child(doc, `${action}Response`), `${action}Result`), 'Credentials');
  const accessKey = text(child(credentials, 'AccessKeyId'));
  const secretKey = text(child(credentials, 'SecretAccessKey'));
  const sessionToken = text(child(credentials, 'SessionToken'));
  const expiration = text(child(credentials, 'Expiration'));
  const expiresAtServer = expiration ? new Date(expiration) : null;
  if (!accessKey || !secretKey || !sessionToken || !expiresAtServer || Number.isNaN(expiresAtServer.getTime())) {
    throw new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'response' });
  }
  const expiresAt = localExpiry(expiresAtServer, answer);
  if (expiresAt.getTime() <= now())
    throw new WorkstationError('CLOUD_CREDENTIALS_EXPIRED', { reason: 'issued-expired' });
  return { accessKey, secretKey, sessionToken, expiresAt };
}

/**
 * The expiry on the local clock: the lifetime the server granted (Expiration minus its own Date)
 * counted from when we asked. A workstation clock that is minutes off then neither throws away
 * fresh credentials nor keeps stale ones.
 */
function localExpiry(expiresAtServer: Date, answer: StsAnswer): Date {
  if (!answer.serverDate) return expiresAtServer;
  return new Date(answer.startedAt + (expiresAtServer.getTime() - answer.serverDate.getTime()));
}
