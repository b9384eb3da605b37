import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  REPO,
  REQUIRED_FUSES,
  fileProblems,
  fuseProblems,
  isPackaged,
  nativeModuleProblems,
  readBuilderConfig,
  rendererLoadsFromFile,
  type BuilderConfig,
} from './builder-config';

const config = readBuilderConfig();
const pkg = JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as {
  productName: string;
  main: string;
  dependencies: Record<string, string>;
};

type Target = { target: string; arch?: string[] };
const targetsOf = (platform: string): string[] =>
  ((config[platform] as { target: Target[] }).target ?? []).map((t) => t.target);
const section = (name: string) => config[name] as Record<string, unknown>;

describe('electron-builder.yml', () => {
  it('is valid for the installed electron-builder (its own JSON schema)', () => {
    const schema = JSON.parse(
      readFileSync(resolve(REPO, 'node_modules/app-builder-lib/scheme.json'), 'utf8'),
    ) as object;
    // The options electron-builder itself validates with.
    const validate = new Ajv({ allErrors: true, strict: false, coerceTypes: true }).compile(schema);
    const ok = validate(structuredClone(config));
    expect(validate.errors ?? [], JSON.stringify(validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    // The schema would catch a misplaced option.
    expect(validate({ ...structuredClone(config), perMachine: true })).toBe(false);
  });

  it('names the app', () => {
    expect(config.appId).toBe('org.hcpworkstation.app');
    expect(config.productName).toBe('HCP Workstation');
    expect(config.productName).toBe(pkg.productName);
    expect(pkg.main).toBe('out/main/index.js');
  });

  it('builds per-machine Windows installers (NSIS with a wizard, and MSI)', () => {
    expect(targetsOf('win')).toEqual(['nsis', 'msi']);
    expect(section('nsis')).toMatchObject({ oneClick: false, perMachine: true });
    expect(section('msi')).toMatchObject({ perMachine: true });
  });

  it('builds an AppImage and a deb for Linux, a dmg for macOS', () => {
    expect(targetsOf('linux')).toEqual(['AppImage', 'deb']);
    expect(targetsOf('mac')).toEqual(['dmg']);
    expect(section('mac').hardenedRuntime).toBe(true);
    for (const key of ['entitlements', 'entitlementsInherit'])
      expect(existsSync(resolve(REPO, section('mac')[key] as string))).toBe(true);
  });

  it('never updates itself: no publish target, no update metadata', () => {
    expect(config.publish).toBeNull();
    expect(section('dmg').writeUpdateInfo).toBe(false);
    expect(section('nsis').differentialPackage).toBe(false);
    expect(pkg.dependencies).not.toHaveProperty('electron-updater');
  });

  it('ships the default configuration outside the asar, where the Electron runtime reads it', () => {
    expect(config.extraResources).toContainEqual(expect.objectContaining({ from: 'resources/config', to: 'config' }));
    expect(existsSync(resolve(REPO, 'resources/config/defaults.json'))).toBe(true);
    // main/electron/runtime.ts defaultsFile(): <resources>/config/defaults.json installed, resources/config in a checkout.
    const runtime = readFileSync(resolve(REPO, 'main/electron/runtime.ts'), 'utf8');
    expect(runtime).toMatch(/app\.isPackaged \? process\.resourcesPath : join\(app\.getAppPath\(\), 'resources'\)/);
    expect(runtime).toMatch(/join\(resources, 'config', 'defaults\.json'\)/);
    expect(readFileSync(resolve(REPO, 'main/index.ts'), 'utf8')).toMatch(/defaultsFile\(\)/);
  });

  it('keeps native modules out of the asar and rebuilds them for Electron', () => {
    expect(nativeModuleProblems(config)).toEqual([]);
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/node_modules/better-sqlite3/**');
    expect(config.buildDependenciesFromSource).toBe(true);
  });

  it('sets every security fuse', () => {
    expect(fuseProblems(config)).toEqual([]);
    for (const [name, value] of Object.entries(REQUIRED_FUSES)) expect(config.electronFuses?.[name]).toBe(value);
  });

  it('serves the renderer from app://, so the file protocol gets no extra privileges', () => {
    expect(rendererLoadsFromFile()).toBe(false);
    expect(config.electronFuses?.grantFileProtocolExtraPrivileges).toBe(false);
    const privileged = structuredClone(config);
    privileged.electronFuses!.grantFileProtocolExtraPrivileges = true;
    expect(fuseProblems(privileged)).toEqual([
      'electronFuses.grantFileProtocolExtraPrivileges: must be false (found true)',
    ]);
  });

  it('packages the built app only: no tests, scripts, harness, sandbox, benchmarks, docs or sources', () => {
    expect(fileProblems(config)).toEqual([]);
  });

  it('packages no file that git tracks except package.json (everything else comes from out/)', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(10);
    expect(tracked.filter((f) => isPackaged(config, f))).toEqual(['package.json']);
  });
});

describe('the packaging checks fail on a broken configuration', () => {
  const broken = (change: (c: BuilderConfig) => void): BuilderConfig => {
    const copy = structuredClone(config);
    change(copy);
    return copy;
  };

  it('when test files would be packaged', () => {
    const everything = broken((c) => (c.files = ['**/*']));
    expect(fileProblems(everything)).toEqual(
      expect.arrayContaining([
        'files: test/unit/config/cli.test.ts would be packaged',
        'files: scripts/harness/serve.ts would be packaged',
        'files: docs/deployment.md would be packaged',
      ]),
    );
    const allOut = broken((c) => (c.files = ['out/**/*']));
    expect(fileProblems(allOut)).toContain('files: out/harness/index.html would be packaged');
    const noTestExclusion = broken(
      (c) => (c.files = ['out/main/**/*', 'out/preload/**/*', 'out/renderer/**/*', 'test/**/*']),
    );
    expect(fileProblems(noTestExclusion)).toContain('files: test/e2e/open-record.test.ts would be packaged');
  });

  it('when the app itself would be left out', () => {
    expect(fileProblems(broken((c) => (c.files = ['out/main/**/*'])))).toContain(
      'files: out/renderer/index.html would be left out',
    );
  });

  it('when a fuse is off (or missing)', () => {
    expect(fuseProblems(broken((c) => (c.electronFuses!.runAsNode = true)))).toEqual([
      'electronFuses.runAsNode: must be false (found true)',
    ]);
    expect(fuseProblems(broken((c) => delete c.electronFuses!.onlyLoadAppFromAsar))).toEqual([
      'electronFuses.onlyLoadAppFromAsar: must be true (found undefined)',
    ]);
    expect(fuseProblems(broken((c) => (c.electronFuses!.enableEmbeddedAsarIntegrityValidation = false)))).toHaveLength(
      1,
    );
    expect(fuseProblems(broken((c) => delete c.electronFuses))).toEqual(['electronFuses: missing']);
  });

  it('when better-sqlite3 would stay inside the asar', () => {
    expect(
      nativeModuleProblems(broken((c) => (c.asarUnpack = ['**/node_modules/@serialport/bindings-cpp/**']))),
    ).toEqual(['asarUnpack: node_modules/better-sqlite3/build/Release/better_sqlite3.node would stay inside app.asar']);
  });
});
