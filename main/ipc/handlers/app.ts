import type { Handlers } from '../dispatch';
import { currentStartupDecision, type LoadedConfig } from '../../config';

export interface AppHandlerDeps {
  loaded: LoadedConfig;
  version: string;
}

export function appHandlers({ loaded, version }: AppHandlerDeps): Pick<Handlers, 'app.info'> {
  const startup = currentStartupDecision(loaded);
  const c = loaded.config;
  return {
    'app.info': () => ({
      version,
      mode: c.mode,
      hospitalName: c.hospital.name,
      configProblems: loaded.problems,
      notConfigured: startup.kind === 'not-configured' ? startup.notConfigured : null,
      languages: c.ui.languages,
      defaultLanguage: c.ui.defaultLanguage,
      session: {
        idleLockMinutes: c.session.idleLockMinutes,
        emergencyAccessMinutes: c.session.emergencyAccessMinutes,
      },
      scanner: { wedge: { ...c.scanner.wedge }, serialEnabled: c.scanner.serial.enabled },
    }),
  };
}
