import { z } from 'zod';

/**
 * The hospital configuration: one schema, validated at load. Defaults live in
 * resources/config/defaults.json; a machine-wide file and a user file override them
 * (main/config). Unknown keys are refused so that a typo is reported, not ignored.
 */
const Oid = z.string().regex(/^[0-2](\.(0|[1-9][0-9]*))+$/, 'must be a dotted OID such as 1.3.6.1.5.5.7.3.2');
const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });

export const CredentialProviderConfig = z.discriminatedUnion('kind', [
  z
    .object({
      /**
       * The EHR cloud's emergency-access endpoint (docs/emergency-access.md): per (clinician, patient)
       * credentials scoped by a session policy; no long-lived cloud secret on the workstation.
       */
      kind: z.literal('emergency-access'),
      endpoint: HttpUrl,
    })
    .strict(),
  z
    .object({
      /** STS AssumeRole by the workstation account, scoped by the role policy. */
      kind: z.literal('sts-assume-role'),
      stsEndpoint: HttpUrl,
      accessKey: z.string().min(1),
      secretKey: z.string().min(1),
      roleArn: z.string().min(1),
      durationSeconds: z.number().int().min(900).max(43_200).default(900),
    })
    .strict(),
  z
    .object({
      /** MinIO AssumeRoleWithCertificate: mutual TLS with the clinician's certificate. */
      kind: z.literal('minio-certificate'),
      stsEndpoint: HttpUrl,
      durationSeconds: z.number().int().min(900).max(43_200).default(900),
    })
    .strict(),
  z
    .object({
      /** Static keys: refused outside training mode. */
      kind: z.literal('static'),
      accessKey: z.string().min(1),
      secretKey: z.string().min(1),
    })
    .strict(),
]);
export type CredentialProviderConfig = z.infer<typeof CredentialProviderConfig>;

