import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, isPackaged, readBuilderConfig } from './builder-config';

/** Checks of `npm run build` output as electron-builder would package it; skipped before a build. */
const OUT = resolve(REPO, 'out');
const built = existsSync(join(OUT, 'main/index.js'));

/** A bare module specifier in an import, export-from, require() or import(): a package name, never prose that happens to follow "from". */
const IMPORT_SPECIFIER =
  /(?:\bfrom\s*|\brequire\(\s*|\bimport\(\s*)["']((?:@[\w.-]+\/)?[\w-][\w.-]*(?:\/[\w.-]+)*)["']/g;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe.skipIf(!built)('build output (out/)', () => {
  const config = readBuilderConfig();
  const packaged = built
    ? walk(OUT)
        .map((f) => relative(REPO, f).split('\\').join('/'))
        .filter((f) => isPackaged(config, f))
    : [];

  it('has the three entry points electron-builder packages', () => {
    for (const f of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'])
      expect(packaged).toContain(f);
  });

  it('packages no test, harness, sandbox or benchmark file and no source map', () => {
    const suspicious = packaged.filter((f) =>
      /harness|sandbox|bench|simulator|\.test\.|\.spec\.|\/tests?\/|__tests__|fixtures|\.map$/i.test(f),
    );
    expect(suspicious).toEqual([]);
    expect(packaged.every((f) => /^out\/(main|preload|renderer)\//.test(f))).toBe(true);
  });

  it('the main and preload bundles import only Electron, Node built-ins and production dependencies', () => {
    const pkg = JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([
      'electron',
      ...builtinModules,
      ...builtinModules.map((m) => `node:${m}`),
      ...Object.keys(pkg.dependencies),
    ]);
    const bundles = packaged.filter((f) => /^out\/(main|preload)\/.*\.(c?js|mjs)$/.test(f));
    expect(bundles.length).toBeGreaterThan(0);
    const imported = bundles.flatMap((f) =>
      [...readFileSync(resolve(REPO, f), 'utf8').matchAll(IMPORT_SPECIFIER)].map((m) => m[1]!),
    );
    const packageNames = imported.map((s) =>
      s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!,
    );
    expect(packageNames.filter((n) => !allowed.has(n))).toEqual([]);
    // Test tooling must never reach the app.
    expect(packageNames.filter((n) => /vitest|playwright|tsx|fast-check/.test(n))).toEqual([]);
  });

  it('the renderer page is the app, not the harness', () => {
    const html = readFileSync(join(OUT, 'renderer/index.html'), 'utf8');
    expect(html).toMatch(/<div id="app">/);
    expect(html).not.toMatch(/harness|bridge/i);
  });
});

describe('the compiled IT CLI (out/cli/index.js)', () => {
  const cli = join(OUT, 'cli/index.js');

  it('loads only Node built-ins and production dependencies, and nothing from the sources', () => {
    const pkg = JSON.parse(readFileSync(resolve(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const allowed = new Set([
      ...builtinModules,
      ...builtinModules.map((m) => `node:${m}`),
      ...Object.keys(pkg.dependencies),
    ]);
    const files = walk(join(OUT, 'cli')).filter((f) => f.endsWith('.js'));
    expect(files).toContain(cli);
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const names = [...source.matchAll(IMPORT_SPECIFIER)]
        .map((m) => m[1]!)
        .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
      expect(
        names.filter((n) => !allowed.has(n)),
        file,
      ).toEqual([]);
      // Relative imports are the CLI's own chunks only: the sources are all in the bundle.
      const relative = [...source.matchAll(/(?:\bfrom\s*|\bimport\(\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
      expect(
        relative.filter((r) => !/^\.{1,2}\/(chunks\/)?[\w-]+\.js$/.test(r)),
        file,
      ).toEqual([]);
    }
  });

  it('answers help and finds the shipped defaults from out/cli (config check of a missing file)', () => {
    const help = spawnSync(process.execPath, [cli, 'help'], { encoding: 'utf8', cwd: OUT });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/verify-cert/);
    const check = spawnSync(process.execPath, [cli, 'config', 'check', join(OUT, 'absent.json')], {
      encoding: 'utf8',
      cwd: OUT,
    });
    expect(check.status).toBe(1);
    expect(check.stdout + check.stderr).toMatch(/absent\.json: \(file\): cannot be read/);
  });
});
