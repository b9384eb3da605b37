import { z } from 'zod';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import { ConnectionPool, ResponseTooLarge, exchange, untrustedServerCode } from '../net/index';
import type { TemporaryCredentials } from './sts';

/**
 * The workstation side of the EHR cloud's emergency-access endpoint (docs/emergency-access.md):
 * ask for a nonce, sign the request's claims with the clinician's key (in main, by the caller's
 * `prove`), and receive STS credentials scoped to one patient (or, for the audit shipper, to this
 * workstation's audit prefix). The workstation holds no long-lived cloud secret in this mode.
 */
export interface AccessProver {
  /** SHA-256 fingerprint of the clinician's certificate (the cache key). */
  fingerprint: string;
  /** A detached JWS (x5c chain) over `claims`, made with the clinician's key in the main process. */
  prove(claims: Uint8Array): string;
}

export interface PatientScope {
  ehr: { bucket: string; prefix: string };
  pending: { bucket: string; prefix: string };
}

export interface ScopedCredentials<S> extends TemporaryCredentials {
  expiresAt: Date;
  scope: S;
}

export interface EmergencyAccessClientOptions {
  /** Config `cloud.credentials.endpoint`: the base URL; also the `aud` every proof names. */
  endpoint: string;
  timeoutMs: number;
  /** Keep-alive connections to the endpoint, kept across requests (CloudAccess's pool; else one of its own). */
  connections?: ConnectionPool;
  /** The workstation's clock (the proof's iat, the lifetime of what is granted); default the system's. */
  now?: () => Date;
}

export interface EmergencyAccessClient {
  readonly audience: string;
  patient(request: {
    prover: AccessProver;
    workstationId: string;
    citizenId: string;
    hriToken: string;
    signal?: AbortSignal;
  }): Promise<ScopedCredentials<PatientScope>>;
  workstation(request: {
    prover: AccessProver;
    workstationId: string;
    signal?: AbortSignal;
  }): Promise<ScopedCredentials<{ audit: { bucket: string; prefix: string } }>>;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const challengeSchema = z.object({ v: z.literal(1), nonce: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/) });
const credentialsSchema = z.object({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1),
  expiration: z.iso.datetime({ offset: true }),
});
const bucketPrefix = z.object({ bucket: z.string().min(1), prefix: z.string().min(1) });
const patientAnswer = z.object({
  v: z.literal(1),
  credentials: credentialsSchema,
  scope: z.object({ ehr: bucketPrefix, pending: bucketPrefix }),
});
const workstationAnswer = z.object({
  v: z.literal(1),
  credentials: credentialsSchema,
  scope: z.object({ audit: bucketPrefix }),
});