export const HospitalConfig = z
  .object({
    mode: z.enum(['training', 'production']),
    hospital: z.object({ name: z.string().min(1), workstationId: z.string().min(1) }).strict(),
    hri: z
      .object({
        url: HttpUrl,
        timeoutMs: z.number().int().min(100).max(60_000),
        retries: z.number().int().min(0).max(5),
        /** Hosts (`host` or `host:port`) a QR cloud hint may name when the HRI cannot answer; the default cloud endpoint's host is always allowed. */
        cloudHintHosts: z
          .array(z.string().regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'must be a host name or host:port'))
          .max(64),
      })
      .strict(),
    cloud: z
      .object({
        /** Used when the HRI does not name an endpoint (and as the fallback when the HRI is down). */
        defaultEndpoint: HttpUrl.nullable(),
        region: z.string().min(1),
        buckets: z.object({ ehr: z.string().min(3), pending: z.string().min(3), audit: z.string().min(3) }).strict(),
        credentials: CredentialProviderConfig,
        concurrency: z.number().int().min(1).max(16),
        timeoutMs: z.number().int().min(500).max(300_000),
      })
      .strict(),
    /** TLS to the HRI, the EHR cloud (S3, STS) and the emergency-access endpoint. Optional: absent means the system's roots only. */
    tls: z
      .object({
        /** Extra CA certificates (PEM files) trusted for those servers' certificates, besides the system's roots. */
        trustedCas: z.array(z.string().min(1)),
      })
      .strict()
      .optional(),
    pki: z
      .object({
        trustAnchors: z.array(z.string().min(1)).min(1),
        intermediates: z.array(z.string().min(1)),
        crlFiles: z.array(z.string().min(1)),
        fetchCrlDistributionPoints: z.boolean(),
        revocation: z.enum(['hard-fail', 'warn']),
        clockSkewSeconds: z.number().int().min(0).max(3600),
        /** OID required in extendedKeyUsage of the clinician's certificate, or "any". */
        clinicianEku: z.union([Oid, z.literal('any')]),
        requiredPolicy: Oid.nullable(),
        /** Extension carrying the professional role, when the national PKI uses one. */
        roleExtensionOid: Oid.nullable(),
      })
      .strict(),
    /** SMART Health Links (main/shl). Optional: absent means these defaults. */
    shl: z
      .object({
        /** Extra CA certificates (PEM files) trusted for SHL servers and card issuers, besides the system's roots. */
        trustedCas: z.array(z.string().min(1)),
        timeoutMs: z.number().int().min(500).max(120_000),
        /** Cap on any one response body (manifest, file, JWKS). */
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024),
        /** Cap on a decrypted, inflated file. */
        maxInflateBytes: z
          .number()
          .int()
          .min(1024)
          .max(64 * 1024 * 1024),
      })
      .strict()
      .optional(),
    cache: z
      .object({
        retentionHours: z
          .number()
          .min(0.25)
          .max(24 * 30),
        purgeOnSignOut: z.boolean(),
        /** The largest attachment fetched (streamed into the encrypted cache); larger ones are refused before download. */
        maxAttachmentBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(16 * 1024 * 1024 * 1024),
      })
      .strict(),
    session: z
      .object({
        idleLockMinutes: z.number().min(1).max(120),
        emergencyAccessMinutes: z
          .number()
          .min(5)
          .max(24 * 60),
        /** Whether a clinician may change the settings above within these bounds (user file). */
        userMayShortenIdleLock: z.boolean(),
      })
      .strict(),
    scanner: z
      .object({
        wedge: z
          .object({
            enabled: z.boolean(),
            maxAverageInterKeyMs: z.number().int().min(5).max(200),
            minLength: z.number().int().min(4).max(200),
            suffix: z.enum(['Enter', 'Tab', 'Enter-or-Tab']),
          })
          .strict(),
        serial: z
          .object({
            enabled: z.boolean(),
            path: z.string().min(1).nullable(),
            baudRate: z.number().int().positive(),
          })
          .strict(),
      })
      .strict(),
    /** Clinician additions (main/additions). Optional: absent means ATTACHMENT_MAX_BYTES / SUBMISSION_MAX_BYTES. */
    additions: z
      .object({
        /** The largest attachment a clinician may add (refused when staging begins). */
        attachmentMaxBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(4 * 1024 * 1024 * 1024),
        /** All attachments of one submission together. */
        submissionMaxBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .max(4 * 1024 * 1024 * 1024),
      })
      .strict()
      .optional(),
    audit: z
      .object({
        shipIntervalSeconds: z.number().int().min(5).max(86_400),
        batchSize: z.number().int().min(1).max(10_000),
      })
      .strict(),
    ui: z
      .object({
        languages: z.array(z.enum(['en', 'el'])).min(1),
        defaultLanguage: z.enum(['en', 'el']),
      })
      .strict(),
  })
  .strict()
  .superRefine((config, ctx) => {
    // Rules that span keys; each problem names the key an administrator must change.
    if (config.mode === 'production' && config.cloud.credentials.kind === 'static') {
      ctx.addIssue({
        code: 'custom',
        path: ['cloud', 'credentials', 'kind'],
        message: 'static credentials are refused in production mode; use "emergency-access" or "minio-certificate"',
      });
    }
    if (config.mode === 'production' && config.cloud.credentials.kind === 'sts-assume-role') {
      // The workstation's own long-lived secret would sit in this file (issue 12): production
      // workstations hold no cloud secret, the cloud grants one patient's credentials per emergency.
      ctx.addIssue({
        code: 'custom',
        path: ['cloud', 'credentials', 'kind'],
        message:
          '"sts-assume-role" keeps a long-lived cloud secret in the configuration file and is refused in production mode; use "emergency-access" or "minio-certificate"',
      });
    }
    if (config.mode === 'production') {
      // Production hardening (issue 12 §5): each rule names the key that breaks it.
      const urls: [string[], string | null][] = [
        [['hri', 'url'], config.hri.url],
        [['cloud', 'defaultEndpoint'], config.cloud.defaultEndpoint],
        ...(config.cloud.credentials.kind === 'emergency-access'
          ? [[['cloud', 'credentials', 'endpoint'], config.cloud.credentials.endpoint] as [string[], string]]
          : []),
        ...(config.cloud.credentials.kind === 'sts-assume-role' || config.cloud.credentials.kind === 'minio-certificate'
          ? [[['cloud', 'credentials', 'stsEndpoint'], config.cloud.credentials.stsEndpoint] as [string[], string]]
          : []),
      ];
      for (const [path, url] of urls) {
        if (url !== null && !url.startsWith('https://'))
          ctx.addIssue({ code: 'custom', path, message: `production mode requires an https:// URL (found "${url}")` });
      }
      if (config.pki.revocation !== 'hard-fail') {
        ctx.addIssue({
          code: 'custom',
          path: ['pki', 'revocation'],
          message: `production mode requires "hard-fail" (found "${config.pki.revocation}"): a certificate whose revocation cannot be checked is refused`,
        });
      }
      if (config.pki.clinicianEku === 'any') {
        ctx.addIssue({
          code: 'custom',
          path: ['pki', 'clinicianEku'],
          message: 'production mode requires an extended key usage OID (clientAuth is 1.3.6.1.5.5.7.3.2), not "any"',
        });
      }
    }
    if (!config.ui.languages.includes(config.ui.defaultLanguage)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ui', 'defaultLanguage'],
        message: `must be one of ui.languages (${config.ui.languages.join(', ')})`,
      });
    }
  });

export type HospitalConfig = z.infer<typeof HospitalConfig>;
export type ShlConfig = NonNullable<HospitalConfig['shl']>;
/** What an absent `shl` section means. */
export const SHL_CONFIG_DEFAULTS: ShlConfig = {
  trustedCas: [],
  timeoutMs: 15_000,
  maxBytes: 8 * 1024 * 1024,
  maxInflateBytes: 16 * 1024 * 1024,
};

/**
 * The only keys a per-user file may set, each only within the machine's bounds:
 * session.idleLockMinutes only shorter and only when session.userMayShortenIdleLock,
 * cache.retentionHours only shorter.
 */
export const USER_CONFIGURABLE_KEYS = [
  'ui.defaultLanguage',
  'session.idleLockMinutes',
  'cache.retentionHours',
] as const;
export type UserConfigurableKey = (typeof USER_CONFIGURABLE_KEYS)[number];

/** Configuration keys holding file paths; relative values resolve against the file that named them. */
export const CONFIG_PATH_KEYS = [
  'tls.trustedCas',
  'pki.trustAnchors',
  'pki.intermediates',
  'pki.crlFiles',
  'shl.trustedCas',
] as const;
