import { z } from 'zod';

/**
 * The record manifest (docs/formats.md): the patient's index of their record objects. It is
 * stored encrypted (container purpose 'manifest') and optionally signed by the patient.
 */
export const MANIFEST_FORMAT = 'hcp-ehr-manifest';
export const MANIFEST_SCHEMA_VERSION = 1;

/** Roles this version knows. Unknown roles from a newer app are kept and shown as attachments. */
export const KNOWN_ROLES = ['ips-summary', 'attachment', 'imaging', 'addition'] as const;
export type KnownRole = (typeof KNOWN_ROLES)[number];

const ISO_DATETIME = z.iso.datetime({ offset: true });
const SHA256_HEX = z.string().regex(/^[0-9a-f]{64}$/);
export const OBJECT_ID_PATTERN = /^[a-z2-7]{26}$/;

export const manifestObjectSchema = z.object({
  /** base32 (lowercase) of 16 random bytes: also the object key's last path segment. */
  id: z.string().regex(OBJECT_ID_PATTERN),
  role: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  contentType: z.string().regex(/^[\x20-\x7e]{1,255}$/),
  /** Plaintext size in bytes. */
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  /** SHA-256 of the plaintext, lowercase hex. */
  sha256: SHA256_HEX,
  created: ISO_DATETIME,
  title: z.string().min(1).max(200).optional(),
});

const ecPublicJwk = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  y: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
const rsaPublicJwk = z.object({
  kty: z.literal('RSA'),
  n: z.string().regex(/^[A-Za-z0-9_-]{342,}$/),
  e: z.string().regex(/^[A-Za-z0-9_-]{1,8}$/),
});
export const publicJwkSchema = z.union([ecPublicJwk, rsaPublicJwk]);
export type PublicJwk = z.infer<typeof publicJwkSchema>;

export const manifestSchema = z
  .object({
    format: z.literal(MANIFEST_FORMAT),
    v: z.literal(MANIFEST_SCHEMA_VERSION),
    citizenId: z.string().min(1).max(128),
    /** Record version: 1 for the first upload, +1 each time the patient publishes a change (e.g. merged additions). */
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    created: ISO_DATETIME,
    /** The manifest this one replaces: its version and the SHA-256 of its payload bytes. */
    previous: z.object({ version: z.number().int().min(1), sha256: SHA256_HEX }).optional(),
    objects: z.array(manifestObjectSchema).max(10_000),
    /** The patient's signing key; when present, the manifest must carry a valid signature by it. */
    patientKey: z.object({ kid: z.string().regex(/^[A-Za-z0-9_-]{43}$/), jwk: publicJwkSchema }).optional(),
  })
  .superRefine((m, ctx) => {
    const ids = new Set<string>();
    for (const o of m.objects) {
      if (ids.has(o.id)) ctx.addIssue({ code: 'custom', message: `duplicate object id ${o.id}` });
      ids.add(o.id);
    }
    if (m.objects.filter((o) => o.role === 'ips-summary').length !== 1)
      ctx.addIssue({ code: 'custom', message: 'exactly one ips-summary' });
    if (m.previous && m.previous.version >= m.version)
      ctx.addIssue({ code: 'custom', message: 'previous version must be lower' });
  });

export type RecordManifest = z.infer<typeof manifestSchema>;
export type ManifestObject = z.infer<typeof manifestObjectSchema>;

export function ipsSummaryEntry(manifest: RecordManifest): ManifestObject {
  return manifest.objects.find((o) => o.role === 'ips-summary') as ManifestObject;
}
