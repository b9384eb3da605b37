import { WorkstationError, isWorkstationError } from '../../common/errors';
import type { CredentialProviderConfig } from '../../common/config/schema';
import type { ConnectionPool } from '../net/index';
import { amzDate, authorizationHeader, sha256Hex } from './sigv4';
import { credentialsFromStsAnswer, postToSts, type ClientTlsIdentity, type TemporaryCredentials } from './sts';

export type { ClientTlsIdentity, TemporaryCredentials } from './sts';

/**
 * Temporary cloud credentials. `get()` answers from a cache and refreshes before expiry;
 * `invalidate()` drops the cache (after the cloud said ExpiredToken, say).
 */
export interface CredentialProvider {
  readonly kind: CredentialProviderConfig['kind'];
  get(signal?: AbortSignal): Promise<TemporaryCredentials>;
  invalidate(): void;
}

export interface CachingOptions {
  /** Refresh this long before expiry (capped at half the credentials' lifetime). Default 60 s. */
  refreshMarginMs?: number;
  now?: () => number;
}

const STS_VERSION = '2011-06-15';
const DEFAULT_REFRESH_MARGIN_MS = 60_000;
const DEFAULT_STS_TIMEOUT_MS = 10_000;

/**
 * Wraps a fetch of fresh credentials with a cache: concurrent callers share one request;
 * credentials are refreshed once less than the margin remains; if a refresh fails while the
 * cached credentials are still valid, those are used (the refresh is tried again next time).
 */
export function cachingCredentialProvider(
  kind: CredentialProvider['kind'],
  fetchFresh: (signal?: AbortSignal) => Promise<TemporaryCredentials>,
  options: CachingOptions = {},
): CredentialProvider {
  const now = options.now ?? Date.now;
  const margin = options.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  let cached: { credentials: TemporaryCredentials; refreshAt: number } | null = null;
  let inFlight: Promise<TemporaryCredentials> | null = null;

  const refresh = (signal?: AbortSignal): Promise<TemporaryCredentials> => {
    inFlight ??= (async () => {
      const fetchedAt = now();
      try {
        const credentials = await fetchFresh(signal);
        const expiresAt = credentials.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
        const lifetime = expiresAt - fetchedAt;
        cached = { credentials, refreshAt: expiresAt - Math.min(margin, lifetime / 2) };
        return credentials;
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  };

  return {
    kind,
    async get(signal) {
      const t = now();
      if (cached && t < cached.refreshAt) return cached.credentials;
      const stillValid =
        cached && (cached.credentials.expiresAt?.getTime() ?? Infinity) > t ? cached.credentials : null;
      try {
        return await refresh(signal);
      } catch (e) {
        if (stillValid && !(isWorkstationError(e) && e.code === 'CANCELLED')) return stillValid;
        throw isWorkstationError(e) ? e : new WorkstationError('CLOUD_CREDENTIALS_FAILED', undefined, { cause: e });
      }
    },
    invalidate() {
      cached = null;
    },
  };
}

export interface AssumeRoleOptions extends CachingOptions {
  stsEndpoint: string;
  /** The workstation account: it may only assume the role; the role policy scopes what the session can do. */
  accessKey: string;
  secretKey: string;
  roleArn: string;
  /** Shown in the cloud's audit trail, e.g. `hcp-<workstationId>`; [\w+=,.@-], 2-64 characters. */
  roleSessionName: string;
  durationSeconds: number;
  /** SigV4 signing region (config `cloud.region`). */
  region: string;
  timeoutMs?: number;
  /** Keep-alive connections to the STS endpoint, kept across calls (CloudAccess's pool). */
  connections?: ConnectionPool;
}

/**
 * One STS AssumeRole call (AWS API, also RGW and MinIO), signed with SigV4 by the calling account.
 * `policy`, when given, is a session policy: the credentials may do only what both the role policy
 * and it allow (the emergency-access endpoint scopes each session to one patient with it).
 */
export async function assumeRoleOnce(
  options: AssumeRoleOptions & { policy?: string },
  signal?: AbortSignal,
): Promise<TemporaryCredentials> {
  if (!/^[\w+=,.@-]{2,64}$/.test(options.roleSessionName))
    throw new WorkstationError('INVALID_INPUT', { field: 'roleSessionName' });
  const url = new URL(options.stsEndpoint);
  const params: Record<string, string> = {
    Action: 'AssumeRole',
    Version: STS_VERSION,
    RoleArn: options.roleArn,
    RoleSessionName: options.roleSessionName,
    DurationSeconds: String(options.durationSeconds),
  };
  if (options.policy) params.Policy = options.policy;
  const body = new URLSearchParams(params).toString();
  // SigV4's x-amz-date is the protocol's wall-clock time (the server refuses a skew over 15 min),
  // never the injected clock.
  const date = new Date();
  const payloadHash = sha256Hex(body);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    host: url.host,
    'x-amz-date': amzDate(date),
    'x-amz-content-sha256': payloadHash,
  };
  headers.authorization = authorizationHeader(
    { method: 'POST', url, headers, payloadHash },
    { accessKey: options.accessKey, secretKey: options.secretKey },
    options.region,
    'sts',
    date,
  );
  const timeoutMs = options.timeoutMs ?? DEFAULT_STS_TIMEOUT_MS;
  const answer = await postToSts({
    url,
    headers,
    body,
    timeoutMs,
    signal,
    agent: options.connections?.agentFor(url, { activeTimeoutMs: timeoutMs }),
    now: options.now,
  });
  return credentialsFromStsAnswer('AssumeRole', answer, options.now);
}

/** STS AssumeRole by the workstation account (training and legacy deployments; see docs/emergency-access.md). */
export function assumeRoleCredentialProvider(options: AssumeRoleOptions): CredentialProvider {
  if (!/^[\w+=,.@-]{2,64}$/.test(options.roleSessionName))
    throw new WorkstationError('INVALID_INPUT', { field: 'roleSessionName' });
  return cachingCredentialProvider('sts-assume-role', (signal) => assumeRoleOnce(options, signal), options);
}

export interface CertificateOptions extends CachingOptions {
  stsEndpoint: string;
  durationSeconds: number;
  /** The signed-in clinician's certificate and key (main/pki), read at each refresh. */
  identity: () => ClientTlsIdentity | Promise<ClientTlsIdentity>;
  /** Trust anchors for the STS server's certificate when not a public CA (PEM). */
  ca?: string[];
  timeoutMs?: number;
  /** Keep-alive connections, one agent per client identity (its trust anchors are the pool's, not `ca`). */
  connections?: ConnectionPool;
}

/**
 * MinIO AssumeRoleWithCertificate (docs/sts/tls.md in minio/minio): a POST over mutual TLS with
 * the clinician's certificate; the parameters go in the query string, as MinIO routes them there.
 */
export function certificateCredentialProvider(options: CertificateOptions): CredentialProvider {
  const base = new URL(options.stsEndpoint);
  if (base.protocol !== 'https:')
    throw new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'mtls-needs-https' });
  return cachingCredentialProvider(
    'minio-certificate',
    async (signal) => {
      const url = new URL(base);
      url.search = new URLSearchParams({
        Action: 'AssumeRoleWithCertificate',
        Version: STS_VERSION,
        DurationSeconds: String(options.durationSeconds),
      }).toString();
      const identity = await options.identity();
      const timeoutMs = options.timeoutMs ?? DEFAULT_STS_TIMEOUT_MS;
      const answer = await postToSts({
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
        timeoutMs,
        signal,
        clientIdentity: identity,
        ca: options.ca,
        // The clinician's certificate rides only on connections of its own agent (keyed by the certificate).
        agent: options.connections?.agentFor(url, {
          activeTimeoutMs: timeoutMs,
          identity: { id: sha256Hex(identity.certificatePem), ...identity },
        }),
        now: options.now,
      });
      return credentialsFromStsAnswer('AssumeRoleWithCertificate', answer, options.now);
    },
    options,
  );
}

