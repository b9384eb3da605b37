import { z } from 'zod';
import { channel } from '../define';

/**
 * The clinician-adjustable settings (the per-user file, USER_CONFIGURABLE_KEYS in
 * common/config/schema.ts): each only within what the hospital's machine configuration allows.
 */
export const SettingsValues = z.object({
  language: z.string(),
  idleLockMinutes: z.number(),
  retentionHours: z.number(),
});
export type SettingsValues = z.infer<typeof SettingsValues>;

export const SettingsBounds = z.object({
  languages: z.array(z.string()),
  /** The machine's idle lock: the user may only shorten it, and only when allowed. */
  idleLockMinutesMin: z.number(),
  idleLockMinutesMax: z.number(),
  idleLockChangeable: z.boolean(),
  retentionHoursMin: z.number(),
  retentionHoursMax: z.number(),
});
export type SettingsBounds = z.infer<typeof SettingsBounds>;

export const Settings = z.object({ values: SettingsValues, bounds: SettingsBounds });
export type Settings = z.infer<typeof Settings>;

export const settingsChannels = {
  'settings.get': channel(z.object({}).strict(), Settings),
  /** Persist to the per-user file. Out-of-bounds values are refused with INVALID_INPUT naming the field. */
  'settings.set': channel(
    z
      .object({
        language: z.string().min(2).max(20).optional(),
        idleLockMinutes: z.number().finite().optional(),
        retentionHours: z.number().finite().optional(),
      })
      .strict(),
    Settings,
  ),
};
