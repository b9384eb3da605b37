import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { isWorkstationError } from '../../../common/errors';
import { emergencyViewOf } from '../../../main/fhir';
import { parseShlink, readShl, type ShlReadOptions } from '../../../main/shl';
import { createShlViaAdmin, type ShlLinkOptions } from '../../../scripts/sandbox/index';

/**
 * main/shl against the sandbox's SMART Health Link server: real https with the sandbox CA trusted
 * through configuration (as `shl.trustedCas` does), real manifests, passcode attempts and expiry.
 */
const sandbox = inject('sandbox');
const shl = sandbox.shl!;
const bundle = JSON.parse(
  readFileSync(join('..', 'shared', 'testdata', 'ips-samples', 'AT_ELGA_GmbH_01.json'), 'utf8'),
) as unknown;
let ca: string;

beforeAll(() => {
  ca = readFileSync(shl.caFile, 'utf8');
});

const options = (over: Partial<ShlReadOptions> = {}): ShlReadOptions => ({
  recipient: 'Dr Test (Integration Hospital)',
  http: { ca: [ca], timeoutMs: 10_000, maxBytes: 8 << 20 },
  maxInflateBytes: 16 << 20,
  ...over,
});

const link = async (o: Omit<ShlLinkOptions, 'bundle'> = {}) => {
  const made = await createShlViaAdmin(shl, { bundle, ...o });
  return { ...made, payload: parseShlink(made.shlink) };
};

async function failure(p: Promise<unknown>): Promise<{ code: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (isWorkstationError(e)) return { code: e.code, details: e.details };
    throw e;
  }
  throw new Error('expected a WorkstationError');
}

