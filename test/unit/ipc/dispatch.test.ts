import { describe, expect, it } from 'vitest';
import { createDispatcher, type Handlers } from '../../../main/ipc/dispatch';
import { WorkstationError } from '../../../common/errors';
import { silentLogger } from '../../../main/log';
import { CHANNELS } from '../../../common/ipc/contract';

function handlersWith(overrides: Partial<Handlers>): Handlers {
  const base = Object.fromEntries(
    CHANNELS.map((c) => [c, () => Promise.reject(new Error(`not under test: ${c}`))]),
  ) as unknown as Handlers;
  return { ...base, ...overrides };
}

const info = {
  version: '1.0.0',
  mode: 'training' as const,
  hospitalName: 'H',
  configProblems: [],
  notConfigured: null,
  languages: ['en'],
  defaultLanguage: 'en',
  session: { idleLockMinutes: 5, emergencyAccessMinutes: 60 },
  scanner: {
    wedge: { enabled: true, maxAverageInterKeyMs: 35, minLength: 16, suffix: 'Enter-or-Tab' as const },
    serialEnabled: false,
  },
};

describe('IPC dispatcher', () => {
  it('answers a valid request with the handler value', async () => {
    const dispatch = createDispatcher(handlersWith({ 'app.info': () => info }), silentLogger);
    expect(await dispatch('app.info', {})).toEqual({ ok: true, value: info });
  });

  it('rejects a malformed request with IPC_INVALID_REQUEST naming the field, without calling the handler', async () => {
    let called = false;
    const dispatch = createDispatcher(handlersWith({ 'app.info': () => ((called = true), info) }), silentLogger);
    const res = await dispatch('app.info', { injected: '<script>' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('IPC_INVALID_REQUEST');
    expect(res.error.details?.channel).toBe('app.info');
    expect(called).toBe(false);
    for (const bad of [null, 'text', 42, []]) {
      const r = await dispatch('app.info', bad);
      expect(r.ok ? 'ok' : r.error.code).toBe('IPC_INVALID_REQUEST');
    }
  });

  it('refuses unknown channels, including prototype names', async () => {
    const dispatch = createDispatcher(handlersWith({}), silentLogger);
    for (const name of ['nope', '__proto__', 'constructor', 'toString']) {
      const r = await dispatch(name, {});
      expect(r.ok ? 'ok' : r.error.code).toBe('IPC_UNKNOWN_CHANNEL');
    }
  });

  it('turns a typed service error into its code and an unknown failure into INTERNAL_ERROR without the message', async () => {
    const typed = createDispatcher(
      handlersWith({ 'app.info': () => Promise.reject(new WorkstationError('HRI_TIMEOUT', { ms: 3000 })) }),
      silentLogger,
    );
    expect(await typed('app.info', {})).toEqual({ ok: false, error: { code: 'HRI_TIMEOUT', details: { ms: 3000 } } });
    const logged: string[] = [];
    const logger = { ...silentLogger, error: (m: string) => logged.push(m) };
    const raw = createDispatcher(
      handlersWith({ 'app.info': () => Promise.reject(new Error('secret path /home/x')) }),
      logger,
    );
    const res = await raw('app.info', {});
    expect(res).toEqual({ ok: false, error: { code: 'INTERNAL_ERROR' } });
    expect(JSON.stringify(res)).not.toContain('secret');
    expect(logged).toHaveLength(1);
  });
});
