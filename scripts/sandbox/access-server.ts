/**
 * The EHR cloud's emergency-access endpoint, sandbox implementation (docs/emergency-access.md):
 * the paper's gateway + HCP certification checker + identity manager in one loopback HTTP server.
 *
 *   POST /v1/access/challenge   -> a single-use nonce (60 s)
 *   POST /v1/access/emergency   clinician proof + HRI emergency token -> STS credentials scoped by a
 *                               session policy to one patient: GetObject ehr/<prefix>/*, PutObject
 *                               pending/<prefix>/<workstation>/*; no ListBucket; 900 s
 *   POST /v1/access/workstation clinician proof -> PutObject audit/audit/<workstation>/* only (the
 *                               audit shipper's credentials; nothing patient-related)
 *
 * The clinician proves possession of the certificate's key with a detached JWS (x5c chain) over the
 * request's claims, which name the nonce, this endpoint, the workstation, the patient and the token:
 * the signature is evidence the cloud keeps, bound to this one request. The chain is validated by
 * main/pki's validator against the cloud's own trust anchors and CRLs (revocation hard-fail,
 * clientAuth EKU); the token is checked with the HRI; every decision is appended to the audit file.
 * The identity manager's account (the sandbox `workstation` user) may only AssumeRole; the role
 * policy bounds every session and the session policy narrows it to the patient.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonObject } from './json-body';
import { listenLoopback, type ServerIdentity } from './tls';
import { verifyDetachedJws } from '../../main/additions/jws';
import { assumeRoleOnce } from '../../main/cloud/credentials';
import { isWorkstationError } from '../../common/errors';
import { verifyClinicianChain, EKU } from '../../main/pki/index';
import type { BucketNames } from './provision';

export interface AccessTrust {
  /** PEM trust anchors of the cloud's HCP certification checker. */
  anchors: string[];
  /** PEM or DER CRLs; a missing or stale CRL refuses the clinician (hard-fail). */
  crls: (string | Uint8Array)[];
}

export interface AccessServerOptions {
  port?: number;
  /** The S3/STS endpoint of the cloud (RGW). */
  stsEndpoint: string;
  region: string;
  /** The identity manager's account: it may only assume `roleArn`. */
  accessKey: string;
  secretKey: string;
  roleArn: string;
  buckets: BucketNames;
  /** The HRI that checks emergency tokens (POST /v1/emergency/lookup). */
  hriUrl: string;
  /** Read on every request, so that a new CRL or anchor applies at once. */
  trust: () => AccessTrust;
  /** Where the patient's record lives in `ehr` (default: under the citizen id, as the simulator seeds). */
  prefixFor?: (citizenId: string) => string;
  /** JSON lines, one per decision (default: kept in memory only, see `audit`). */
  auditFile?: string;
  durationSeconds?: number;
  clockSkewSeconds?: number;
  now?: () => Date;
  /** Also serve over https with this certificate (`tlsUrl`). */
  tls?: ServerIdentity | null;
}

export interface AccessAuditEntry {
  at: string;
  action: 'emergency' | 'workstation';
  outcome: 'granted' | 'refused';
  reason?: string;
  clinician?: { fingerprint: string; subject: string };
  workstation?: string;
  /** SHA-256 of the patient prefix: the cloud's audit names the patient without the citizen id. */
  patient?: string;
  expiresAt?: string;
}

export interface AccessServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (the `aud` a proof must name). */
  url: string;
  /** The same over https, when started with `tls` (a proof names whichever the workstation uses); else null. */
  tlsUrl: string | null;
  /** Decisions so far (also appended to `auditFile`). */
  audit: AccessAuditEntry[];
  close(): Promise<void>;
}

export const ACCESS_DURATION_SECONDS = 900;
const NONCE_TTL_MS = 60_000;
const MAX_NONCES = 10_000;
const MAX_BODY_BYTES = 64 * 1024;
const CITIZEN_ID = /^[A-Za-z2-7]{1,128}={0,6}$/;
const WORKSTATION_ID = /^[A-Za-z0-9._-]{1,64}$/;
const NONCE = /^[A-Za-z0-9_-]{43}$/;

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

type Claims = {
  typ: string;
  aud: string;
  nonce: string;
  iat: number;
  workstation: string;
  citizenId?: string;
  hriToken?: string;
};

/** The session policy of one emergency access (docs/emergency-access.md §4). */
export function emergencySessionPolicy(
  buckets: BucketNames,
  prefix: string,
  pendingPrefix: string,
): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ReadThisPatient',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`arn:aws:s3:::${buckets.ehr}/${prefix}/*`],
      },
      {
        Sid: 'AddToThisPatient',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`arn:aws:s3:::${buckets.pending}/${pendingPrefix}/*`],
      },
    ],
  };
}

/** The session policy of the audit shipper: its own audit batches, nothing else. */
export function workstationSessionPolicy(buckets: BucketNames, workstation: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ShipOwnAudit',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`arn:aws:s3:::${buckets.audit}/audit/${workstation}/*`],
      },
    ],
  };
}

