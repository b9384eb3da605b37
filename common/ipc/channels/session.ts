import { z } from 'zod';
import { channel } from '../define';

export const ClinicianSummary = z.object({
  name: z.string(),
  role: z.string(),
  registration: z.string().nullable(),
  issuer: z.string(),
  notAfter: z.string(),
  daysToExpiry: z.number(),
  /** Accepted with a warning under the hospital's policy (e.g. revocation list out of date). */
  warnings: z
    .array(
      z.object({
        code: z.string(),
        details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
      }),
    )
    .optional(),
});
export type ClinicianSummary = z.infer<typeof ClinicianSummary>;

export const SessionStatus = z.object({
  clinician: ClinicianSummary.nullable(),
  locked: z.boolean(),
});
export type SessionStatus = z.infer<typeof SessionStatus>;

export const sessionChannels = {
  'session.status': channel(z.object({}).strict(), SessionStatus),
};
