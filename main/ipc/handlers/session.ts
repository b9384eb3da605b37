import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';

type SessionChannels = 'session.status' | 'session.signIn' | 'session.signOut' | 'session.lock' | 'session.unlock';

export function sessionHandlers(ws: Workstation): Pick<Handlers, SessionChannels> {
  return {
    'session.status': () => ws.session.status(),
    'session.signIn': ({ credentialBase64, passphrase }) => ws.session.signIn(Buffer.from(credentialBase64, 'base64'), passphrase),
    'session.signOut': () => ws.session.signOut(),
    'session.lock': () => ws.session.lock(),
    'session.unlock': ({ passphrase }) => ws.session.unlock(passphrase),
  };
}
