import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import type { HospitalConfig } from '../../common/config/schema';
import { WorkstationError, storageErrorCode } from '../../common/errors';
import type { Settings, SettingsValues } from '../../common/ipc/channels/settings';
import { readConfigFile } from './layers';
import { loadConfig, type LoadedConfig } from './load';

/** What the per-user file may hold that settings show and change (USER_CONFIGURABLE_KEYS); other keys are left to the loader. */
const UserFile = z.object({
  ui: z.object({ defaultLanguage: z.string().optional() }).optional(),
  session: z.object({ idleLockMinutes: z.number().optional() }).optional(),
  cache: z.object({ retentionHours: z.number().optional() }).optional(),
});
type UserFile = z.infer<typeof UserFile>;

const IDLE_MIN = 1;
const RETENTION_MIN = 0.25;

export interface UserSettingsOptions {
  /** The configuration the workstation runs on (its sources name the machine and user files). */
  loaded: LoadedConfig;
  /** The per-user file (userConfigPath). */
  file: string;
}

/**
 * Settings in the per-user configuration file. Read with the loader's own reader
 * (config/layers.readConfigFile: size and depth limits, BOM, JSON object); an unreadable or
 * malformed file is a typed error (CONFIG_INVALID naming it) and is never overwritten, so nothing
 * in it is lost. The file is written only with values the loader accepts for a user file
 * (userLayerProblems), so a saved setting can never turn into a configuration-error screen at the
 * next start; the write is atomic (temporary file, rename) and 0600.
 */
export class UserSettings {
  constructor(private readonly o: UserSettingsOptions) {}

  get(): Settings {
    return current(this.#machine(), this.#read());
  }

  /** Changes the given values within the machine's bounds (INVALID_INPUT naming the field otherwise). */
  set(req: Partial<SettingsValues>): Settings {
    const machine = this.#machine();
    const before = current(machine, this.#read());
    const { bounds } = before;
    const next = { ...before.values };
    if (req.language !== undefined) {
      if (!bounds.languages.includes(req.language)) throw new WorkstationError('INVALID_INPUT', { field: 'language' });
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
    const tmp = `${this.o.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(out, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, this.o.file);
    } catch (e) {
      rmSync(tmp, { force: true });
      // The file as it was is kept (the rename never happened): a full or read-only disk says so.
      throw new WorkstationError(storageErrorCode(e) ?? 'STORAGE_IO_ERROR', {}, { cause: e });
    }
    return current(machine, out);
  }

  /** The user file's settings: {} when there is none; CONFIG_INVALID when it cannot be used. */
  #read(): UserFile {
    const { file } = this.o;
    if (!existsSync(file)) return {};
    const { value, problem } = readConfigFile(file);
    if (problem) throw new WorkstationError('CONFIG_INVALID', { key: file, problem: problem.message });
    const parsed = UserFile.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new WorkstationError('CONFIG_INVALID', { key: `${file}: ${issue.path.join('.')}`, problem: issue.message });
    }
    return parsed.data;
  }

  /** The configuration without the user file: the bounds a user setting must stay within. */
  #machine(): HospitalConfig {
    const { loaded, file } = this.o;
    if (!loaded.sources.includes(file)) return loaded.config;
    const [defaultsFile, ...rest] = loaded.sources;
    return loadConfig({ defaultsFile: defaultsFile!, machineFile: rest.find((f) => f !== file) ?? null }).config;
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
