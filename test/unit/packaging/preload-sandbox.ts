import * as events from 'node:events';
import * as timers from 'node:timers';
import * as url from 'node:url';
import { createContext, runInContext } from 'node:vm';

/**
 * Loads a built preload the way Electron loads a *sandboxed* preload: a CommonJS function in a
 * fresh JavaScript context, given a `require` that knows exactly `electron`, `events`, `timers`
 * and `url` (Electron's sandbox polyfills) and throws for anything else, the same way Electron
 * does. `electron` is a recording fake of `contextBridge` and `ipcRenderer`.
 */
export const SANDBOX_MODULES = ['electron', 'events', 'timers', 'url'] as const;

export interface RecordedIpc {
  invoked: { channel: string; args: unknown[] }[];
  listeners: Map<string, ((event: unknown, ...args: unknown[]) => void)[]>;
  removed: { channel: string }[];
}

export interface LoadedPreload {
  /** What contextBridge.exposeInMainWorld received: world key -> exposed value. */
  exposed: Map<string, unknown>;
  /** Every module the preload required, in order. */
  required: string[];
  ipc: RecordedIpc;
  /** Sends an event from "main" to the listeners the preload registered. */
  emit(channel: string, payload: unknown): void;
}

/** The message Electron's sandboxed `require` gives for a module it does not provide. */
export const notInSandbox = (name: string) => `module not found: ${name}`;

export function loadSandboxedPreload(
  source: string,
  invokeAnswer: (channel: string, args: unknown[]) => unknown = () => ({ ok: true, value: null }),
): LoadedPreload {
  const exposed = new Map<string, unknown>();
  const required: string[] = [];
  const ipc: RecordedIpc = { invoked: [], listeners: new Map(), removed: [] };

  const electron = {
    contextBridge: {
      exposeInMainWorld(key: string, api: unknown) {
        if (exposed.has(key))
          throw new Error(`Cannot bind an API on top of an existing property on the window object (${key})`);
        exposed.set(key, api);
      },
    },
    ipcRenderer: {
      invoke(channel: string, ...args: unknown[]) {
        ipc.invoked.push({ channel, args });
        return Promise.resolve(invokeAnswer(channel, args));
      },
      on(channel: string, listener: (event: unknown, ...args: unknown[]) => void) {
        ipc.listeners.set(channel, [...(ipc.listeners.get(channel) ?? []), listener]);
        return electron.ipcRenderer;
      },
      off(channel: string, listener: (event: unknown, ...args: unknown[]) => void) {
        ipc.removed.push({ channel });
        ipc.listeners.set(
          channel,
          (ipc.listeners.get(channel) ?? []).filter((l) => l !== listener),
        );
        return electron.ipcRenderer;
      },
      removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void) {
        return electron.ipcRenderer.off(channel, listener);
      },
    },
  };
  const provided: Record<(typeof SANDBOX_MODULES)[number], unknown> = { electron, events, timers, url };

  const sandboxRequire = (name: string): unknown => {
    required.push(name);
    if (!Object.prototype.hasOwnProperty.call(provided, name)) throw new Error(notInSandbox(name));
    return provided[name as keyof typeof provided];
  };
  // The subset of `process` Electron gives a sandboxed preload (no require of Node modules through it).
  const sandboxProcess = Object.freeze({
    type: 'renderer',
    sandboxed: true,
    contextIsolated: true,
    platform: process.platform,
    versions: Object.freeze({ ...process.versions }),
    env: Object.freeze({}),
  });

  const context = createContext({});
  const wrapper = runInContext(`(function (exports, require, module, process, global) {${source}\n})`, context, {
    filename: 'out/preload/index.cjs',
  }) as (
    exports: unknown,
    require: (name: string) => unknown,
    module: { exports: unknown },
    process: unknown,
    global: unknown,
  ) => void;
  const module = { exports: {} };
  wrapper(module.exports, sandboxRequire, module, sandboxProcess, runInContext('globalThis', context));

  return {
    exposed,
    required,
    ipc,
    emit(channel, payload) {
      for (const l of ipc.listeners.get(channel) ?? []) l({ sender: null }, payload);
    },
  };
}

/** Every literal `require("x")` in a CommonJS bundle (executed at load or not). */
export function literalRequires(source: string): string[] {
  return [...source.matchAll(/\brequire\(\s*(["'`])([^"'`]+)\1\s*\)/g)].map((m) => m[2]!);
}
