/**
 * The SMART Health Link server of the sandbox (HL7 "SMART Health Cards and Links" IG, STU1), over
 * https with a certificate from a throw-away sandbox CA (its PEM is written for the workstation's
 * `shl.trustedCas`). It serves:
 *
 *   POST /m/<id>                   manifest {recipient, passcode?} -> {files:[{contentType, embedded|location}]}
 *                                  401 {remainingAttempts} on a wrong passcode; 404 once expired or exhausted
 *   GET  /m/<id>?recipient=...     flag U: the single encrypted file (application/jose)
 *   GET  /f/<fileId>               a file location (application/jose)
 *   GET  /issuer/.well-known/jwks.json   the SMART Health Card issuer's public key (ES256)
 *   POST /admin/links              (Bearer admin token) make a link for a FHIR Bundle -> {id, shlink, url}
 *   POST /admin/links/<id>/expire  (Bearer admin token) end a link now
 *
 * Loopback only; links live in memory (the sandbox re-seeds at each start, as for the HRI).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readJsonObject } from './json-body';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { CompactEncrypt, CompactSign, exportJWK, generateKeyPair, type JWK } from 'jose';
import { createTestCa } from '../../test/support/mtls-sts-responder';
import { encodeShlink } from '../../main/shl/payload';

export interface ShlServerOptions {
  port?: number;
  /** Where ca.pem is written (created). */
  dir: string;
  adminToken?: string;
}

export interface ShlLinkOptions {
  /** The FHIR Bundle the link carries. */
  bundle: unknown;
  /** fhir: one application/fhir+json file; shc: one application/smart-health-card file (signed by the sandbox issuer). */
  as?: 'fhir' | 'shc';
  /** IG flags, e.g. "L", "P", "LP", "U". */
  flag?: string;
  passcode?: string;
  /** Wrong passcodes allowed before the link is disabled (default 3). */
  maxAttempts?: number;
  /** Seconds since the epoch; written into the payload and enforced by the server. */
  exp?: number;
  label?: string;
  /** Files embedded in the manifest instead of served by location (default false). */
  embedded?: boolean;
  /** zip: DEF in the JWE (default true). */
  zip?: boolean;
  /** The payload's `v` (tests of a newer version). */
  v?: number;
  /** Test hooks: the manifest answers with a redirect, within the origin or to another one. */
  redirect?: 'same-origin' | 'other-origin';
  /** The manifest's `files[].status` (e.g. "retracted"). */
  fileStatus?: string;
  /** Test hook: the file is altered after encryption. */
  tamper?: boolean;
  /** Test hook: the card is signed by a key the issuer's JWKS does not hold. */
  forgedCard?: boolean;
  /** Test hook: the card names an issuer whose JWKS cannot be reached ("issuer not verified"). */
  unreachableIssuer?: boolean;
}

export interface ShlLink {
  id: string;
  /** The `shlink:/...` text (what the patient's QR holds). */
  shlink: string;
  /** The manifest URL. */
  url: string;
  label: string | null;
  flag: string;
  passcode: string | null;
}

export interface ShlServer {
  /** e.g. https://127.0.0.1:40123 */
  url: string;
  /** The sandbox CA certificate (PEM) that issued the server's certificate. */
  caPem: string;
  caFile: string;
  adminToken: string;
  /** The issuer of the SMART Health Cards it makes (its JWKS is served). */
  issuer: string;
  createLink(options: ShlLinkOptions): Promise<ShlLink>;
  expireLink(id: string): boolean;
  /** What the server saw, for tests (recipient, passcode given or not, outcome). */
  requests: { path: string; method: string; recipient: string | null; outcome: number }[];
  close(): Promise<void>;
}

interface StoredLink {
  id: string;
  flag: string;
  passcode: string | null;
  remaining: number;
  exp: number | null;
  disabled: boolean;
  embedded: boolean;
  redirect: ShlLinkOptions['redirect'];
  fileStatus: string | null;
  files: { id: string; contentType: string; jwe: string }[];
}

const MAX_BODY_BYTES = 16 * 1024;
/** Port 9 (discard) on loopback: nothing listens, so the JWKS fetch fails at once. */
const UNREACHABLE_ISSUER = 'https://127.0.0.1:9/issuer';
const MAX_ADMIN_BODY_BYTES = 32 * 1024 * 1024;
class BadRequest extends Error {}

