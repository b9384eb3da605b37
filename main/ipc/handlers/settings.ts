import type { UserSettings } from '../../config/index';
import type { Handlers } from '../dispatch';

export interface SettingsHandlerDeps {
  settings: Pick<UserSettings, 'get' | 'set'>;
}

/** The per-user settings (main/config/user-settings.ts). */
export function settingsHandlers(deps: SettingsHandlerDeps): Pick<Handlers, 'settings.get' | 'settings.set'> {
  return {
    'settings.get': () => deps.settings.get(),
    'settings.set': (req) => deps.settings.set(req),
  };
}
