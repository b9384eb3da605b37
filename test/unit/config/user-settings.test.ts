import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserSettings, loadConfig } from '../../../main/config/index';
import { DEFAULTS_FILE, readDefaults, scratch, withKey } from './helpers';

function setup(machine = withKey(readDefaults(), 'session.userMayShortenIdleLock', true)) {
  const s = scratch();
  const machineFile = s.write('machine.json', withKey(machine, 'ui.languages', ['en', 'el']));
  const userFile = join(s.dir, 'user.json');
  const settings = () =>
    new UserSettings({ loaded: loadConfig({ defaultsFile: DEFAULTS_FILE, machineFile, userFile }), file: userFile });
  return { s, userFile, settings };
}

describe('UserSettings (the per-user configuration file)', () => {
  it('reads the machine values without a user file, writes only what differs, and the loader accepts the file', () => {
    const { userFile, settings } = setup();
    const before = settings().get();
    expect(before.bounds.idleLockChangeable).toBe(true);
    const idle = before.bounds.idleLockMinutesMax - 1;
    const after = settings().set({ language: 'el', idleLockMinutes: idle });
    expect(after.values).toMatchObject({ language: 'el', idleLockMinutes: idle });
    expect(JSON.parse(readFileSync(userFile, 'utf8'))).toEqual({
      ui: { defaultLanguage: 'el' },
      session: { idleLockMinutes: idle },
    });
    expect(statSync(userFile).mode & 0o777).toBe(0o600);
    // A new instance (next start) reads it back; the loader has no problem with it.
    expect(settings().get().values).toEqual(after.values);
    expect(loadConfig({ defaultsFile: DEFAULTS_FILE, userFile }).problems).toEqual([]);
  });

  it('refuses values outside the machine bounds with INVALID_INPUT naming the field, the file unchanged', () => {
    const { userFile, settings } = setup();
    settings().set({ language: 'el' });
    const kept = readFileSync(userFile, 'utf8');
    const { bounds } = settings().get();
    expect(() => settings().set({ language: 'xx' })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', details: { field: 'language' } }),
    );
    expect(() => settings().set({ idleLockMinutes: bounds.idleLockMinutesMax + 1 })).toThrow(
      expect.objectContaining({ details: { field: 'idleLockMinutes' } }),
    );
    expect(() => settings().set({ retentionHours: bounds.retentionHoursMax + 1 })).toThrow(
      expect.objectContaining({ details: { field: 'retentionHours' } }),
    );
    expect(readFileSync(userFile, 'utf8')).toBe(kept);
  });

  it('a user file that cannot be used is a typed error (CONFIG_INVALID naming it), never silently overwritten', () => {
    const { userFile, settings } = setup();
    for (const bad of ['{ not json', '[1, 2]', JSON.stringify({ session: { idleLockMinutes: 'five' } })]) {
      writeFileSync(userFile, bad);
      const s = settings();
      expect(() => s.get()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      expect(() => s.set({ language: 'el' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
      expect(readFileSync(userFile, 'utf8')).toBe(bad);
    }
    // Nested deeper than the loader allows: the loader's own limit, not a stack overflow.
    writeFileSync(userFile, '{"a":'.repeat(200) + '1' + '}'.repeat(200));
    expect(() => settings().get()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
