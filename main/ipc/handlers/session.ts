import type { HospitalConfig } from '../../../common/config/schema';
import type { ClinicianSession, IdleLock } from '../../session/index';
import type { Handlers } from '../dispatch';

type SessionChannels =
  'session.status' | 'session.signIn' | 'session.signOut' | 'session.lock' | 'session.unlock' | 'session.activity';

export interface SessionHandlerDeps {
  session: ClinicianSession;
  idleLock: Pick<IdleLock, 'touch'>;
  config: HospitalConfig;
}

export function sessionHandlers({ session, idleLock, config }: SessionHandlerDeps): Pick<Handlers, SessionChannels> {
  const touched = <T>(status: T): T => {
    idleLock.touch();
    return status;
  };
  return {
    'session.status': () => session.status(),
    'session.signIn': async ({ credentialBase64, passphrase }) =>
      touched(await session.signIn(Buffer.from(credentialBase64, 'base64'), passphrase)),
    'session.signOut': () => session.signOut(),
    'session.lock': ({ trigger }) => session.lock(trigger ?? 'manual'),
    'session.activity': () => touched({ idleLockMinutes: config.session.idleLockMinutes }),
    'session.unlock': async ({ passphrase }) => touched(await session.unlock(passphrase)),
  };
}
