import type { JSONWebKeySet } from 'jose';
import { WorkstationError } from '../../common/errors';
import { decryptShlFile, readHealthCard, SHL_CONTENT_FHIR, SHL_CONTENT_SHC } from './content';
import { shlRequest, type ShlHttpOptions } from './http';
import type { ShlPayload } from './payload';

/**
 * Fetch what a SMART Health Link points at: the manifest (POST {recipient, passcode?}) or, with
 * flag U, the single file (GET ?recipient=); then each file, embedded or by location, decrypted
 * with the link's key. Patient summaries come out (FHIR JSON text), each with how it was checked.
 */
export interface ShlReadOptions {
  /** Who is asking (the IG: a string naming the recipient): the clinician and the hospital. */
  recipient: string;
  passcode?: string;
  http: Omit<ShlHttpOptions, 'signal'>;
  /** Cap on each decrypted (and inflated) file. */
  maxInflateBytes: number;
  signal?: AbortSignal;
  /** Every server exchange that returned data, for the audit trail (URLs without query). */
  onFetched?: (step: { what: 'manifest' | 'file' | 'jwks'; host: string; path: string; bytes: number }) => void;
}

export interface ShlDocument {
  contentType: typeof SHL_CONTENT_FHIR | typeof SHL_CONTENT_SHC;
  /** FHIR Bundle JSON text. */
  bundle: string;
  /** For a SMART Health Card: its issuer and whether its signature was verified against the issuer's JWKS. */
  card: { issuer: string; verified: boolean } | null;
}

const MAX_FILES = 50;
const JWKS_MAX_BYTES = 256 * 1024;

export async function readShl(payload: ShlPayload, options: ShlReadOptions): Promise<ShlDocument[]> {
  const files = payload.flags.has('U') ? [await directFile(payload, options)] : await manifestFiles(payload, options);
  const docs: ShlDocument[] = [];
  for (const file of files) {
    const jwe = file.embedded ?? (await fetchLocation(file.location!, options));
    const decrypted = await decryptShlFile(jwe, payload.key, options.maxInflateBytes);
    const contentType = (file.contentType ?? decrypted.cty ?? '').toLowerCase();
    const text = decrypted.plaintext.toString('utf8');
    if (contentType === SHL_CONTENT_FHIR) docs.push({ contentType, bundle: text, card: null });
    else if (contentType === SHL_CONTENT_SHC) {
      const card = await readHealthCard(text, (iss) => fetchJwks(iss, options), options.maxInflateBytes);
      docs.push({ contentType, bundle: card.bundle, card: { issuer: card.issuer, verified: card.issuerVerified } });
    }
    // Other types (e.g. application/smart-api-access) are not patient summaries: ignored, as the IG allows.
  }
  if (docs.length === 0) throw new WorkstationError('SHL_NO_SUPPORTED_CONTENT');
  return docs;
}

/** File statuses (IG manifest `files[].status`) whose content must not be shown. */
const WITHDRAWN = new Set(['entered-in-error', 'no-longer-valid', 'retracted']);

interface ManifestFile {
  contentType: string | null;
  embedded?: string;
  location?: string;
}

