import { z } from 'zod';
import { channel } from '../define';
import { ERROR_CODES } from '../../errors';

/** A reachability probe: any HTTP answer counts as reachable (the service is there); the time is the round trip. */
export const Probe = z.object({
  /** The URL probed; null when none is configured. */
  target: z.string().nullable(),
  reachable: z.boolean(),
  ms: z.number().nullable(),
  /** HTTP status when reachable. */
  status: z.number().int().nullable(),
  /** Why not reachable: HRI_TIMEOUT / HRI_UNAVAILABLE / CLOUD_UNAVAILABLE. */
  error: z.enum(ERROR_CODES).nullable(),
});
export type Probe = z.infer<typeof Probe>;

export const TrustFile = z.object({
  kind: z.enum(['anchor', 'intermediate', 'crl']),
  file: z.string(),
  present: z.boolean(),
  /** When the file was last changed on this workstation (ISO). */
  modifiedAt: z.string().nullable(),
  /** Certificates: subject and end of validity. CRLs: issuer and next update. */
  name: z.string().nullable(),
  validUntil: z.string().nullable(),
  /** Set when the file cannot be read as what it should be. */
  error: z.enum(ERROR_CODES).nullable(),
});
export type TrustFile = z.infer<typeof TrustFile>;

export const DiagnosticsStatus = z.object({
  checkedAt: z.string(),
  workstationId: z.string(),
  configSources: z.array(z.string()),
  hri: Probe,
  cloud: Probe,
  trust: z.array(TrustFile),
  revocation: z.enum(['hard-fail', 'warn']),
  cache: z.object({ databaseBytes: z.number(), retentionHours: z.number(), purgeOnSignOut: z.boolean() }),
  /** What start-up found: an unreadable database replaced (kept under this name), unsent additions recovered from the outbox spool or not. */
  storage: z.object({
    quarantinedTo: z.string().nullable(),
    outboxRecovered: z.number().int(),
    outboxUnrecoverable: z.number().int(),
  }),
  /** The audit chain: verified at start (pending while the check runs), its id, the signing key IT pins, the last shipped head. */
  audit: z.object({
    chainId: z.string(),
    publicKey: z.string(),
    verification: z.enum(['pending', 'intact', 'broken']),
    entries: z.number().int().nullable(),
    brokenAt: z.number().int().nullable(),
    verifiedAt: z.string().nullable(),
    /** A new chain was started at this start-up (the previous database was lost); the old chain's last known seq, if known. */
    reset: z.object({ previousChainId: z.string().nullable(), previousSeq: z.number().int().nullable() }).nullable(),
    lastHeadSeq: z.number().int().nullable(),
    lastHeadShippedAt: z.string().nullable(),
  }),
  scanner: z.object({ wedgeEnabled: z.boolean(), serialEnabled: z.boolean(), serialPath: z.string().nullable() }),
});
export type DiagnosticsStatus = z.infer<typeof DiagnosticsStatus>;

export const diagnosticsChannels = {
  /** Workstation health for the Diagnostics screen; probes the HRI and the cloud endpoint (no credentials sent). */
  'diagnostics.status': channel(z.object({}).strict(), DiagnosticsStatus),
};
