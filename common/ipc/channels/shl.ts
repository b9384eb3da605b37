import { z } from 'zod';
import { channel } from '../define';
import { AccessReason, OpenRecord } from './emergency';

/**
 * SMART Health Links (main/shl). A link is scanned like our QR (`emergency.scan` returns a preview
 * with `shl`); it is opened here, with the passcode the clinician asked the patient for (flag P).
 * A wrong passcode fails with SHL_PASSCODE_WRONG {remainingAttempts} as the server said; the
 * scan stays valid so the clinician can try again until SHL_PASSCODE_EXHAUSTED.
 */
export const SHL_PASSCODE_MAX = 200;

export const shlChannels = {
  /** Break the glass and open a SMART Health Link: manifest -> files -> decrypt -> verify -> view. */
  'shl.open': channel(
    z
      .object({
        scanId: z.string().min(1).max(100),
        reason: AccessReason,
        passcode: z.string().min(1).max(SHL_PASSCODE_MAX).optional(),
      })
      .strict(),
    OpenRecord,
  ),
};