export async function startShlServer(opts: ShlServerOptions): Promise<ShlServer> {
  const ca = createTestCa('HCP Sandbox SHL CA');
  const identity = ca.issue('localhost', 'server');
  mkdirSync(opts.dir, { recursive: true });
  const caFile = join(opts.dir, 'ca.pem');
  writeFileSync(caFile, ca.certificatePem);
  const adminToken = opts.adminToken ?? randomBytes(24).toString('base64url');
  const adminHash = sha256(adminToken);
  const issuerKeys = await generateKeyPair('ES256', { extractable: true });
  const forgerKeys = await generateKeyPair('ES256');
  const issuerJwk: JWK = { ...(await exportJWK(issuerKeys.publicKey)), use: 'sig', alg: 'ES256' };
  issuerJwk.kid = createHash('sha256')
    .update(JSON.stringify({ crv: issuerJwk.crv, kty: issuerJwk.kty, x: issuerJwk.x, y: issuerJwk.y }))
    .digest('base64url');
  const links = new Map<string, StoredLink>();
  const files = new Map<string, { link: StoredLink; jwe: string }>();
  const requests: ShlServer['requests'] = [];
  let base = '';

  const isAdmin = (req: IncomingMessage): boolean => {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return !!m && timingSafeEqual(sha256(m[1] ?? ''), adminHash);
  };
  const live = (link: StoredLink | undefined): link is StoredLink =>
    !!link && !link.disabled && (link.exp === null || link.exp * 1000 > Date.now());

  async function createLink(o: ShlLinkOptions): Promise<ShlLink> {
    const flag = o.flag ?? 'L';
    if (flag.includes('P') && !o.passcode) throw new Error('flag P needs a passcode');
    const id = randomBytes(32).toString('base64url');
    const key = new Uint8Array(randomBytes(32));
    const as = o.as ?? 'fhir';
    const contentType = as === 'shc' ? 'application/smart-health-card' : 'application/fhir+json';
    const plaintext =
      as === 'shc'
        ? await healthCard(
            o.bundle,
            o.forgedCard ? forgerKeys.privateKey : issuerKeys.privateKey,
            o.unreachableIssuer ? UNREACHABLE_ISSUER : `${base}/issuer`,
          )
        : JSON.stringify(o.bundle);
    const header = { alg: 'dir', enc: 'A256GCM', cty: contentType, ...(o.zip === false ? {} : { zip: 'DEF' }) };
    let jwe = await new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader(header).encrypt(key);
    if (o.tamper) {
      const parts = jwe.split('.');
      const c = parts[3]!;
      parts[3] = (c[0] === 'A' ? 'B' : 'A') + c.slice(1);
      jwe = parts.join('.');
    }
    const stored: StoredLink = {
      id,
      flag,
      passcode: o.passcode ?? null,
      remaining: o.maxAttempts ?? 3,
      exp: o.exp ?? null,
      disabled: false,
      embedded: o.embedded ?? false,
      redirect: o.redirect,
      fileStatus: o.fileStatus ?? null,
      files: [{ id: randomBytes(32).toString('base64url'), contentType, jwe }],
    };
    links.set(id, stored);
    for (const f of stored.files) files.set(f.id, { link: stored, jwe: f.jwe });
    const url = `${base}/m/${id}`;
    const shlink = encodeShlink({ url, key, exp: o.exp, flag, label: o.label, v: o.v });
    return { id, shlink, url, label: o.label ?? null, flag, passcode: stored.passcode };
  }

  async function healthCard(
    bundle: unknown,
    privateKey: Parameters<CompactSign['sign']>[0],
    iss: string,
  ): Promise<string> {
    const payload = {
      iss,
      nbf: Math.floor(Date.now() / 1000),
      vc: {
        type: ['https://smarthealth.cards#health-card'],
        credentialSubject: { fhirVersion: '4.0.1', fhirBundle: bundle },
      },
    };
    const jws = await new CompactSign(deflateRawSync(Buffer.from(JSON.stringify(payload))))
      .setProtectedHeader({ alg: 'ES256', zip: 'DEF', kid: issuerJwk.kid! })
      .sign(privateKey);
    return JSON.stringify({ verifiableCredential: [jws] });
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'https://localhost');
    const method = req.method ?? 'GET';
    const seen = { path: u.pathname, method, recipient: null as string | null, outcome: 0 };
    requests.push(seen);
    const answer = (status: number, body?: unknown, type = 'application/json') => {
      seen.outcome = status;
      reply(res, status, body, type);
    };

    if (u.pathname === '/issuer/.well-known/jwks.json' && method === 'GET') {
      res.setHeader('access-control-allow-origin', '*');
      return answer(200, { keys: [issuerJwk] });
    }

    if (u.pathname === '/admin/links' && method === 'POST') {
      if (!isAdmin(req)) return answer(401, { error: 'unauthorized' });
      const body = (await readJson(req, MAX_ADMIN_BODY_BYTES)) as unknown as ShlLinkOptions;
      if (!body.bundle || typeof body.bundle !== 'object') throw new BadRequest();
      // The test hooks (redirect, tamper, forgedCard) are allowed: this is the sandbox.
      return answer(200, await createLink(body));
    }
    const expire = /^\/admin\/links\/([A-Za-z0-9_-]+)\/expire$/.exec(u.pathname);
    if (expire && method === 'POST') {
      if (!isAdmin(req)) return answer(401, { error: 'unauthorized' });
      return answer(200, { expired: expireLink(expire[1]!) });
    }

    const manifest = /^\/(m|m2)\/([A-Za-z0-9_-]+)$/.exec(u.pathname);
    if (manifest) {
      const link = links.get(manifest[2]!);
      if (method === 'GET') {
        // Flag U: the single file, directly.
        seen.recipient = u.searchParams.get('recipient');
        if (!live(link) || !link.flag.includes('U')) return answer(404, { error: 'not_found' });
        if (!seen.recipient) return answer(400, { error: 'recipient required' });
        return answer(200, link.files[0]!.jwe, 'application/jose');
      }
      if (method !== 'POST') return answer(405, { error: 'method_not_allowed' });
      const body = await readJson(req, MAX_BODY_BYTES);
      seen.recipient = typeof body.recipient === 'string' ? body.recipient : null;
      if (!live(link) || link.flag.includes('U')) return answer(404, { error: 'not_found' });
      if (link.redirect && manifest[1] === 'm') {
        seen.outcome = 307;
        const host = link.redirect === 'other-origin' ? base.replace('127.0.0.1', 'localhost') : base;
        res.writeHead(307, { location: `${host}/m2/${link.id}` });
        res.end();
        return;
      }
      if (!seen.recipient || seen.recipient.length > 512) return answer(400, { error: 'recipient required' });
      if (link.passcode !== null) {
        const given = typeof body.passcode === 'string' ? body.passcode : '';
        if (!timingSafeEqual(sha256(given), sha256(link.passcode))) {
          link.remaining = Math.max(0, link.remaining - 1);
          if (link.remaining === 0) link.disabled = true;
          return answer(401, { remainingAttempts: link.remaining });
        }
      }
      return answer(200, {
        files: link.files.map((f) => ({
          contentType: f.contentType,
          ...(link.embedded ? { embedded: f.jwe } : { location: `${base}/f/${f.id}` }),
          ...(link.fileStatus ? { status: link.fileStatus } : {}),
        })),
      });
    }

    const file = /^\/f\/([A-Za-z0-9_-]+)$/.exec(u.pathname);
    if (file && method === 'GET') {
      const entry = files.get(file[1]!);
      if (!entry || !live(entry.link)) return answer(404, { error: 'not_found' });
      return answer(200, entry.jwe, 'application/jose');
    }
    return answer(404, { error: 'not_found' });
  };

  function expireLink(id: string): boolean {
    const link = links.get(id);
    if (!link) return false;
    link.disabled = true;
    return true;
  }

  const server: Server = createServer({ key: identity.privateKeyPem, cert: identity.certificatePem }, (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      reply(
        res,
        e instanceof BadRequest ? 400 : 500,
        { error: e instanceof BadRequest ? 'bad_request' : 'internal_error' },
        'application/json',
      );
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let closing: Promise<void> | null = null;
  return {
    url: base,
    caPem: ca.certificatePem,
    caFile,
    adminToken,
    issuer: `${base}/issuer`,
    createLink,
    expireLink,
    requests,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      })),
  };
}

/** The simulator's side: make a link through the admin API of a running sandbox. */
export async function createShlViaAdmin(
  server: { url: string; adminToken: string; caFile: string },
  options: ShlLinkOptions,
): Promise<ShlLink> {
  const { request } = await import('node:https');
  const caPem = readFileSync(server.caFile, 'utf8');
  const body = Buffer.from(JSON.stringify(options));
  return new Promise<ShlLink>((resolve, reject) => {
    const r = request(
      `${server.url}/admin/links`,
      {
        method: 'POST',
        ca: caPem,
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) reject(new Error(`SHL admin: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve(JSON.parse(text) as ShlLink);
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(body);
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function readJson(req: IncomingMessage, max: number): Promise<Record<string, unknown>> {
  return readJsonObject(req, max, { tooLarge: () => new BadRequest(), malformed: () => new BadRequest() });
}

function reply(res: ServerResponse, status: number, body: unknown, type: string): void {
  res.statusCode = status;
  res.setHeader('cache-control', 'no-store');
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? {});
  res.setHeader('content-type', type === 'application/json' ? 'application/json; charset=utf-8' : type);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
