import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { HospitalConfig } from '../../../common/config/schema';
import { WorkstationError } from '../../../common/errors';
import type { Settings } from '../../../common/ipc/channels/settings';
import { loadConfig, userConfigPath } from '../../config/index';
import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';

type UserFile = {
  ui?: { defaultLanguage?: string };
  session?: { idleLockMinutes?: number };
  cache?: { retentionHours?: number };
};

const IDLE_MIN = 1;
const RETENTION_MIN = 0.25;

/** The configuration without the user file: the bounds a user setting must stay within. */
function machineConfig(ws: Workstation, userFile: string): HospitalConfig {
  if (!ws.loaded.sources.includes(userFile)) return ws.loaded.config;
  const [defaultsFile, ...rest] = ws.loaded.sources;
  return loadConfig({ defaultsFile: defaultsFile!, machineFile: rest.find((f) => f !== userFile) ?? null }).config;
}

function readUserFile(file: string): UserFile {
  if (!existsSync(file)) return {};
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as UserFile) : {};
  } catch {
    return {};
  }
}

function current(machine: HospitalConfig, user: UserFile): Settings {
  const idleLockChangeable = machine.session.userMayShortenIdleLock;
  return {
    values: {
      language: user.ui?.defaultLanguage ?? machine.ui.defaultLanguage,
      idleLockMinutes:
        (idleLockChangeable ? user.session?.idleLockMinutes : undefined) ?? machine.session.idleLockMinutes,
      retentionHours: user.cache?.retentionHours ?? machine.cache.retentionHours,
    },
    bounds: {
      languages: machine.ui.languages,
      idleLockMinutesMin: Math.min(IDLE_MIN, machine.session.idleLockMinutes),
      idleLockMinutesMax: machine.session.idleLockMinutes,
      idleLockChangeable,
      retentionHoursMin: Math.min(RETENTION_MIN, machine.cache.retentionHours),
      retentionHoursMax: machine.cache.retentionHours,
    },
  };
}

/**
 * Settings in the per-user configuration file (userConfigPath). The file is written only with
 * values the configuration loader accepts for a user file (main/config/layers.ts userLayerProblems),
 * so a saved setting can never turn into a configuration-error screen at the next start.
 */
export function settingsHandlers(ws: Workstation): Pick<Handlers, 'settings.get' | 'settings.set'> {
  const file = userConfigPath(ws.dataDir);
  return {
    'settings.get': () => current(machineConfig(ws, file), readUserFile(file)),
    'settings.set': (req) => {
      const machine = machineConfig(ws, file);
      const before = current(machine, readUserFile(file));
      const { bounds } = before;
      const next = { ...before.values };
      if (req.language !== undefined) {
        if (!bounds.languages.includes(req.language))
          throw new WorkstationError('INVALID_INPUT', { field: 'language' });
        next.language = req.language;
      }
      if (req.idleLockMinutes !== undefined && req.idleLockMinutes !== before.values.idleLockMinutes) {
        const ok =
          bounds.idleLockChangeable &&
          req.idleLockMinutes >= bounds.idleLockMinutesMin &&
          req.idleLockMinutes <= bounds.idleLockMinutesMax;
        if (!ok) throw new WorkstationError('INVALID_INPUT', { field: 'idleLockMinutes' });
        next.idleLockMinutes = req.idleLockMinutes;
      }
      if (req.retentionHours !== undefined) {
        if (req.retentionHours < bounds.retentionHoursMin || req.retentionHours > bounds.retentionHoursMax)
          throw new WorkstationError('INVALID_INPUT', { field: 'retentionHours' });
        next.retentionHours = req.retentionHours;
      }
      // Only what differs from the machine goes into the file.
      const out: UserFile = {};
      if (next.language !== machine.ui.defaultLanguage) out.ui = { defaultLanguage: next.language };
      if (bounds.idleLockChangeable && next.idleLockMinutes !== machine.session.idleLockMinutes)
        out.session = { idleLockMinutes: next.idleLockMinutes };
      if (next.retentionHours !== machine.cache.retentionHours) out.cache = { retentionHours: next.retentionHours };
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, file);
      return current(machine, out);
    },
  };
}
