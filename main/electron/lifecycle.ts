import { app, dialog, type BrowserWindow } from 'electron';
import type { Logger } from '../log';
import type { Workstation } from '../workstation';
import {
  childGoneLog,
  rendererGoneDecision,
  startupFailure,
  uncaughtDecision,
  windowLoadFailure,
  type FailureWindow,
  type LogEntry,
  type StartupPhase,
} from '../shell';
import type { Locale } from '../../common/i18n/messages';

/**
 * Nothing fails silently: the decisions are in main/shell/failure.ts (pure, tested); this file
 * carries them out with Electron. Every failure is logged; a failed start shows a plain error
 * window with the cause and the log file's path, then quits.
 */
export interface Lifecycle {
  readonly log: Logger;
  phase: StartupPhase;
  /** Log, show the error window, quit with status 1. */
  failStartup(error: unknown, step?: string): void;
  /** Watch the main window: renderer crashes, preload errors, failed loads. */
  watchWindow(win: BrowserWindow, opts: { workstation: () => Workstation | null; reload: () => void }): void;
}

export function createLifecycle(opts: {
  log: Logger;
  logFile: string | null;
  locale: () => Locale;
  flush?: (entry: LogEntry) => void;
}): Lifecycle {
  const { log } = opts;
  const write = (entry: LogEntry) => {
    log[entry.level](entry.msg, entry.fields);
    opts.flush?.(entry);
  };
  const show = (w: FailureWindow) => {
    // showErrorBox is a plain, modal, synchronous box; it works before and after 'ready'.
    dialog.showErrorBox(w.title, w.body);
  };
  let failed = false;

  const lifecycle: Lifecycle = {
    log,
    phase: 'starting',
    failStartup(error, step) {
      const { window, log: entry } = startupFailure(error, { logFile: opts.logFile, locale: opts.locale(), step });
      write(entry);
      if (failed) return;
      failed = true;
      show(window);
      app.exit(1);
    },
    watchWindow(win, w) {
      let crashes: number[] = [];
      const contents = win.webContents;
      contents.on('render-process-gone', (_event, details) => {
        const d = rendererGoneDecision(details, crashes, Date.now(), { logFile: opts.logFile, locale: opts.locale() });
        crashes = d.recent;
        write(d.log);
        if (d.action === 'ignore') return;
        dropAccess(w.workstation(), log);
        if (d.action === 'give-up') {
          if (d.window) show(d.window);
          app.exit(1);
          return;
        }
        if (!win.isDestroyed()) w.reload();
      });
      contents.on('preload-error', (_event, preloadPath, error) => {
        const f = windowLoadFailure('preload-error', error, { logFile: opts.logFile, locale: opts.locale() });
        write({ ...f.log, fields: { ...f.log.fields, preloadPath } });
        if (lifecycle.phase === 'starting') lifecycle.failStartup(error, 'preload-error');
      });
      contents.on('did-fail-load', (_event, errorCode, errorDescription, validatedURL, isMainFrame) => {
        if (!isMainFrame || errorCode === -3 /* ERR_ABORTED: a navigation replaced it */) return;
        lifecycle.failStartup(
          new Error(`the window could not load ${validatedURL}: ${errorDescription} (${errorCode})`),
          'did-fail-load',
        );
      });
      contents.on('unresponsive', () => log.warn('window unresponsive'));
      contents.on('responsive', () => log.info('window responsive again'));
    },
  };

  process.on('uncaughtException', (error) => {
    const d = uncaughtDecision('uncaughtException', error, lifecycle.phase);
    write(d.log);
    if (d.action === 'startup-failure') lifecycle.failStartup(error, 'uncaughtException');
  });
  process.on('unhandledRejection', (reason) => {
    const d = uncaughtDecision('unhandledRejection', reason, lifecycle.phase);
    write(d.log);
    if (d.action === 'startup-failure') lifecycle.failStartup(reason, 'unhandledRejection');
  });
  app.on('child-process-gone', (_event, details) => write(childGoneLog(details)));
  return lifecycle;
}

/** The renderer's state is gone: so is access to the patient (lock the session, close the record). */
function dropAccess(workstation: Workstation | null, log: Logger): void {
  if (!workstation) return;
  try {
    const open = workstation.emergency.current();
    if (open) workstation.emergency.close(open.recordId);
    workstation.session.lock();
  } catch (e) {
    log.error('could not drop access after the renderer was gone', {
      error: e instanceof Error ? e.message : String(e),
    });
  }
}
