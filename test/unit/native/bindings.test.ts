import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { errorMessage } from '../../../common/i18n/messages';
import {
  chooseSqliteBinding,
  electronBuildProblem,
  electronNativeDir,
  fixCommand,
  nativeLoadError,
  sqliteBindingIn,
  type NativeRuntime,
} from '../../../main/native/bindings';
import { openSqlite } from '../../../main/native/sqlite';

const node: NativeRuntime = { packaged: false, appPath: '/repo', platform: 'linux', arch: 'x64', abi: '115' };
const devElectron: NativeRuntime = { ...node, electronVersion: '45.4.1', abi: '140' };
const installed: NativeRuntime = { ...devElectron, packaged: true, appPath: '/opt/HCP Workstation/resources/app.asar' };

const dir = mkdtempSync(join(tmpdir(), 'hcp-native-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('which better-sqlite3 binding', () => {
  it('Node (tests, CLI, harness) keeps the build npm ci made', () => {
    expect(chooseSqliteBinding(node, () => false)).toEqual({ kind: 'default' });
  });

  it('the installed app uses node_modules (electron-builder rebuilt it for the target)', () => {
    expect(chooseSqliteBinding(installed, () => false)).toEqual({ kind: 'default' });
  });

  it('Electron from the checkout loads the copy npm start built for its ABI, in a directory of its own', () => {
    const expected = join(
      '/repo',
      '.electron-native',
      'electron-45.4.1-linux-x64',
      'node_modules',
      'better-sqlite3',
      'build',
      'Release',
      'better_sqlite3.node',
    );
    expect(sqliteBindingIn(electronNativeDir('/repo', '45.4.1', 'linux', 'x64'))).toBe(expected);
    expect(chooseSqliteBinding(devElectron, (p) => p === expected)).toEqual({ kind: 'file', path: expected });
  });

  it('Electron from the checkout without that build: a clear error naming the fixing command', () => {
    let caught: unknown;
    try {
      chooseSqliteBinding(devElectron, () => false);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WorkstationError);
    const err = caught as WorkstationError;
    expect(err.code).toBe('NATIVE_MODULE_UNAVAILABLE');
    const text = errorMessage(err.toInfo());
    expect(text).toContain('better-sqlite3');
    expect(text).toContain('Electron 45.4.1 (NODE_MODULE_VERSION 140)');
    expect(text).toContain('Fix it with: npm run rebuild:electron');
    expect(errorMessage(err.toInfo(), 'el')).toContain('npm run rebuild:electron');
  });

  it('names a fix for every runtime', () => {
    expect(fixCommand(node)).toBe('npm rebuild better-sqlite3');
    expect(fixCommand(installed)).toMatch(/reinstall.*npm run dist/);
  });
});

describe('a binding that does not load', () => {
  it("of the wrong ABI (Node's own message) names both ABIs and the fix", () => {
    const nodeMessage =
      "The module '/repo/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 140. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).";
    const err = nativeLoadError(
      Object.assign(new Error(nodeMessage), { code: 'ERR_DLOPEN_FAILED' }),
      'better-sqlite3',
      devElectron,
    );
    expect(err?.details).toMatchObject({
      reason: 'it was built for NODE_MODULE_VERSION 115, this runtime needs 140',
      command: 'npm run rebuild:electron (npm start runs it)',
    });
  });

  it('missing (the real loader error) becomes NATIVE_MODULE_UNAVAILABLE', () => {
    let real: unknown;
    try {
      new Database(':memory:', { nativeBinding: join(dir, 'absent', 'better_sqlite3.node') });
    } catch (e) {
      real = e;
    }
    const err = nativeLoadError(real, 'better-sqlite3', node);
    expect(err?.code).toBe('NATIVE_MODULE_UNAVAILABLE');
    expect(err?.details?.command).toBe('npm rebuild better-sqlite3');
  });

  it('not a binary for this platform (the real dlopen error) becomes NATIVE_MODULE_UNAVAILABLE', () => {
    const fake = join(dir, 'fake.node');
    writeFileSync(fake, 'not an ELF file, nor PE, nor Mach-O');
    let real: unknown;
    try {
      new Database(':memory:', { nativeBinding: fake });
    } catch (e) {
      real = e;
    }
    expect(real).toBeInstanceOf(Error);
    expect(nativeLoadError(real, 'better-sqlite3', node)?.code).toBe('NATIVE_MODULE_UNAVAILABLE');
  });

  it('leaves other errors (the database file itself) alone', () => {
    let real: unknown;
    try {
      new Database(join(dir, 'no-such-dir', 'x.sqlite'), { fileMustExist: true });
    } catch (e) {
      real = e;
    }
    expect(real).toBeInstanceOf(Error);
    expect(nativeLoadError(real, 'better-sqlite3', node)).toBeNull();
    expect(nativeLoadError('a string', 'better-sqlite3', node)).toBeNull();
  });

  it('openSqlite in Node opens with the default build', () => {
    const db = openSqlite(':memory:');
    expect(db.prepare('select 1 as one').get()).toEqual({ one: 1 });
    db.close();
  });
});

describe("is an Electron build really of Electron's ABI", () => {
  const abis = { node: '115', electron: '150' };
  it("a true Electron build is refused by Node naming Electron's ABI: right", () => {
    const error =
      "Error: The module '/x.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 150. This version of Node.js requires\nNODE_MODULE_VERSION 115.";
    expect(electronBuildProblem({ loadedInNode: false, error }, abis)).toBeNull();
  });

  it("a file that loads in Node was compiled against Node's headers (npm nodedir): wrong, and says why", () => {
    expect(electronBuildProblem({ loadedInNode: true, error: '' }, abis)).toMatch(
      /compiled against Node's headers.*nodedir/,
    );
  });

  it('another ABI, or a file that does not load at all: wrong', () => {
    const error = 'NODE_MODULE_VERSION 140. This version of Node.js requires\nNODE_MODULE_VERSION 115.';
    expect(electronBuildProblem({ loadedInNode: false, error }, abis)).toBe(
      'it was built for NODE_MODULE_VERSION 140, Electron needs 150',
    );
    expect(electronBuildProblem({ loadedInNode: false, error: 'invalid ELF header' }, abis)).toMatch(
      /cannot be loaded/,
    );
  });
});
