/**
 * The registration side of the HRI API (docs/hri.md), as the patient's app or the simulator uses
 * it. The workstation's lookup client lives in main/hri.
 */
import { createHash } from 'node:crypto';

export interface CitizenRegistration {
  /** Lower-case hex SHA-256 of the HRI emergency token (see {@link hriTokenSha256}). */
  hriTokenSha256: string;
  /** base64url of nonce(12) || AES-256-GCM ciphertext || tag(16), per docs/hri.md. */
  sealed: string;
}

/**
 * The hash the HRI stores and compares: SHA-256 over the UTF-8 bytes of the token exactly as it
 * is sent in a lookup (the base32 text), as lower-case hex.
 */
export function hriTokenSha256(hriToken: string): string {
  return createHash('sha256').update(hriToken, 'utf8').digest('hex');
}

export class HriRegistrationError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`HRI registration failed: HTTP ${status} ${body.slice(0, 200)}`);
    this.name = 'HriRegistrationError';
  }
}

function citizenUrl(hriUrl: string, citizenId: string): string {
  return new URL(
    `v1/citizens/${encodeURIComponent(citizenId)}`,
    hriUrl.endsWith('/') ? hriUrl : `${hriUrl}/`,
  ).toString();
}

async function send(method: 'PUT' | 'DELETE', url: string, token: string, body?: CitizenRegistration): Promise<void> {
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 204) throw new HriRegistrationError(res.status, text);
}

/** Registers (or replaces) a citizen's sealed location. Throws HriRegistrationError unless 204. */
export function registerCitizen(
  hriUrl: string,
  registrationToken: string,
  citizenId: string,
  registration: CitizenRegistration,
): Promise<void> {
  return send('PUT', citizenUrl(hriUrl, citizenId), registrationToken, {
    hriTokenSha256: registration.hriTokenSha256,
    sealed: registration.sealed,
  });
}

/** Removes a citizen's registration (204 whether or not it existed). */
export function unregisterCitizen(hriUrl: string, registrationToken: string, citizenId: string): Promise<void> {
  return send('DELETE', citizenUrl(hriUrl, citizenId), registrationToken);
}
