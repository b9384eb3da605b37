import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { WorkstationError } from '../../common/errors';
import { base64UrlDecode, base64UrlEncode } from './encoding';
import { deriveHriLocationKey } from './keys';

/**
 * The cloud location the patient's app registers at the HRI, sealed so that only the QR's
 * master key opens it (docs/hri.md): `nonce(12) || AES-256-GCM ciphertext || tag(16)`, base64url,
 * AAD = UTF-8 of the citizen id. Unknown JSON fields are ignored (a newer app may add some).
 */
export const hriLocationSchema = z.object({
  v: z.literal(1),
  citizenId: z.string().min(1).max(128),
  endpoint: z.url({ protocol: /^https?$/ }),
  region: z.string().min(1).max(64),
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9!_.*'()/-]{1,512}$/)
    .refine((p) => !p.split('/').some((s) => s === '..' || s === '.'), 'no dot segments'),
  issuedAt: z.iso.datetime(),
  /** The patient's manifest signing key (RFC 7638 thumbprint): when present, the manifest must be signed by it. */
  patientKeyKid: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
});

export type HriLocation = z.infer<typeof hriLocationSchema>;

const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

/** For test vectors only: a fixed nonce. Production callers never pass it. */
export interface SealOptions {
  nonce?: Uint8Array;
}

export function sealHriLocation(masterKey: Uint8Array, location: HriLocation, options: SealOptions = {}): string {
  const checked = hriLocationSchema.parse(location);
  const nonce = options.nonce ? Buffer.from(options.nonce) : randomBytes(NONCE_LENGTH);
  if (nonce.length !== NONCE_LENGTH) throw new WorkstationError('INVALID_INPUT', { field: 'nonce' });
  const cipher = createCipheriv('aes-256-gcm', deriveHriLocationKey(masterKey), nonce);
  cipher.setAAD(Buffer.from(checked.citizenId, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(checked), 'utf8'), cipher.final()]);
  return base64UrlEncode(Buffer.concat([nonce, body, cipher.getAuthTag()]));
}

/**
 * Opens what the HRI answered. Any failure — malformed, wrong key, tampered, a location for
 * another citizen — is HRI_RESPONSE_INVALID: the workstation then falls back (cloud hint, cache).
 */
export function openHriLocation(masterKey: Uint8Array, citizenId: string, sealed: string): HriLocation {
  const bytes = base64UrlDecode(sealed);
  if (!bytes || bytes.length < NONCE_LENGTH + TAG_LENGTH + 2)
    throw new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'malformed' });
  const nonce = bytes.subarray(0, NONCE_LENGTH);
  const tag = bytes.subarray(bytes.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', deriveHriLocationKey(masterKey), nonce);
  decipher.setAAD(Buffer.from(citizenId, 'utf8'));
  decipher.setAuthTag(tag);
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([
      decipher.update(bytes.subarray(NONCE_LENGTH, bytes.length - TAG_LENGTH)),
      decipher.final(),
    ]);
  } catch (cause) {
    throw new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'authentication' }, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(plaintext.toString('utf8'));
  } catch (cause) {
    throw new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'json' }, { cause });
  }
  const parsed = hriLocationSchema.safeParse(json);
  if (!parsed.success) throw new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'schema' });
  if (parsed.data.citizenId !== citizenId) throw new WorkstationError('HRI_RESPONSE_INVALID', { reason: 'citizen' });
  return parsed.data;
}
