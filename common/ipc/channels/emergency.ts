import { z } from 'zod';
import { channel } from '../define';
import { EmergencyView } from '../../emergency-view';
import { PatientLabel } from '../../patient-label';

/**
 * Scan -> break the glass -> open the record. The QR text crosses the boundary once (wedge scans
 * arrive as keystrokes in the renderer); its key material then stays in main, referred to by scanId.
 */
export const SCAN_TEXT_MAX = 4096;

export const ScanSource = z.enum(['wedge', 'serial', 'paste', 'manual', 'image']);
export type ScanSource = z.infer<typeof ScanSource>;

export const ScanPreview = z.object({
  scanId: z.string(),
  /** A short, non-reversible reference to the patient's pseudonym, for the clinician to compare. */
  patientRef: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string().nullable(),
  /** A copy of this patient's record is on this workstation (usable when the cloud is down). */
  cached: z.boolean(),
  /** Present when the scan was a SMART Health Link (main/shl): what the link says, before anything is fetched. */
  shl: z
    .object({
      /** The host of the link's server ("SMART Health Link from <host>"). */
      host: z.string(),
      label: z.string().nullable(),
      /** Flag P: the clinician must ask the patient for the passcode (channel shl.open). */
      passcodeRequired: z.boolean(),
      flags: z.array(z.enum(['L', 'P', 'U'])),
    })
    .optional(),
  /** Name, birth date and sex from that cached copy (signed-in clinician only); null when unknown. */
  patient: PatientLabel.nullable().optional(),
});
export type ScanPreview = z.infer<typeof ScanPreview>;

/** Reasons for emergency access ("break the glass"): a pick list plus free text. */
export const ACCESS_REASONS = [
  'emergency-treatment',
  'unconscious-patient',
  'patient-request',
  'continuity-of-care',
  'other',
] as const;
export const AccessReason = z
  .object({
    code: z.enum(ACCESS_REASONS),
    text: z.string().trim().max(500),
  })
  .refine((r) => r.code !== 'other' || r.text.length >= 3, { message: 'describe the reason', path: ['text'] });
export type AccessReason = z.infer<typeof AccessReason>;

export const AttachmentInfo = z.object({
  id: z.string(),
  title: z.string(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  created: z.string().nullable(),
  /** not-downloaded | downloading | verified | failed */
  state: z.enum(['not-downloaded', 'downloading', 'verified', 'failed']),
});
export type AttachmentInfo = z.infer<typeof AttachmentInfo>;

export const IntegrityVerdict = z.object({
  /** Every shown object passed its authentication tag and SHA-256 check. */
  verified: z.literal(true),
  /** The patient signed the manifest and the signature verified. */
  manifestSigned: z.boolean(),
  manifestVersion: z.number().int(),
});

/** Where a record read from a SMART Health Link came from and how it was checked. */
export const ShlProvenance = z.object({
  host: z.string(),
  label: z.string().nullable(),
  contentType: z.enum(['application/fhir+json', 'application/smart-health-card']),
  /** For a SMART Health Card: its issuer's host and whether the signature verified against the issuer's JWKS. */
  card: z.object({ issuer: z.string(), verified: z.boolean() }).nullable(),
});
export type ShlProvenance = z.infer<typeof ShlProvenance>;

export const OpenRecord = z.object({
  recordId: z.string(),
  patientRef: z.string(),
  /** cloud: the patient's EHR cloud; shl: a SMART Health Link server; cache: this workstation's copy. */
  source: z.enum(['cloud', 'cache', 'shl']),
  /** Present for a record read from a SMART Health Link (also when shown from the cache). */
  shl: ShlProvenance.optional(),
  /** When the shown copy was fetched from the cloud (for the cache: the age of the copy). */
  fetchedAt: z.string(),
  /** Why the cloud was not used, when source is cache. */
  offlineReason: z.string().nullable(),
  integrity: IntegrityVerdict,
  accessExpiresAt: z.string(),
  view: EmergencyView,
  attachments: z.array(AttachmentInfo),
});
export type OpenRecord = z.infer<typeof OpenRecord>;

export const emergencyChannels = {
  /** Parse and check a scan; returns a preview. Errors: QR_* codes. */
  'emergency.scan': channel(
    z.object({ text: z.string().min(1).max(SCAN_TEXT_MAX), source: ScanSource }).strict(),
    ScanPreview,
  ),
  /** Break the glass and open: HRI -> credentials -> download -> verify -> view. */
  'emergency.open': channel(
    z.object({ scanId: z.string().min(1).max(100), reason: AccessReason }).strict(),
    OpenRecord,
  ),
  /** The record currently open (null when none, locked or expired). */
  'emergency.current': channel(z.object({}).strict(), OpenRecord.nullable()),
  /** End emergency access (audited) and clear the record from the screen. */
  'emergency.close': channel(
    z.object({ recordId: z.string().min(1).max(200) }).strict(),
    z.object({ closed: z.boolean() }),
  ),
  /**
   * Fetch, decrypt and verify an attachment into the encrypted cache (progress events on the way);
   * the screen then streams it from the attachment route (window.hcp.attachmentUrl, main/viewer).
   */
  'emergency.attachment': channel(
    z.object({ recordId: z.string().min(1).max(200), attachmentId: z.string().min(1).max(200) }).strict(),
    z.object({ contentType: z.string(), size: z.number().int().nonnegative() }),
  ),
  /**
   * Print the emergency summary on screen, or save it as PDF: audited as a disclosure first. In the
   * app main prints the window (webContents.print / printToPDF); elsewhere (the browser harness)
   * `handled` is false and the page uses the browser's print with the print stylesheet.
   */
  'emergency.print': channel(
    z.object({ recordId: z.string().min(1).max(200), output: z.enum(['printer', 'pdf']) }).strict(),
    z.object({ handled: z.boolean(), savedTo: z.string().nullable() }),
  ),
  'emergency.cancelAttachment': channel(
    z.object({ recordId: z.string().min(1).max(200), attachmentId: z.string().min(1).max(200) }).strict(),
    z.object({ cancelled: z.boolean() }),
  ),
};
