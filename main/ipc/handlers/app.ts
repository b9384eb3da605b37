import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';
import { currentStartupDecision } from '../../config';

export function appHandlers(ws: Workstation): Pick<Handlers, 'app.info'> {
  const startup = currentStartupDecision(ws.loaded);
  return {
    'app.info': () => ({
      version: ws.version,
      mode: ws.loaded.config.mode,
      hospitalName: ws.loaded.config.hospital.name,
      configProblems: ws.loaded.problems,
      notConfigured: startup.kind === 'not-configured' ? startup.notConfigured : null,
      languages: ws.loaded.config.ui.languages,
      defaultLanguage: ws.loaded.config.ui.defaultLanguage,
      session: {
        idleLockMinutes: ws.loaded.config.session.idleLockMinutes,
        emergencyAccessMinutes: ws.loaded.config.session.emergencyAccessMinutes,
      },
      scanner: { wedge: { ...ws.loaded.config.scanner.wedge }, serialEnabled: ws.loaded.config.scanner.serial.enabled },
    }),
  };
}
