import { isWorkstationError } from '../../common/errors';
import { MESSAGES, errorMessage, formatMessage, type Locale } from '../../common/i18n/messages';
import type { LogFields, LogLevel } from '../log';

/**
 * What the app shows and logs when something goes wrong outside a request: a failed start, an
 * exception nobody caught, a renderer or child process that died. Pure functions (tested in
 * vitest); main/electron/lifecycle.ts does what they decide.
 */
export type StartupPhase = 'starting' | 'running';

export interface LogEntry {
  level: LogLevel;
  msg: string;
  fields: LogFields;
}

/** A plain error window: title and body text, nothing else. */
export interface FailureWindow {
  title: string;
  body: string;
}

const text = (locale: Locale) => MESSAGES[locale].app;

/** Any thrown value as one line a person can act on (a WorkstationError in its catalogue wording). */
export function causeOf(error: unknown, locale: Locale = 'en'): string {
  if (isWorkstationError(error)) return `${errorMessage(error.toInfo(), locale)} [${error.code}]`;
  if (error instanceof Error) return `${error.name}: ${error.message.split('\n')[0]}`;
  return String(error);
}

/** What is logged about an error: its code, name, message, stack and cause chain (no record contents ever reach an Error). */
export function errorFields(error: unknown): LogFields {
  if (!(error instanceof Error)) return { error: String(error) };
  const fields: LogFields = { name: error.name, message: error.message };
  if (isWorkstationError(error)) {
    fields.code = error.code;
    if (error.details) fields.details = error.details;
  }
  if (error.stack) fields.stack = error.stack;
  if (error.cause !== undefined) fields.cause = errorFields(error.cause);
  return fields;
}

/** A failure before the window is usable: the window that says so, and the log entry. */
export function startupFailure(
  error: unknown,
  ctx: { logFile: string | null; locale?: Locale; step?: string },
): { window: FailureWindow; log: LogEntry } {
  const locale = ctx.locale ?? 'en';
  const t = text(locale);
  const body = [
    formatMessage(t.startupFailedCause, { cause: causeOf(error, locale) }),
    '',
    ctx.logFile ? formatMessage(t.startupFailedLog, { file: ctx.logFile }) : t.startupNoLog,
    '',
    t.startupFailedHelp,
  ].join('\n');
  return {
    window: { title: t.startupFailedTitle, body },
    log: {
      level: 'error',
      msg: 'startup failed',
      fields: { ...(ctx.step ? { step: ctx.step } : {}), error: errorFields(error) },
    },
  };
}

/** uncaughtException / unhandledRejection: always logged; while starting it is a startup failure, later the app carries on. */
export function uncaughtDecision(
  kind: 'uncaughtException' | 'unhandledRejection',
  error: unknown,
  phase: StartupPhase,
): { action: 'startup-failure' | 'continue'; log: LogEntry } {
  return {
    action: phase === 'starting' ? 'startup-failure' : 'continue',
    log: { level: 'error', msg: kind, fields: { phase, error: errorFields(error) } },
  };
}

/** Electron's RenderProcessGoneDetails / Details (child-process-gone), the fields we use. */
export interface GoneDetails {
  reason: string;
  exitCode: number;
  type?: string;
  serviceName?: string;
  name?: string;
}

export const CRASH_WINDOW_MS = 60_000;
export const MAX_CRASHES_IN_WINDOW = 3;

export interface RendererGoneDecision {
  /** reload-locked: lock the session, drop the open record, load the app again (lock screen). give-up: say so and quit. */
  action: 'ignore' | 'reload-locked' | 'give-up';
  log: LogEntry;
  /** The crash times to remember for the next decision. */
  recent: number[];
  window?: FailureWindow;
}

/**
 * The window's renderer died. A clean exit is how a closing window ends; anything else reloads
 * the app to the lock screen with the record dropped (the renderer's state is gone, main's must
 * not outlive it) — unless it keeps dying, then the user is told and the app quits.
 */
export function rendererGoneDecision(
  details: GoneDetails,
  previous: readonly number[],
  now: number,
  ctx: { logFile: string | null; locale?: Locale },
): RendererGoneDecision {
  const fields: LogFields = { reason: details.reason, exitCode: details.exitCode };
  if (details.reason === 'clean-exit')
    return { action: 'ignore', recent: [...previous], log: { level: 'info', msg: 'renderer exited', fields } };
  const recent = [...previous.filter((t) => now - t < CRASH_WINDOW_MS), now];
  if (recent.length >= MAX_CRASHES_IN_WINDOW) {
    const t = text(ctx.locale ?? 'en');
    const body = [
      formatMessage(t.rendererCrashedBody, { count: recent.length, reason: details.reason }),
      '',
      ctx.logFile ? formatMessage(t.startupFailedLog, { file: ctx.logFile }) : t.startupNoLog,
    ].join('\n');
    return {
      action: 'give-up',
      recent,
      log: { level: 'error', msg: 'renderer keeps crashing: quitting', fields: { ...fields, crashes: recent.length } },
      window: { title: t.rendererCrashedTitle, body },
    };
  }
  return {
    action: 'reload-locked',
    recent,
    log: {
      level: 'error',
      msg: 'renderer gone: reloading to the lock screen, open record dropped',
      fields: { ...fields, crashes: recent.length },
    },
  };
}

/** A GPU, utility or other child process died: Electron restarts what it needs; we log it. */
export function childGoneLog(details: GoneDetails): LogEntry {
  const fields: LogFields = { type: details.type ?? 'unknown', reason: details.reason, exitCode: details.exitCode };
  if (details.serviceName) fields.serviceName = details.serviceName;
  if (details.name) fields.name = details.name;
  return { level: details.reason === 'clean-exit' ? 'info' : 'error', msg: 'child process gone', fields };
}

/** The preload failed or the page did not load: the window would be a dead app. */
export function windowLoadFailure(
  kind: 'preload-error' | 'did-fail-load',
  error: unknown,
  ctx: { logFile: string | null; locale?: Locale },
) {
  return startupFailure(error, { ...ctx, step: kind });
}

/** The app locale for messages shown outside the renderer. */
export const localeOf = (systemLocale: string): Locale => (systemLocale.toLowerCase().startsWith('el') ? 'el' : 'en');