async function manifestFiles(payload: ShlPayload, options: ShlReadOptions): Promise<ManifestFile[]> {
  const needsPasscode = payload.flags.has('P');
  if (needsPasscode && !options.passcode) throw new WorkstationError('SHL_PASSCODE_REQUIRED');
  const body: Record<string, unknown> = { recipient: options.recipient };
  if (needsPasscode) body.passcode = options.passcode;
  const res = await shlRequest(
    { method: 'POST', url: payload.url, json: body },
    { ...options.http, signal: options.signal },
  );
  const host = new URL(payload.url).host;
  if (res.status === 401 || res.status === 403) {
    const remaining = remainingAttempts(res.body);
    if (!needsPasscode) throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: `HTTP ${res.status}` });
    if (remaining !== null && remaining <= 0) throw new WorkstationError('SHL_PASSCODE_EXHAUSTED');
    throw new WorkstationError(
      'SHL_PASSCODE_WRONG',
      remaining === null ? { remainingAttempts: '?' } : { remainingAttempts: remaining },
    );
  }
  if (res.status === 404) throw new WorkstationError('SHL_NO_LONGER_VALID');
  if (res.status === 429 || res.status >= 500)
    throw new WorkstationError('SHL_UNREACHABLE', { host, status: res.status });
  if (res.status !== 200) throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: `HTTP ${res.status}` });
  options.onFetched?.({ what: 'manifest', host, path: new URL(res.url).pathname, bytes: res.body.length });

  let manifest: unknown;
  try {
    manifest = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'manifest is not JSON' });
  }
  const list = (manifest as { files?: unknown } | null)?.files;
  if (!Array.isArray(list)) throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'manifest has no files' });
  if (list.length > MAX_FILES) throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'too many files' });
  // A file its sharer marked entered-in-error, no longer valid or retracted is not shown (not even fetched).
  const current = list.filter((f) => !WITHDRAWN.has(String((f as { status?: unknown } | null)?.status ?? '')));
  return current.map((f): ManifestFile => {
    const entry = (f ?? {}) as Record<string, unknown>;
    const contentType = typeof entry.contentType === 'string' ? entry.contentType : null;
    if (typeof entry.embedded === 'string') return { contentType, embedded: entry.embedded };
    if (typeof entry.location === 'string') {
      let u: URL;
      try {
        u = new URL(entry.location);
      } catch {
        throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'file location' });
      }
      if (u.protocol !== 'https:')
        throw new WorkstationError('SHL_INSECURE_URL', { protocol: u.protocol.replace(/:$/, '') });
      return { contentType, location: u.href };
    }
    throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: 'file has neither embedded nor location' });
  });
}

async function directFile(payload: ShlPayload, options: ShlReadOptions): Promise<ManifestFile> {
  const url = new URL(payload.url);
  url.searchParams.set('recipient', options.recipient);
  const jwe = await fetchJwe(url.href, options);
  return { contentType: null, embedded: jwe };
}

async function fetchLocation(location: string, options: ShlReadOptions): Promise<string> {
  return fetchJwe(location, options);
}

async function fetchJwe(url: string, options: ShlReadOptions): Promise<string> {
  const res = await shlRequest(
    { method: 'GET', url, accept: 'application/jose' },
    { ...options.http, signal: options.signal },
  );
  const u = new URL(url);
  if (res.status === 404) throw new WorkstationError('SHL_NO_LONGER_VALID');
  if (res.status === 429 || res.status >= 500)
    throw new WorkstationError('SHL_UNREACHABLE', { host: u.host, status: res.status });
  if (res.status !== 200) throw new WorkstationError('SHL_RESPONSE_INVALID', { reason: `HTTP ${res.status}` });
  options.onFetched?.({ what: 'file', host: u.host, path: u.pathname, bytes: res.body.length });
  return res.body.toString('utf8');
}

/** The issuer's keys, or null when they cannot be had (then the card is shown as "issuer not verified"). */
async function fetchJwks(issuer: string, options: ShlReadOptions): Promise<JSONWebKeySet | null> {
  const url = `${issuer}/.well-known/jwks.json`;
  try {
    const res = await shlRequest(
      { method: 'GET', url },
      { ...options.http, maxBytes: Math.min(options.http.maxBytes, JWKS_MAX_BYTES), signal: options.signal },
    );
    if (res.status !== 200) return null;
    const jwks = JSON.parse(res.body.toString('utf8')) as JSONWebKeySet;
    if (!Array.isArray(jwks?.keys)) return null;
    const u = new URL(url);
    options.onFetched?.({ what: 'jwks', host: u.host, path: u.pathname, bytes: res.body.length });
    return jwks;
  } catch (e) {
    if (e instanceof WorkstationError && e.code === 'CANCELLED') throw e;
    return null;
  }
}

function remainingAttempts(body: Buffer): number | null {
  try {
    const n = (JSON.parse(body.toString('utf8')) as { remainingAttempts?: unknown }).remainingAttempts;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
  } catch {
    return null;
  }
}
