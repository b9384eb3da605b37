import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openHriLocation, sealHriLocation, type HriLocation } from '../../../main/crypto';
import { randomPseudonym } from '../../../main/emergency';
import { codeOf } from './helpers';

const masterKey = randomBytes(32);
const citizenId = randomPseudonym();
const location: HriLocation = {
  v: 1,
  citizenId,
  endpoint: 'http://127.0.0.1:7480',
  region: 'us-east-1',
  bucket: 'ehr',
  prefix: `citizens/${citizenId}`,
  issuedAt: '2026-01-01T00:00:00Z',
};

describe('sealed HRI location', () => {
  it('round-trips with a fresh nonce each time', () => {
    const a = sealHriLocation(masterKey, location);
    expect(a).not.toBe(sealHriLocation(masterKey, location));
    expect(openHriLocation(masterKey, citizenId, a)).toEqual(location);
  });

  it('refuses a wrong key, another citizen, tampering and junk with HRI_RESPONSE_INVALID', async () => {
    const sealed = sealHriLocation(masterKey, location);
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[20]! ^= 1;
    const other = randomPseudonym();
    const forOther = sealHriLocation(masterKey, { ...location, citizenId: other });
    for (const attempt of [
      () => openHriLocation(randomBytes(32), citizenId, sealed),
      () => openHriLocation(masterKey, other, sealed),
      () => openHriLocation(masterKey, citizenId, flipped.toString('base64url')),
      () => openHriLocation(masterKey, citizenId, 'not base64url!'),
      () => openHriLocation(masterKey, citizenId, ''),
      // A location sealed for another citizen, presented with that citizen's AAD but our QR.
      () => openHriLocation(masterKey, citizenId, forOther),
    ]) {
      expect(await codeOf(attempt)).toBe('HRI_RESPONSE_INVALID');
    }
  });

  it('refuses to seal a location with a path-escaping prefix', () => {
    expect(() => sealHriLocation(masterKey, { ...location, prefix: 'citizens/../other' })).toThrow();
  });
});
