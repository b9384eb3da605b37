import { z } from 'zod';
import { channel } from '../define';
import { SessionStatus } from './session';

/** Credential files are small (PKCS#12 / PEM); 1 MiB is generous. */
export const CREDENTIAL_MAX_BASE64 = 1_400_000;

export const sessionAuthChannels = {
  /** Load a PKCS#12 or PEM credential, verify its chain against the hospital's trust anchors, sign in. */
  'session.signIn': channel(
    z
      .object({
        fileName: z.string().max(260),
        credentialBase64: z.string().min(1).max(CREDENTIAL_MAX_BASE64),
        passphrase: z.string().max(1024),
      })
      .strict(),
    SessionStatus,
  ),
  'session.signOut': channel(z.object({}).strict(), SessionStatus),
  /**
   * Lock now (by hand, or the renderer's idle timer): the record is hidden and the private key
   * dropped; emergency access is kept in main for the same clinician until its time limit.
   */
  'session.lock': channel(z.object({ trigger: z.enum(['manual', 'idle']).optional() }).strict(), SessionStatus),
  /** The clinician is active at the screen (keyboard, pointer; throttled): main's idle lock restarts. */
  'session.activity': channel(z.object({}).strict(), z.object({ idleLockMinutes: z.number() })),
  /** Quick re-unlock by the same clinician with their passphrase. */
  'session.unlock': channel(z.object({ passphrase: z.string().max(1024) }).strict(), SessionStatus),
};