describe('SHL reader against the sandbox SHL server', () => {
  it('opens an L link with files by location (zip DEF): the IPS bundle comes out and renders', async () => {
    const l = await link({ flag: 'L', label: 'Emergency summary' });
    const fetched: string[] = [];
    const docs = await readShl(l.payload, options({ onFetched: (s) => fetched.push(s.what) }));
    expect(docs).toHaveLength(1);
    expect(docs[0]!.contentType).toBe('application/fhir+json');
    expect(JSON.parse(docs[0]!.bundle)).toEqual(bundle);
    expect(emergencyViewOf(docs[0]!.bundle).patient).toBeTruthy();
    expect(fetched).toEqual(['manifest', 'file']);
  });

  it('embedded files and the U flag (direct GET with ?recipient=) work too', async () => {
    const embedded = await link({ embedded: true, zip: false });
    expect(JSON.parse((await readShl(embedded.payload, options()))[0]!.bundle)).toEqual(bundle);
    const u = await link({ flag: 'U' });
    const fetched: string[] = [];
    expect(
      JSON.parse((await readShl(u.payload, options({ onFetched: (s) => fetched.push(s.what) })))[0]!.bundle),
    ).toEqual(bundle);
    expect(fetched).toEqual(['file']);
  });

  it('P link: right passcode opens; wrong ones count down; exhausted disables the link', async () => {
    const right = await link({ flag: 'P', passcode: '1234', maxAttempts: 3 });
    expect(await failure(readShl(right.payload, options()))).toEqual({ code: 'SHL_PASSCODE_REQUIRED' });
    expect(JSON.parse((await readShl(right.payload, options({ passcode: '1234' })))[0]!.bundle)).toEqual(bundle);

    const l = await link({ flag: 'LP', passcode: 'secret', maxAttempts: 3 });
    expect(await failure(readShl(l.payload, options({ passcode: 'wrong' })))).toEqual({
      code: 'SHL_PASSCODE_WRONG',
      details: { remainingAttempts: 2 },
    });
    expect(await failure(readShl(l.payload, options({ passcode: 'wrong' })))).toEqual({
      code: 'SHL_PASSCODE_WRONG',
      details: { remainingAttempts: 1 },
    });
    expect(await failure(readShl(l.payload, options({ passcode: 'wrong' })))).toEqual({
      code: 'SHL_PASSCODE_EXHAUSTED',
    });
    // Disabled: even the right passcode no longer opens it.
    expect(await failure(readShl(l.payload, options({ passcode: 'secret' })))).toEqual({ code: 'SHL_NO_LONGER_VALID' });
  });

  it('a link the server expired answers 404: SHL_NO_LONGER_VALID; one expired in its payload is refused before any fetch', async () => {
    const l = await link({ exp: Math.floor(Date.now() / 1000) + 3600 });
    const res = await fetchAdmin(`/admin/links/${l.id}/expire`);
    expect(res).toEqual({ expired: true });
    expect(await failure(readShl(l.payload, options()))).toEqual({ code: 'SHL_NO_LONGER_VALID' });

    const past = await createShlViaAdmin(shl, { bundle, exp: Math.floor(Date.now() / 1000) - 3600 });
    expect(
      (await failure(Promise.resolve().then(() => parseShlink(past.shlink, { clockSkewSeconds: 300 })))).code,
    ).toBe('SHL_EXPIRED');
  });

  it('a newer v is refused at parse: nothing is fetched', async () => {
    const made = await createShlViaAdmin(shl, { bundle, v: 2 });
    expect((await failure(Promise.resolve().then(() => parseShlink(made.shlink)))).code).toBe(
      'SHL_UNSUPPORTED_VERSION',
    );
  });

  it('a file its sharer retracted is not fetched or shown: SHL_NO_SUPPORTED_CONTENT; "finalized" is shown', async () => {
    const retracted = await link({ fileStatus: 'retracted' });
    const fetched: string[] = [];
    expect((await failure(readShl(retracted.payload, options({ onFetched: (s) => fetched.push(s.what) })))).code).toBe(
      'SHL_NO_SUPPORTED_CONTENT',
    );
    expect(fetched).toEqual(['manifest']);
    const finalized = await link({ fileStatus: 'finalized' });
    expect(await readShl(finalized.payload, options())).toHaveLength(1);
  });

  it('a tampered file is SHL_DECRYPT_FAILED (nothing shown)', async () => {
    const l = await link({ tamper: true });
    expect((await failure(readShl(l.payload, options()))).code).toBe('SHL_DECRYPT_FAILED');
  });

  it('redirects: followed within the origin, refused to another origin', async () => {
    const same = await link({ redirect: 'same-origin' });
    expect(JSON.parse((await readShl(same.payload, options()))[0]!.bundle)).toEqual(bundle);
    const other = await link({ redirect: 'other-origin' });
    expect(await failure(readShl(other.payload, options()))).toEqual({
      code: 'SHL_REDIRECT_REFUSED',
      details: { reason: 'other origin' },
    });
  });

  it('size and trust limits: a body over the cap is SHL_TOO_LARGE; without the sandbox CA the server is not trusted', async () => {
    const l = await link({ zip: false });
    expect(
      (await failure(readShl(l.payload, options({ http: { ca: [ca], timeoutMs: 10_000, maxBytes: 4096 } })))).code,
    ).toBe('SHL_TOO_LARGE');
    expect((await failure(readShl(l.payload, options({ maxInflateBytes: 4096 })))).code).toBe('SHL_TOO_LARGE');
    // zip DEF: the inflate stops at the cap.
    const zipped = await link({ zip: true });
    expect((await failure(readShl(zipped.payload, options({ maxInflateBytes: 4096 })))).code).toBe('SHL_TOO_LARGE');
    expect(await failure(readShl(l.payload, options({ http: { timeoutMs: 10_000, maxBytes: 8 << 20 } })))).toEqual({
      code: 'SHL_UNREACHABLE',
      details: { host: new URL(shl.url).host, reason: 'certificate not trusted' },
    });
  });

  it('SMART Health Card: verified against the issuer JWKS; a forged card is refused', async () => {
    const card = await link({ as: 'shc' });
    const docs = await readShl(card.payload, options());
    expect(docs[0]!.card).toEqual({ issuer: shl.issuer, verified: true });
    expect(JSON.parse(docs[0]!.bundle)).toEqual(bundle);
    const offline = await link({ as: 'shc', unreachableIssuer: true });
    expect((await readShl(offline.payload, options()))[0]!.card).toEqual({
      issuer: 'https://127.0.0.1:9/issuer',
      verified: false,
    });
    const forged = await link({ as: 'shc', forgedCard: true });
    expect((await failure(readShl(forged.payload, options()))).code).toBe('SHL_CARD_SIGNATURE_INVALID');
  });
});

async function fetchAdmin(path: string): Promise<unknown> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const r = request(
      `${shl.url}${path}`,
      { method: 'POST', ca, headers: { authorization: `Bearer ${shl.adminToken}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
      },
    );
    r.on('error', reject);
    r.end();
  });
}
