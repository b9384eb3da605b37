/**
 * The HRI stand-in against docs/hri.md: registration with the bearer token, emergency lookup
 * (200 / 403 wrong token / 404 unknown / 400 malformed), deletion, health, persistence.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import {
  HriRegistrationError,
  hriTokenSha256,
  registerCitizen,
  unregisterCitizen,
} from '../../../scripts/sandbox/hri-client';
import { startHriServer } from '../../../scripts/sandbox/hri-server';

const { hri } = inject('sandbox');

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

const newCitizen = (): { citizenId: string; hriToken: string; sealed: string } => ({
  citizenId: base32(randomBytes(10)),
  hriToken: base32(randomBytes(20)),
  sealed: randomBytes(12 + 80 + 16).toString('base64url'),
});

async function lookup(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}/v1/emergency/lookup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

describe('HRI stand-in', () => {
  it('answers health', async () => {
    const res = await fetch(`${hri.url}/v1/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it('hands back the sealed location for the right token', async () => {
    const c = newCitizen();
    await registerCitizen(hri.url, hri.registrationToken, c.citizenId, {
      hriTokenSha256: hriTokenSha256(c.hriToken),
      sealed: c.sealed,
    });
    expect(await lookup(hri.url, { citizenId: c.citizenId, hriToken: c.hriToken })).toEqual({
      status: 200,
      json: { v: 1, sealed: c.sealed },
    });
  });

  it('rejects a wrong token with 403', async () => {
    const c = newCitizen();
    await registerCitizen(hri.url, hri.registrationToken, c.citizenId, {
      hriTokenSha256: hriTokenSha256(c.hriToken),
      sealed: c.sealed,
    });
    expect(await lookup(hri.url, { citizenId: c.citizenId, hriToken: base32(randomBytes(20)) })).toEqual({
      status: 403,
      json: { error: 'token_rejected' },
    });
  });

  it('answers 404 for an unknown citizen', async () => {
    const c = newCitizen();
    expect(await lookup(hri.url, { citizenId: c.citizenId, hriToken: c.hriToken })).toEqual({
      status: 404,
      json: { error: 'not_found' },
    });
  });

  it('answers 400 for malformed lookups', async () => {
    const bad = { status: 400, json: { error: 'bad_request' } };
    expect(await lookup(hri.url, '{not json')).toEqual(bad);
    expect(await lookup(hri.url, { citizenId: 'not/base32!', hriToken: 'X' })).toEqual(bad);
    expect(await lookup(hri.url, { citizenId: 'ABCDEFGH' })).toEqual(bad);
    expect(await lookup(hri.url, [1, 2])).toEqual(bad);
  });

  it('replaces a registration, and forgets it on delete', async () => {
    const c = newCitizen();
    const second = newCitizen();
    await registerCitizen(hri.url, hri.registrationToken, c.citizenId, {
      hriTokenSha256: hriTokenSha256(c.hriToken),
      sealed: c.sealed,
    });
    await registerCitizen(hri.url, hri.registrationToken, c.citizenId, {
      hriTokenSha256: hriTokenSha256(second.hriToken),
      sealed: second.sealed,
    });
    expect((await lookup(hri.url, { citizenId: c.citizenId, hriToken: c.hriToken })).status).toBe(403);
    expect(await lookup(hri.url, { citizenId: c.citizenId, hriToken: second.hriToken })).toEqual({
      status: 200,
      json: { v: 1, sealed: second.sealed },
    });
    await unregisterCitizen(hri.url, hri.registrationToken, c.citizenId);
    expect((await lookup(hri.url, { citizenId: c.citizenId, hriToken: second.hriToken })).status).toBe(404);
  });

  it('refuses registration without the registration token (401) or with a malformed body (400)', async () => {
    const c = newCitizen();
    const reg = { hriTokenSha256: hriTokenSha256(c.hriToken), sealed: c.sealed };
    await expect(registerCitizen(hri.url, 'wrong-token', c.citizenId, reg)).rejects.toMatchObject({ status: 401 });
    const noAuth = await fetch(`${hri.url}/v1/citizens/${c.citizenId}`, { method: 'PUT', body: JSON.stringify(reg) });
    expect(noAuth.status).toBe(401);
    await expect(unregisterCitizen(hri.url, 'wrong-token', c.citizenId)).rejects.toBeInstanceOf(HriRegistrationError);
    await expect(
      registerCitizen(hri.url, hri.registrationToken, c.citizenId, { ...reg, hriTokenSha256: 'abc' }),
    ).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      registerCitizen(hri.url, hri.registrationToken, c.citizenId, { ...reg, sealed: 'too-short' }),
    ).rejects.toMatchObject({
      status: 400,
    });
    expect((await lookup(hri.url, { citizenId: c.citizenId, hriToken: c.hriToken })).status).toBe(404);
  });

  it('keeps registrations in its JSON store across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hri-store-'));
    try {
      const storeFile = join(dir, 'store.json');
      const c = newCitizen();
      const first = await startHriServer({ storeFile });
      await registerCitizen(first.url, first.registrationToken, c.citizenId, {
        hriTokenSha256: hriTokenSha256(c.hriToken),
        sealed: c.sealed,
      });
      await first.close();
      const second = await startHriServer({ storeFile, registrationToken: 'fixed-token' });
      try {
        expect(second.registrationToken).toBe('fixed-token');
        expect(await lookup(second.url, { citizenId: c.citizenId, hriToken: c.hriToken })).toEqual({
          status: 200,
          json: { v: 1, sealed: c.sealed },
        });
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
