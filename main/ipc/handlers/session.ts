import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';

type SessionChannels =
  'session.status' | 'session.signIn' | 'session.signOut' | 'session.lock' | 'session.unlock' | 'session.activity';

export function sessionHandlers(ws: Workstation): Pick<Handlers, SessionChannels> {
  return {
    'session.status': () => ws.session.status(),
    'session.signIn': async ({ credentialBase64, passphrase }) => {
      const status = await ws.session.signIn(Buffer.from(credentialBase64, 'base64'), passphrase);
      ws.idleLock.touch();
      return status;
    },
    'session.signOut': () => ws.session.signOut(),
    'session.lock': ({ trigger }) => ws.session.lock(trigger ?? 'manual'),
    'session.activity': () => {
      ws.idleLock.touch();
      return { idleLockMinutes: ws.loaded.config.session.idleLockMinutes };
    },
    'session.unlock': async ({ passphrase }) => {
      const status = await ws.session.unlock(passphrase);
      ws.idleLock.touch();
      return status;
    },
  };
}