export async function startAccessServer(o: AccessServerOptions): Promise<AccessServer> {
  const now = o.now ?? (() => new Date());
  const duration = o.durationSeconds ?? ACCESS_DURATION_SECONDS;
  const skewMs = (o.clockSkewSeconds ?? 300) * 1000;
  const prefixFor = o.prefixFor ?? ((c: string) => c);
  const nonces = new Map<string, number>();
  const audit: AccessAuditEntry[] = [];
  /** The endpoint's own base URLs: a proof must name one of them. */
  let audiences: string[] = [];

  const record = (entry: Omit<AccessAuditEntry, 'at'>): void => {
    const full = { at: now().toISOString(), ...entry };
    audit.push(full);
    if (o.auditFile) appendFileSync(o.auditFile, JSON.stringify(full) + '\n', { mode: 0o600 });
  };

  const issueNonce = (): { nonce: string; expiresAt: string } => {
    const t = now().getTime();
    for (const [n, exp] of nonces) if (exp <= t) nonces.delete(n);
    if (nonces.size >= MAX_NONCES) throw new Refusal(503, 'busy');
    const nonce = randomBytes(32).toString('base64url');
    nonces.set(nonce, t + NONCE_TTL_MS);
    return { nonce, expiresAt: new Date(t + NONCE_TTL_MS).toISOString() };
  };

  /** Checks the proof; returns the claims and the clinician. The nonce is spent whatever the outcome. */
  const checkProof = (body: Record<string, unknown>, typ: string) => {
    if (
      body.v !== 1 ||
      typeof body.claims !== 'string' ||
      typeof body.proof !== 'string' ||
      body.proof.length > 32 * 1024
    )
      throw new Refusal(400, 'bad_request');
    const claimsBytes = Buffer.from(body.claims, 'base64url');
    let claims: Claims;
    try {
      claims = JSON.parse(claimsBytes.toString('utf8')) as Claims;
    } catch {
      throw new Refusal(400, 'bad_request');
    }
    if (
      typeof claims !== 'object' ||
      claims === null ||
      claims.typ !== typ ||
      typeof claims.nonce !== 'string' ||
      !NONCE.test(claims.nonce)
    )
      throw new Refusal(400, 'bad_request');
    if (typeof claims.workstation !== 'string' || !WORKSTATION_ID.test(claims.workstation))
      throw new Refusal(400, 'bad_request');
    const t = now().getTime();
    const nonceExpiry = nonces.get(claims.nonce);
    nonces.delete(claims.nonce);
    if (nonceExpiry === undefined || nonceExpiry <= t) throw new Refusal(401, 'proof_invalid', { reason: 'nonce' });
    if (!audiences.includes(claims.aud)) throw new Refusal(401, 'proof_invalid', { reason: 'audience' });
    if (typeof claims.iat !== 'number' || Math.abs(claims.iat * 1000 - t) > skewMs)
      throw new Refusal(401, 'proof_invalid', { reason: 'time' });
    let verified;
    try {
      verified = verifyDetachedJws(body.proof, claimsBytes);
    } catch {
      throw new Refusal(401, 'proof_invalid', { reason: 'signature' });
    }
    const [leaf, ...intermediates] = verified.certificates;
    const trust = o.trust();
    const chain = verifyClinicianChain({
      leaf: leaf!,
      intermediates,
      trustAnchors: trust.anchors,
      crls: trust.crls,
      time: now(),
      policy: { revocation: 'hard-fail', eku: EKU.clientAuth, clockSkewSeconds: o.clockSkewSeconds ?? 300 },
    });
    const clinician = { fingerprint: leaf!.fingerprint, subject: leaf!.subject.text };
    if (!chain.valid) throw new Refusal(403, 'clinician_refused', { code: chain.code, clinician });
    return { claims, clinician };
  };

  const checkToken = async (citizenId: string, hriToken: string): Promise<void> => {
    let res: Response;
    try {
      res = await fetch(new URL('v1/emergency/lookup', o.hriUrl.endsWith('/') ? o.hriUrl : `${o.hriUrl}/`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ citizenId, hriToken }),
        signal: AbortSignal.timeout(10_000),
        redirect: 'error',
      });
      await res.arrayBuffer();
    } catch {
      throw new Refusal(503, 'hri_unavailable');
    }
    if (res.status === 200) return;
    if (res.status === 404) throw new Refusal(404, 'not_found');
    if (res.status === 403) throw new Refusal(403, 'token_rejected');
    throw new Refusal(503, 'hri_unavailable');
  };

  const assume = async (policy: Record<string, unknown>, sessionName: string) => {
    try {
      return await assumeRoleOnce({
        stsEndpoint: o.stsEndpoint,
        accessKey: o.accessKey,
        secretKey: o.secretKey,
        roleArn: o.roleArn,
        roleSessionName: sessionName,
        durationSeconds: duration,
        region: o.region,
        policy: JSON.stringify(policy),
      });
    } catch (e) {
      throw new Refusal(503, 'sts_unavailable', { sts: isWorkstationError(e) ? e.code : 'error' });
    }
  };

  const credentialsBody = (c: Awaited<ReturnType<typeof assume>>) => ({
    accessKeyId: c.accessKey,
    secretAccessKey: c.secretKey,
    sessionToken: c.sessionToken,
    expiration: c.expiresAt!.toISOString(),
  });

  const emergency = async (body: Record<string, unknown>): Promise<unknown> => {
    let clinician: AccessAuditEntry['clinician'];
    let workstation: string | undefined;
    let patient: string | undefined;
    try {
      const proven = checkProof(body, 'hcp-emergency-access');
      clinician = proven.clinician;
      workstation = proven.claims.workstation;
      const { citizenId, hriToken } = proven.claims;
      if (
        typeof citizenId !== 'string' ||
        !CITIZEN_ID.test(citizenId) ||
        typeof hriToken !== 'string' ||
        !hriToken ||
        hriToken.length > 1024
      )
        throw new Refusal(400, 'bad_request');
      const prefix = prefixFor(citizenId);
      patient = createHash('sha256').update(prefix).digest('hex');
      await checkToken(citizenId, hriToken);
      // Additions wait in pending under the citizen id (main/additions/pending.ts), one folder per workstation.
      const pendingPrefix = `${citizenId}/${workstation}`;
      const creds = await assume(
        emergencySessionPolicy(o.buckets, prefix, pendingPrefix),
        `em-${clinician.fingerprint.slice(0, 16)}`,
      );
      record({
        action: 'emergency',
        outcome: 'granted',
        clinician,
        workstation,
        patient,
        expiresAt: creds.expiresAt!.toISOString(),
      });
      return {
        v: 1,
        credentials: credentialsBody(creds),
        scope: {
          ehr: { bucket: o.buckets.ehr, prefix },
          pending: { bucket: o.buckets.pending, prefix: pendingPrefix },
        },
      };
    } catch (e) {
      const refusal = e instanceof Refusal ? e : new Refusal(500, 'internal_error');
      clinician ??= refusal.extra.clinician as AccessAuditEntry['clinician'];
      record({
        action: 'emergency',
        outcome: 'refused',
        reason: `${refusal.error}${refusal.extra.code ? `:${String(refusal.extra.code)}` : ''}`,
        clinician,
        workstation,
        patient,
      });
      throw refusal;
    }
  };

  const workstationAccess = async (body: Record<string, unknown>): Promise<unknown> => {
    let clinician: AccessAuditEntry['clinician'];
    let workstation: string | undefined;
    try {
      const proven = checkProof(body, 'hcp-workstation-upload');
      clinician = proven.clinician;
      workstation = proven.claims.workstation;
      const creds = await assume(
        workstationSessionPolicy(o.buckets, workstation),
        `ws-${workstation.slice(0, 40)}`.replace(/[^\w+=,.@-]/g, '-'),
      );
      record({
        action: 'workstation',
        outcome: 'granted',
        clinician,
        workstation,
        expiresAt: creds.expiresAt!.toISOString(),
      });
      return {
        v: 1,
        credentials: credentialsBody(creds),
        scope: { audit: { bucket: o.buckets.audit, prefix: `audit/${workstation}` } },
      };
    } catch (e) {
      const refusal = e instanceof Refusal ? e : new Refusal(500, 'internal_error');
      clinician ??= refusal.extra.clinician as AccessAuditEntry['clinician'];
      record({ action: 'workstation', outcome: 'refused', reason: refusal.error, clinician, workstation });
      throw refusal;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST') return reply(res, 405, { error: 'method_not_allowed' });
    if (path === '/v1/access/challenge') return reply(res, 200, { v: 1, ...issueNonce() });
    if (path === '/v1/access/emergency') return reply(res, 200, await emergency(await readJson(req)));
    if (path === '/v1/access/workstation') return reply(res, 200, await workstationAccess(await readJson(req)));
    return reply(res, 404, { error: 'no_such_endpoint' });
  };

  const listener = await listenLoopback(
    (req, res) => {
      handle(req, res).catch((e: unknown) => {
        if (res.headersSent) return res.destroy();
        if (e instanceof Refusal) {
          const { clinician: _omit, ...extra } = e.extra;
          reply(res, e.status, { error: e.error, ...extra });
        } else reply(res, 500, { error: 'internal_error' });
      });
    },
    { port: o.port, tls: o.tls },
  );
  audiences = [listener.url, ...(listener.tlsUrl ? [listener.tlsUrl] : [])];
  return { url: listener.url, tlsUrl: listener.tlsUrl, audit, close: listener.close };
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return readJsonObject(req, MAX_BODY_BYTES, {
    tooLarge: () => new Refusal(413, 'too_large'),
    malformed: () => new Refusal(400, 'bad_request'),
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
