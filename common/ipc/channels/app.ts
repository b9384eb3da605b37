import { z } from 'zod';
import { channel } from '../define';

export const ConfigProblem = z.object({
  /** Which file the problem is in (path as the admin wrote it), or "defaults". */
  source: z.string(),
  /** Dotted key path, e.g. "hri.url". */
  key: z.string(),
  message: z.string(),
});
export type ConfigProblem = z.infer<typeof ConfigProblem>;

/**
 * The installed app found no machine configuration: it shows "This workstation is not configured"
 * with what IT must provide, where, and the command that checks it (main/config/startup.ts).
 */
export const NotConfigured = z.object({
  /** Where the machine file is expected on this machine (main/config/paths.ts). */
  machineFile: z.string(),
  platform: z.string(),
  /** The `config check` command line IT runs to validate the file. */
  checkCommand: z.string(),
});
export type NotConfigured = z.infer<typeof NotConfigured>;

export const AppInfo = z.object({
  version: z.string(),
  mode: z.enum(['training', 'production']),
  hospitalName: z.string(),
  /** Present when the configuration is invalid: the app shows the configuration-error screen. */
  configProblems: z.array(ConfigProblem),
  /** Set when the app has no machine configuration: the app shows only the "not configured" screen. */
  notConfigured: NotConfigured.nullable(),
  languages: z.array(z.string()),
  defaultLanguage: z.string(),
  /** What the renderer enforces itself: the idle lock, and the break-the-glass time limit it shows. */
  session: z.object({
    idleLockMinutes: z.number(),
    emergencyAccessMinutes: z.number(),
  }),
  /** The keyboard-wedge timing (the renderer listens for wedge scans) and whether a serial scanner is configured. */
  scanner: z.object({
    wedge: z.object({
      enabled: z.boolean(),
      maxAverageInterKeyMs: z.number(),
      minLength: z.number(),
      suffix: z.enum(['Enter', 'Tab', 'Enter-or-Tab']),
    }),
    serialEnabled: z.boolean(),
  }),
});
export type AppInfo = z.infer<typeof AppInfo>;

export const appChannels = {
  'app.info': channel(z.object({}).strict(), AppInfo),
};
