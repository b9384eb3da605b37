import type { EmergencyService } from '../../open-record/index';
import type { PrintAdapter } from '../../print/index';
import { scanAny, type ShlService } from '../../shl';
import type { Handlers } from '../dispatch';

type EmergencyChannels =
  | 'emergency.scan'
  | 'emergency.open'
  | 'emergency.current'
  | 'emergency.close'
  | 'emergency.attachment'
  | 'emergency.cancelAttachment'
  | 'emergency.print'
  | 'shl.open';

export interface EmergencyHandlerDeps {
  emergency: EmergencyService;
  shl: ShlService;
  /** The print adapter of the app's window, if any. */
  printer(): PrintAdapter | null;
}

export function emergencyHandlers({
  emergency: e,
  shl,
  printer,
}: EmergencyHandlerDeps): Pick<Handlers, EmergencyChannels> {
  return {
    // A SMART Health Link (intact or remapped by a keyboard layout) goes to main/shl; the rest is our QR.
    'emergency.scan': ({ text, source }) => scanAny({ emergency: e, shl }, text, source),
    'emergency.open': ({ scanId, reason }) => (shl.owns(scanId) ? shl.open(scanId, reason) : e.open(scanId, reason)),
    'emergency.current': () => e.current(),
    'emergency.close': ({ recordId }) => e.close(recordId),
    'emergency.attachment': ({ recordId, attachmentId }) => e.attachment(recordId, attachmentId),
    'emergency.cancelAttachment': ({ recordId, attachmentId }) => e.cancelAttachment(recordId, attachmentId),
    'emergency.print': ({ recordId, output }) => e.print(recordId, output, printer()),
    'shl.open': ({ scanId, reason, passcode }) => shl.open(scanId, reason, passcode),
  };
}
