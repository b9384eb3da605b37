import { deflateRawSync } from 'node:zlib';
import { CompactEncrypt, CompactSign, exportJWK, generateKeyPair, type JSONWebKeySet } from 'jose';
import { describe, expect, it } from 'vitest';
import { isWorkstationError } from '../../../common/errors';
import { decryptShlFile, inflateCapped, readHealthCard } from '../../../main/shl';

const key = new Uint8Array(32).fill(9);
const other = new Uint8Array(32).fill(10);
const bundle = { resourceType: 'Bundle', type: 'document', entry: [] };

async function jwe(
  plaintext: string | Uint8Array,
  header: Record<string, unknown> = { alg: 'dir', enc: 'A256GCM' },
  k: Uint8Array = key,
): Promise<string> {
  const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
  return new CompactEncrypt(bytes).setProtectedHeader(header as never).encrypt(k);
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isWorkstationError(e)) return e.code;
    throw e;
  }
  throw new Error('expected a WorkstationError');
}

describe('SHL file decryption (compact JWE, dir + A256GCM, optional zip DEF)', () => {
  it('decrypts a file without and with zip DEF, keeping cty', async () => {
    const plain = JSON.stringify(bundle);
    const a = await decryptShlFile(
      await jwe(plain, { alg: 'dir', enc: 'A256GCM', cty: 'application/fhir+json' }),
      key,
      1 << 20,
    );
    expect(a.plaintext.toString()).toBe(plain);
    expect(a.cty).toBe('application/fhir+json');
    const b = await decryptShlFile(await jwe(plain, { alg: 'dir', enc: 'A256GCM', zip: 'DEF' }), key, 1 << 20);
    expect(b.plaintext.toString()).toBe(plain);
  });

  it('a tampered JWE (any part) or the wrong key is SHL_DECRYPT_FAILED', async () => {
    const good = await jwe(JSON.stringify(bundle));
    const parts = good.split('.');
    for (const i of [0, 2, 3, 4]) {
      const p = [...parts];
      const s = p[i]!;
      // flip one character in the middle of the part (still base64url)
      const at = Math.floor(s.length / 2);
      p[i] = s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
      expect(await codeOf(decryptShlFile(p.join('.'), key, 1 << 20)), `part ${i}`).toBe('SHL_DECRYPT_FAILED');
    }
    expect(await codeOf(decryptShlFile(good, other, 1 << 20))).toBe('SHL_DECRYPT_FAILED');
    expect(await codeOf(decryptShlFile('not.a.jwe', key, 1 << 20))).toBe('SHL_DECRYPT_FAILED');
  });

  it('refuses algorithms other than dir + A256GCM', async () => {
    const k16 = new Uint8Array(16).fill(1);
    expect(await codeOf(decryptShlFile(await jwe('x', { alg: 'dir', enc: 'A128GCM' }, k16), k16, 1 << 20))).toBe(
      'SHL_DECRYPT_FAILED',
    );
    expect(await codeOf(decryptShlFile(await jwe('x', { alg: 'A256KW', enc: 'A256GCM' }), key, 1 << 20))).toBe(
      'SHL_DECRYPT_FAILED',
    );
  });

  it('an oversized inflate (zip bomb) stops at the cap: SHL_TOO_LARGE', async () => {
    const bomb = new Uint8Array(4 * 1024 * 1024); // 4 MiB of zeros deflates to a few KiB
    const token = await jwe(bomb, { alg: 'dir', enc: 'A256GCM', zip: 'DEF' });
    expect(token.length).toBeLessThan(64 * 1024);
    expect(await codeOf(decryptShlFile(token, key, 1024 * 1024))).toBe('SHL_TOO_LARGE');
    // Without compression the cap holds too.
    expect(await codeOf(decryptShlFile(await jwe(new Uint8Array(2048)), key, 1024))).toBe('SHL_TOO_LARGE');
    expect(await codeOf(inflateCapped(deflateRawSync(Buffer.alloc(1 << 20)), 1000))).toBe('SHL_TOO_LARGE');
  });
});

describe('SMART Health Card (JWS ES256, zip DEF, issuer JWKS)', async () => {
  const issuer = 'https://issuer.example/shc';
  const signer = await generateKeyPair('ES256', { extractable: true });
  const stranger = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(signer.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' };
  const strangerJwk = { ...(await exportJWK(stranger.publicKey)), kid: 'k1', use: 'sig', alg: 'ES256' };

  async function card(payload: unknown, privateKey = signer.privateKey): Promise<string> {
    const deflated = deflateRawSync(Buffer.from(JSON.stringify(payload)));
    const jws = await new CompactSign(deflated)
      .setProtectedHeader({ alg: 'ES256', zip: 'DEF', kid: 'k1' })
      .sign(privateKey);
    return JSON.stringify({ verifiableCredential: [jws] });
  }
  const vc = {
    iss: issuer,
    nbf: 1_700_000_000,
    vc: {
      type: ['https://smarthealth.cards#health-card'],
      credentialSubject: { fhirVersion: '4.0.1', fhirBundle: bundle },
    },
  };
  const jwks = (keys: object[]) => async () => ({ keys }) as JSONWebKeySet;

  it('verifies against the issuer JWKS and returns the bundle', async () => {
    const seen: string[] = [];
    const r = await readHealthCard(
      await card(vc),
      async (iss) => (seen.push(iss), { keys: [jwk] } as JSONWebKeySet),
      1 << 20,
    );
    expect(r).toEqual({ bundle: JSON.stringify(bundle), issuer, issuerVerified: true });
    expect(seen).toEqual([issuer]);
  });

  it('JWKS unreachable: the card is read, marked "issuer not verified"', async () => {
    const r = await readHealthCard(await card(vc), async () => null, 1 << 20);
    expect(r.issuerVerified).toBe(false);
    const thrown = await readHealthCard(
      await card(vc),
      async () => {
        throw new Error('offline');
      },
      1 << 20,
    );
    expect(thrown.issuerVerified).toBe(false);
  });

  it('JWKS reachable but the signature does not match: refused', async () => {
    expect(await codeOf(readHealthCard(await card(vc, stranger.privateKey), jwks([jwk]), 1 << 20))).toBe(
      'SHL_CARD_SIGNATURE_INVALID',
    );
    expect(await codeOf(readHealthCard(await card(vc), jwks([strangerJwk]), 1 << 20))).toBe(
      'SHL_CARD_SIGNATURE_INVALID',
    );
    expect(await codeOf(readHealthCard(await card(vc), jwks([]), 1 << 20))).toBe('SHL_CARD_SIGNATURE_INVALID');
  });

  it('refuses malformed cards with typed errors', async () => {
    expect(await codeOf(readHealthCard('{}', jwks([jwk]), 1 << 20))).toBe('SHL_RESPONSE_INVALID');
    expect(
      await codeOf(readHealthCard(await card({ ...vc, iss: 'http://issuer.example' }), jwks([jwk]), 1 << 20)),
    ).toBe('SHL_RESPONSE_INVALID');
    expect(await codeOf(readHealthCard(await card({ iss: issuer, vc: {} }), jwks([jwk]), 1 << 20))).toBe(
      'SHL_RESPONSE_INVALID',
    );
    const big = { ...vc, padding: 'x'.repeat(200_000) };
    expect(await codeOf(readHealthCard(await card(big), jwks([jwk]), 64 * 1024))).toBe('SHL_TOO_LARGE');
  });
});
