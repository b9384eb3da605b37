import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';
import { scanAny } from '../../shl';

type EmergencyChannels =
  | 'emergency.scan'
  | 'emergency.open'
  | 'emergency.current'
  | 'emergency.close'
  | 'emergency.attachment'
  | 'emergency.cancelAttachment'
  | 'emergency.print';

export function emergencyHandlers(ws: Workstation): Pick<Handlers, EmergencyChannels> {
  const e = ws.emergency;
  return {
    // A SMART Health Link (intact or remapped by a keyboard layout) goes to main/shl; the rest is our QR.
    'emergency.scan': ({ text, source }) => scanAny(ws, text, source),
    'emergency.open': ({ scanId, reason }) =>
      ws.shl.owns(scanId) ? ws.shl.open(scanId, reason) : e.open(scanId, reason),
    'emergency.current': () => e.current(),
    'emergency.close': ({ recordId }) => e.close(recordId),
    'emergency.attachment': ({ recordId, attachmentId }) => e.attachment(recordId, attachmentId),
    'emergency.cancelAttachment': ({ recordId, attachmentId }) => e.cancelAttachment(recordId, attachmentId),
    'emergency.print': ({ recordId, output }) => e.print(recordId, output, ws.printer()),
  };
}
