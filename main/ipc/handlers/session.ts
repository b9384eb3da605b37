import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';

export function sessionHandlers(_ws: Workstation): Pick<Handlers, 'session.status'> {
  return {
    'session.status': () => ({ clinician: null, locked: false }),
  };
}
