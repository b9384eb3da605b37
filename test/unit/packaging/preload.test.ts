import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, ipcName } from '../../../common/ipc/contract';
import { EVENT_NAMES, eventIpcName } from '../../../common/ipc/events';
import { REPO } from '../../support/app-build';
import { SANDBOX_MODULES, literalRequires, loadSandboxedPreload, notInSandbox } from './preload-sandbox';

/**
 * The BUILT preload (out/preload/index.cjs, what electron-builder packages), loaded as Electron
 * loads a sandboxed preload. The packaging project's global setup rebuilds out/ when it is
 * missing or older than the sources, so this never tests a stale file.
 */
const PRELOAD = join(REPO, 'out/preload/index.cjs');
let source = '';

beforeAll(() => {
  source = readFileSync(PRELOAD, 'utf8');
});

describe('the sandbox loader itself', () => {
  it('refuses a module Electron does not give a sandboxed preload, as Electron does', () => {
    expect(() => loadSandboxedPreload('const { z } = require("zod");')).toThrow(notInSandbox('zod'));
    expect(() => loadSandboxedPreload('require("node:fs");')).toThrow(notInSandbox('node:fs'));
    expect(literalRequires('const a = require("electron"); const b = require(\'zod\');')).toEqual(['electron', 'zod']);
  });
});

describe('built preload (out/preload/index.cjs) in a sandboxed context', () => {
  it('requires nothing but electron, events, timers and url (one self-contained file)', () => {
    const requires = literalRequires(source);
    expect(requires.filter((r) => !(SANDBOX_MODULES as readonly string[]).includes(r))).toEqual([]);
    // A require of a computed name cannot be checked, so there must be none.
    expect((source.match(/\brequire\s*\(/g) ?? []).length).toBe(requires.length);
    const loaded = loadSandboxedPreload(source);
    expect(loaded.required.every((r) => (SANDBOX_MODULES as readonly string[]).includes(r))).toBe(true);
    expect(loaded.required).toContain('electron');
  });

  it('exposes window.hcp with invoke, on and attachmentUrl only', () => {
    const { exposed } = loadSandboxedPreload(source);
    expect([...exposed.keys()]).toEqual(['hcp']);
    const hcp = exposed.get('hcp') as Record<string, unknown>;
    expect(Object.keys(hcp).sort()).toEqual(['attachmentUrl', 'invoke', 'on']);
    expect(typeof hcp.invoke).toBe('function');
    expect(typeof hcp.on).toBe('function');
    // The viewer's streamed route (main/viewer): a URL only, built from the ids; no bytes cross here.
    expect((hcp.attachmentUrl as (r: string, a: string) => string)('rec 1', 'a/b')).toBe(
      'hcp-attachment://record/rec%201/a%2Fb',
    );
  });

  it("invokes every contract channel under its IPC name, passing the request and main's answer through", async () => {
    const loaded = loadSandboxedPreload(source, (channel) => ({ ok: true, value: { echoed: channel } }));
    const hcp = loaded.exposed.get('hcp') as { invoke(c: string, r: unknown): Promise<unknown> };
    expect(CHANNELS.length).toBeGreaterThan(10);
    for (const channel of CHANNELS) {
      await expect(hcp.invoke(channel, { probe: channel })).resolves.toEqual({
        ok: true,
        value: { echoed: ipcName(channel) },
      });
    }
    expect(loaded.ipc.invoked).toEqual(CHANNELS.map((c) => ({ channel: ipcName(c), args: [{ probe: c }] })));
  });

  it('refuses unknown channels without reaching main', async () => {
    const loaded = loadSandboxedPreload(source);
    const hcp = loaded.exposed.get('hcp') as { invoke(c: string, r: unknown): Promise<unknown> };
    for (const bad of ['fs.readFile', 'hcp:app.info', '__proto__', 'constructor', 'toString', '']) {
      await expect(hcp.invoke(bad, {})).resolves.toMatchObject({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL' } });
    }
    expect(loaded.ipc.invoked).toEqual([]);
  });

  it('subscribes to contract events only, hands the listener the payload only, and unsubscribes', () => {
    const loaded = loadSandboxedPreload(source);
    const hcp = loaded.exposed.get('hcp') as { on(e: string, l: (...args: unknown[]) => void): () => void };
    const event = EVENT_NAMES[0]!;
    const got: unknown[][] = [];
    const off = hcp.on(event, (...args) => got.push(args));
    loaded.emit(eventIpcName(event), { n: 1 });
    expect(got).toEqual([[{ n: 1 }]]);
    off();
    loaded.emit(eventIpcName(event), { n: 2 });
    expect(got).toEqual([[{ n: 1 }]]);
    expect(loaded.ipc.removed).toEqual([{ channel: eventIpcName(event) }]);

    const unknown = hcp.on('hcp:anything', () => got.push(['unknown']));
    expect(typeof unknown).toBe('function');
    expect([...loaded.ipc.listeners.keys()]).toEqual([eventIpcName(event)]);
  });
});