export function createEmergencyAccessClient(options: EmergencyAccessClientOptions): EmergencyAccessClient {
  const connections = options.connections ?? new ConnectionPool();
  const base = new URL(options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`);
  const audience = options.endpoint.replace(/\/+$/, '');
  const now = (): number => (options.now ? options.now().getTime() : Date.now());

  async function post(
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<{ status: number; json: unknown; serverDate: Date | null; startedAt: number }> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const all = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const startedAt = now();
    let status: number;
    let text: string;
    let date: string | undefined;
    try {
      const url = new URL(path, base);
      const res = await exchange({
        url,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        agent: connections.agentFor(url, { activeTimeoutMs: options.timeoutMs }),
        signal: all,
        maxBytes: MAX_RESPONSE_BYTES,
      });
      status = res.status;
      text = res.body.toString('utf8');
      date = res.headers.date;
    } catch (e) {
      if (signal?.aborted) throw new WorkstationError('CANCELLED');
      if (e instanceof ResponseTooLarge)
        throw new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'response-too-large' });
      const untrusted = untrustedServerCode(e);
      if (untrusted && !timeout.aborted)
        throw new WorkstationError(
          'TLS_SERVER_UNTRUSTED',
          { service: 'emergency-access', tls: untrusted },
          { cause: e },
        );
      throw new WorkstationError(
        'CLOUD_UNAVAILABLE',
        { stage: 'emergency-access', reason: timeout.aborted ? 'timeout' : 'network' },
        { cause: e },
      );
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // an empty or non-JSON answer: judged by its status below
    }
    const serverDate = date ? new Date(date) : null;
    return {
      status,
      json,
      serverDate: serverDate && !Number.isNaN(serverDate.getTime()) ? serverDate : null,
      startedAt,
    };
  }

  async function request<T extends z.ZodType>(
    path: string,
    typ: string,
    extra: Record<string, string>,
    prover: AccessProver,
    workstationId: string,
    schema: T,
    signal?: AbortSignal,
  ): Promise<{ answer: z.infer<T>; expiresAt: Date }> {
    const challenge = await post('v1/access/challenge', { v: 1 }, signal);
    const nonce = challengeSchema.safeParse(challenge.json);
    if (challenge.status >= 500) throw refusal(challenge.status, challenge.json);
    if (challenge.status !== 200 || !nonce.success)
      throw new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'challenge', status: challenge.status });
    const claims = Buffer.from(
      JSON.stringify({
        typ,
        aud: audience,
        nonce: nonce.data.nonce,
        iat: Math.floor(now() / 1000),
        workstation: workstationId,
        ...extra,
      }),
      'utf8',
    );
    let proof: string;
    try {
      proof = prover.prove(claims);
    } catch (e) {
      throw isWorkstationError(e)
        ? e
        : new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'proof' }, { cause: e });
    }
    const res = await post(path, { v: 1, claims: claims.toString('base64url'), proof }, signal);
    if (res.status !== 200) throw refusal(res.status, res.json);
    const parsed = schema.safeParse(res.json);
    if (!parsed.success) throw new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: 'response' });
    const expiration = new Date((parsed.data as { credentials: { expiration: string } }).credentials.expiration);
    // The lifetime the cloud granted, counted on our clock from when we asked (clock skew proof).
    const expiresAt = res.serverDate
      ? new Date(res.startedAt + (expiration.getTime() - res.serverDate.getTime()))
      : expiration;
    if (expiresAt.getTime() <= now())
      throw new WorkstationError('CLOUD_CREDENTIALS_EXPIRED', { reason: 'issued-expired' });
    return { answer: parsed.data, expiresAt };
  }

  const credentialsOf = (c: z.infer<typeof credentialsSchema>, expiresAt: Date) => ({
    accessKey: c.accessKeyId,
    secretKey: c.secretAccessKey,
    sessionToken: c.sessionToken,
    expiresAt,
  });

  return {
    audience,
    async patient(r) {
      const { answer, expiresAt } = await request(
        'v1/access/emergency',
        'hcp-emergency-access',
        { citizenId: r.citizenId, hriToken: r.hriToken },
        r.prover,
        r.workstationId,
        patientAnswer,
        r.signal,
      );
      return { ...credentialsOf(answer.credentials, expiresAt), scope: answer.scope };
    },
    async workstation(r) {
      const { answer, expiresAt } = await request(
        'v1/access/workstation',
        'hcp-workstation-upload',
        {},
        r.prover,
        r.workstationId,
        workstationAnswer,
        r.signal,
      );
      return { ...credentialsOf(answer.credentials, expiresAt), scope: answer.scope };
    },
  };
}

/** The endpoint's refusal as the workstation's typed error (docs/emergency-access.md §5). */
function refusal(status: number, json: unknown): WorkstationError {
  const body = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const error = typeof body.error === 'string' ? body.error : '';
  const code = typeof body.code === 'string' && /^[A-Z_]{1,64}$/.test(body.code) ? body.code : null;
  const reason = typeof body.reason === 'string' && /^[a-z-]{1,32}$/.test(body.reason) ? body.reason : null;
  if (status >= 500 || status === 408 || status === 429)
    return new WorkstationError('CLOUD_UNAVAILABLE', { stage: 'emergency-access', status });
  if (error === 'token_rejected') return new WorkstationError('HRI_TOKEN_REJECTED', { by: 'cloud' });
  if (error === 'not_found') return new WorkstationError('HRI_NOT_FOUND', { by: 'cloud' });
  if (error === 'clinician_refused')
    return new WorkstationError('ACCESS_CLINICIAN_REFUSED', { reason: code ?? 'unknown' });
  if (error === 'proof_invalid')
    return new WorkstationError('CLOUD_CREDENTIALS_FAILED', { reason: `proof-${reason ?? 'invalid'}` });
  return new WorkstationError('CLOUD_CREDENTIALS_FAILED', { stage: 'emergency-access', status });
}