/** Fixed keys: the training sandbox only. Production mode refuses them (as the config schema does). */
export function staticCredentialProvider(
  keys: { accessKey: string; secretKey: string },
  mode: 'training' | 'production',
): CredentialProvider {
  if (mode !== 'training') throw new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'static-in-production' });
  const credentials: TemporaryCredentials = { accessKey: keys.accessKey, secretKey: keys.secretKey, expiresAt: null };
  return { kind: 'static', get: async () => credentials, invalidate() {} };
}

export interface CredentialDependencies {
  mode: 'training' | 'production';
  region: string;
  roleSessionName: string;
  /** Needed for `minio-certificate`: the signed-in clinician's TLS identity. */
  clinicianIdentity?: () => ClientTlsIdentity | Promise<ClientTlsIdentity>;
  stsCa?: string[];
  timeoutMs?: number;
  /** Keep-alive connections to STS (CloudAccess's pool). */
  connections?: ConnectionPool;
}

/** The provider the configuration names (config `cloud.credentials`). */
export function createCredentialProvider(
  config: CredentialProviderConfig,
  deps: CredentialDependencies,
): CredentialProvider {
  switch (config.kind) {
    case 'sts-assume-role':
      return assumeRoleCredentialProvider({
        ...config,
        region: deps.region,
        roleSessionName: deps.roleSessionName,
        timeoutMs: deps.timeoutMs,
        connections: deps.connections,
      });
    case 'minio-certificate': {
      const identity = deps.clinicianIdentity;
      if (!identity) throw new WorkstationError('NOT_SIGNED_IN');
      return certificateCredentialProvider({
        ...config,
        identity,
        ca: deps.stsCa,
        timeoutMs: deps.timeoutMs,
        connections: deps.connections,
      });
    }
    case 'static':
      return staticCredentialProvider(config, deps.mode);
    case 'emergency-access':
      // Per (clinician, patient), with proofs: main/cloud/access.ts (CloudAccess) makes these.
      throw new WorkstationError('INTERNAL_ERROR', { reason: 'emergency-access-needs-cloud-access' });
  }
}
