import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';

type EmergencyChannels = 'emergency.scan' | 'emergency.open' | 'emergency.current' | 'emergency.close' | 'emergency.attachment' | 'emergency.cancelAttachment';

export function emergencyHandlers(ws: Workstation): Pick<Handlers, EmergencyChannels> {
  const e = ws.emergency;
  return {
    'emergency.scan': ({ text, source }) => e.scan(text, source),
    'emergency.open': ({ scanId, reason }) => e.open(scanId, reason),
    'emergency.current': () => e.current(),
    'emergency.close': ({ recordId }) => e.close(recordId),
    'emergency.attachment': ({ recordId, attachmentId }) => e.attachment(recordId, attachmentId),
    'emergency.cancelAttachment': ({ recordId, attachmentId }) => e.cancelAttachment(recordId, attachmentId),
  };
}
