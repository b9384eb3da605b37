import { describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { MESSAGES } from '../../../common/i18n/messages';
import {
  CRASH_WINDOW_MS,
  MAX_CRASHES_IN_WINDOW,
  causeOf,
  childGoneLog,
  errorFields,
  localeOf,
  rendererGoneDecision,
  startupFailure,
  uncaughtDecision,
  windowLoadFailure,
} from '../../../main/shell/failure';
import { redact } from '../../../main/log';

const LOG = '/home/u/.config/HCP Workstation/logs/main.log';

describe('a failed start', () => {
  it('shows the cause in the catalogue wording, its code and the log file; logs the step and the error', () => {
    const error = new WorkstationError('CONFIG_FILE_UNREADABLE', { file: '/etc/hcp-workstation/config.json' });
    const { window, log } = startupFailure(error, { logFile: LOG, step: 'start' });
    expect(window.title).toBe('HCP Workstation could not start');
    expect(window.body).toContain(
      'Cause: The configuration file /etc/hcp-workstation/config.json cannot be read. [CONFIG_FILE_UNREADABLE]',
    );
    expect(window.body).toContain(`Details are in the log file: ${LOG}`);
    expect(log).toMatchObject({
      level: 'error',
      msg: 'startup failed',
      fields: { step: 'start', error: { code: 'CONFIG_FILE_UNREADABLE', name: 'WorkstationError' } },
    });
  });

  it('names the fixing command when a native module is of the wrong ABI', () => {
    const error = new WorkstationError('NATIVE_MODULE_UNAVAILABLE', {
      module: 'better-sqlite3',
      runtime: 'Electron 45.4.1',
      reason: 'built for NODE_MODULE_VERSION 115, needs 140',
      command: 'npm start',
    });
    expect(startupFailure(error, { logFile: LOG }).window.body).toContain('Fix it with: npm start');
  });

  it('shows a plain Error by name and first line, and logs its stack and cause chain', () => {
    const error = new Error('SQLITE_CANTOPEN: unable to open database file\n    at somewhere', {
      cause: new Error('EACCES'),
    });
    const { window, log } = startupFailure(error, { logFile: LOG });
    expect(window.body).toContain('Cause: Error: SQLITE_CANTOPEN: unable to open database file\n');
    expect(window.body).not.toContain('at somewhere');
    const fields = log.fields.error as Record<string, unknown>;
    expect(fields.stack).toMatch(/SQLITE_CANTOPEN/);
    expect(fields.cause).toMatchObject({ message: 'EACCES' });
  });

  it('says so when there is no log file, and speaks Greek on a Greek system', () => {
    const { window } = startupFailure('boom', { logFile: null, locale: localeOf('el-GR') });
    expect(window.title).toBe(MESSAGES.el.app.startupFailedTitle);
    expect(window.body).toContain(MESSAGES.el.app.startupNoLog);
    expect(window.body).toContain('boom');
    expect(localeOf('en-US')).toBe('en');
  });

  it('a preload error or a failed page load is a failed start with its step', () => {
    const f = windowLoadFailure('preload-error', new Error('module not found: zod'), { logFile: LOG });
    expect(f.window.body).toContain('module not found: zod');
    expect(f.log.fields.step).toBe('preload-error');
  });

  it('logs nothing secret even if a caller put it in the details', () => {
    const fields = errorFields(Object.assign(new WorkstationError('INTERNAL_ERROR'), {}));
    expect(redact({ error: { ...fields, passphrase: 'x' } })).toMatchObject({ error: { passphrase: '[redacted]' } });
  });
});

describe('uncaught errors', () => {
  it('while starting: a startup failure; once running: logged and the app carries on', () => {
    expect(uncaughtDecision('uncaughtException', new Error('x'), 'starting').action).toBe('startup-failure');
    const running = uncaughtDecision('unhandledRejection', new Error('late'), 'running');
    expect(running.action).toBe('continue');
    expect(running.log).toMatchObject({
      level: 'error',
      msg: 'unhandledRejection',
      fields: { phase: 'running', error: { message: 'late' } },
    });
    expect(uncaughtDecision('unhandledRejection', 42, 'running').log.fields.error).toEqual({ error: '42' });
  });

  it('causeOf never throws, whatever was thrown', () => {
    expect(causeOf(undefined)).toBe('undefined');
    expect(causeOf(null)).toBe('null');
    expect(causeOf(new TypeError('t'))).toBe('TypeError: t');
  });
});

describe('the renderer is gone', () => {
  const ctx = { logFile: LOG };
  it('a clean exit (a closing window) is only noted', () => {
    const d = rendererGoneDecision({ reason: 'clean-exit', exitCode: 0 }, [], 1000, ctx);
    expect(d.action).toBe('ignore');
    expect(d.log.level).toBe('info');
  });

  it('a crash reloads to the lock screen with the record dropped, and is logged with its reason', () => {
    const d = rendererGoneDecision({ reason: 'crashed', exitCode: 11 }, [], 1000, ctx);
    expect(d.action).toBe('reload-locked');
    expect(d.recent).toEqual([1000]);
    expect(d.log).toMatchObject({ level: 'error', fields: { reason: 'crashed', exitCode: 11, crashes: 1 } });
    expect(d.log.msg).toMatch(/lock screen.*record dropped/);
  });

  it(`gives up (tells the user, quits) after ${MAX_CRASHES_IN_WINDOW} crashes within a minute, not when they are spread out`, () => {
    let recent: number[] = [];
    const actions: string[] = [];
    for (const t of [0, 10_000, 20_000]) {
      const d = rendererGoneDecision({ reason: 'oom', exitCode: 0 }, recent, t, ctx);
      recent = d.recent;
      actions.push(d.action);
      if (d.action === 'give-up') {
        expect(d.window?.title).toBe('The HCP Workstation window stopped repeatedly');
        expect(d.window?.body).toContain('3 times');
        expect(d.window?.body).toContain(LOG);
      }
    }
    expect(actions).toEqual(['reload-locked', 'reload-locked', 'give-up']);

    recent = [];
    const spread: string[] = [];
    for (const t of [0, CRASH_WINDOW_MS, 2 * CRASH_WINDOW_MS, 3 * CRASH_WINDOW_MS]) {
      const d = rendererGoneDecision({ reason: 'crashed', exitCode: 1 }, recent, t, ctx);
      recent = d.recent;
      spread.push(d.action);
    }
    expect(spread).toEqual(['reload-locked', 'reload-locked', 'reload-locked', 'reload-locked']);
  });
});

describe('a child process is gone', () => {
  it('is logged with its type and reason; an abnormal end as an error', () => {
    expect(childGoneLog({ type: 'GPU', reason: 'crashed', exitCode: 139 })).toEqual({
      level: 'error',
      msg: 'child process gone',
      fields: { type: 'GPU', reason: 'crashed', exitCode: 139 },
    });
    expect(
      childGoneLog({
        type: 'Utility',
        reason: 'clean-exit',
        exitCode: 0,
        serviceName: 'network.mojom.NetworkService',
        name: 'Network Service',
      }),
    ).toMatchObject({
      level: 'info',
      fields: { serviceName: 'network.mojom.NetworkService', name: 'Network Service' },
    });
  });
});
