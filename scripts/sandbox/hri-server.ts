/**
 * The Health Record Index stand-in for the sandbox and the tests, exactly per docs/hri.md.
 * It stores, per citizen, the SHA-256 of the HRI emergency token and the sealed location blob;
 * a lookup hands the blob back when the token's hash matches (compared in constant time).
 * Registration needs the bearer registration token. Loopback only.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonObject } from './json-body';
import { listenLoopback, type ServerIdentity } from './tls';
import { hriTokenSha256, type CitizenRegistration } from './hri-client';

export interface HriServerOptions {
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** Bearer token for registration; a random one by default. */
  registrationToken?: string;
  /** JSON file that keeps registrations across restarts; in memory only when absent. */
  storeFile?: string;
  /** Also serve over https with this certificate (`tlsUrl`). */
  tls?: ServerIdentity | null;
}

export interface HriServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The same over https (certificate from the sandbox CA), when started with `tls`; else null. */
  tlsUrl: string | null;
  registrationToken: string;
  close(): Promise<void>;
}

interface StoredCitizen extends CitizenRegistration {
  registeredAt: string;
}

const MAX_BODY_BYTES = 64 * 1024;
const CITIZEN_ID = /^[A-Za-z2-7]{1,128}={0,6}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
// nonce(12) + tag(16): anything shorter cannot be a sealed location.
const MIN_SEALED_BYTES = 28;
const MAX_SEALED_CHARS = 16 * 1024;
const MAX_TOKEN_CHARS = 1024;

class BadRequest extends Error {}

export async function startHriServer(opts: HriServerOptions = {}): Promise<HriServer> {
  const registrationToken = opts.registrationToken ?? randomBytes(24).toString('base64url');
  const registrationTokenHash = sha256(registrationToken);
  const store = loadStore(opts.storeFile);

  const persist = (): void => {
    if (!opts.storeFile) return;
    const tmp = `${opts.storeFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(store), null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, opts.storeFile);
  };

  const isAuthorised = (req: IncomingMessage): boolean => {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    // Hashing both sides gives equal lengths, so the comparison time says nothing about the token.
    return !!match && timingSafeEqual(sha256(match[1] ?? ''), registrationTokenHash);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';

    if (path === '/v1/health') {
      if (method !== 'GET') return reply(res, 405, { error: 'method_not_allowed' });
      return reply(res, 200, { ok: true });
    }

    if (path === '/v1/emergency/lookup') {
      if (method !== 'POST') return reply(res, 405, { error: 'method_not_allowed' });
      const body = await readJson(req);
      const citizenId = body.citizenId;
      const hriToken = body.hriToken;
      if (typeof citizenId !== 'string' || !CITIZEN_ID.test(citizenId)) throw new BadRequest();
      if (typeof hriToken !== 'string' || hriToken.length === 0 || hriToken.length > MAX_TOKEN_CHARS)
        throw new BadRequest();
      const entry = store.get(citizenId);
      if (!entry) return reply(res, 404, { error: 'not_found' });
      const presented = Buffer.from(hriTokenSha256(hriToken), 'hex');
      const expected = Buffer.from(entry.hriTokenSha256, 'hex');
      if (!timingSafeEqual(presented, expected)) return reply(res, 403, { error: 'token_rejected' });
      return reply(res, 200, { v: 1, sealed: entry.sealed });
    }

    const citizen = /^\/v1\/citizens\/([^/]+)$/.exec(path);
    if (citizen) {
      if (method !== 'PUT' && method !== 'DELETE') return reply(res, 405, { error: 'method_not_allowed' });
      if (!isAuthorised(req)) {
        res.setHeader('www-authenticate', 'Bearer');
        return reply(res, 401, { error: 'unauthorized' });
      }
      const citizenId = decodePathSegment(citizen[1] ?? '');
      if (!CITIZEN_ID.test(citizenId)) throw new BadRequest();
      if (method === 'DELETE') {
        if (store.delete(citizenId)) persist();
        return reply(res, 204);
      }
      const body = await readJson(req);
      const { hriTokenSha256: hash, sealed } = body;
      if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) throw new BadRequest();
      if (typeof sealed !== 'string' || !isSealedShape(sealed)) throw new BadRequest();
      store.set(citizenId, { hriTokenSha256: hash.toLowerCase(), sealed, registeredAt: new Date().toISOString() });
      persist();
      return reply(res, 204);
    }

    return reply(res, 404, { error: 'not_found' });
  };

  const listener = await listenLoopback(
    (req, res) => {
      handle(req, res).catch((e: unknown) => {
        if (res.headersSent) return res.destroy();
        if (e instanceof BadRequest) reply(res, 400, { error: 'bad_request' });
        else reply(res, 500, { error: 'internal_error' });
      });
    },
    { port: opts.port, tls: opts.tls },
  );
  return { url: listener.url, tlsUrl: listener.tlsUrl, registrationToken, close: listener.close };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest();
  }
}

function isSealedShape(sealed: string): boolean {
  if (sealed.length > MAX_SEALED_CHARS || !BASE64URL.test(sealed)) return false;
  return Buffer.from(sealed, 'base64url').length >= MIN_SEALED_BYTES;
}

function loadStore(file: string | undefined): Map<string, StoredCitizen> {
  const store = new Map<string, StoredCitizen>();
  if (!file || !existsSync(file)) return store;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, StoredCitizen>;
  for (const [citizenId, entry] of Object.entries(parsed)) {
    if (
      CITIZEN_ID.test(citizenId) &&
      typeof entry?.hriTokenSha256 === 'string' &&
      SHA256_HEX.test(entry.hriTokenSha256) &&
      typeof entry.sealed === 'string'
    ) {
      store.set(citizenId, entry);
    }
  }
  return store;
}

function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  return readJsonObject(req, MAX_BODY_BYTES, { tooLarge: () => new BadRequest(), malformed: () => new BadRequest() });
}

function reply(res: ServerResponse, status: number, body?: unknown): void {
  res.statusCode = status;
  res.setHeader('cache-control', 'no-store');
  if (body === undefined) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

export { hriTokenSha256, registerCitizen, unregisterCitizen, type CitizenRegistration } from './hri-client';
