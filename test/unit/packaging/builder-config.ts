import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Minimatch } from 'minimatch';

/**
 * Static checks of electron-builder.yml: Electron's binaries cannot be downloaded on the build
 * machines, so the installer configuration is proved here instead of by packaging. Each check
 * returns problems (strings) so that the tests can show a modified copy failing.
 */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// js-yaml comes with electron-builder; it ships no types, so its one function is typed here.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

export type BuilderConfig = Record<string, unknown> & {
  files?: string[];
  asarUnpack?: string[];
  electronFuses?: Record<string, boolean>;
  extraResources?: { from: string; to: string; filter?: string[] }[];
};

export function readBuilderConfig(): BuilderConfig {
  return yaml.load(readFileSync(resolve(REPO, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
}

const options = { dot: true };

/** electron-builder's "files" semantics (app-builder-lib fileMatcher + filter), for a path relative to the project. */
export function isPackaged(config: BuilderConfig, relPath: string): boolean {
  const patterns = [...(config.files ?? ['**/*'])];
  if (!patterns.includes('package.json')) patterns.push('package.json');
  if (relPath.startsWith('node_modules/')) {
    // Production dependencies are always copied; only the exclusions apply to them.
    return !patterns.some((p) => p.startsWith('!') && new Minimatch(p.slice(1), options).match(relPath));
  }
  const matchers = patterns.flatMap((p) => {
    const m = new Minimatch(p, options);
    // A plain directory name ("out") means everything under it.
    return !p.includes('.') && !m.hasMagic() && !m.negate ? [m, new Minimatch(`${p}/**/*`, options)] : [m];
  });
  let match = false;
  for (const m of matchers) {
    if (match !== m.negate) continue;
    match = m.match(relPath);
  }
  return match;
}

export function isAsarUnpacked(config: BuilderConfig, relPath: string): boolean {
  return (config.asarUnpack ?? []).some((p) => new Minimatch(p, options).match(relPath));
}

/** The fuses a hospital installer must have, and the value each must have. */
export const REQUIRED_FUSES: Record<string, boolean> = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableCookieEncryption: true,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
  grantFileProtocolExtraPrivileges: false,
};

/** The renderer is loaded from file:// (then the file protocol needs its privileges) or from a custom protocol. */
/** The packaged renderer is served from app:// (main/electron/window.ts), never from file://. */
export function rendererLoadsFromFile(): boolean {
  return /['"`]file:\/\//.test(readFileSync(resolve(REPO, 'main/electron/window.ts'), 'utf8'));
}

export function fuseProblems(config: BuilderConfig): string[] {
  const fuses = config.electronFuses;
  if (!fuses) return ['electronFuses: missing'];
  const problems = Object.entries(REQUIRED_FUSES)
    .filter(([name, value]) => fuses[name] !== value)
    .map(([name, value]) => `electronFuses.${name}: must be ${value} (found ${String(fuses[name])})`);
  return problems;
}

/** Paths (relative to the project) that must never be inside app.asar. */
export const NEVER_PACKAGED = [
  'test/unit/config/cli.test.ts',
  'test/integration/global-setup.ts',
  'test/e2e/open-record.test.ts',
  'test/fixtures/qr/payload.json',
  'scripts/harness/serve.ts',
  'scripts/harness/main.ts',
  'scripts/sandbox/cli.ts',
  'scripts/simulator/cli.ts',
  'scripts/bench/crypto.ts',
  'docs/deployment.md',
  'out/harness/index.html',
  'out/harness/assets/index-abc123.js',
  'out/main/index.js.map',
  'main/index.ts',
  'renderer/App.vue',
  'common/config/schema.ts',
  'resources/config/defaults.json',
  'electron-builder.yml',
  'vitest.config.ts',
  'tsconfig.json',
  '.sandbox/minio/data.bin',
  // npm start's Electron build of the native modules (the installer gets electron-builder's own rebuild).
  '.electron-native/electron-45.4.1-linux-x64/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  'test-results/vitest.json',
  'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c',
  'node_modules/some-dependency/test/index.js',
  'node_modules/some-dependency/dist/index.js.map',
];

/** Paths that the app needs inside app.asar. */
export const ALWAYS_PACKAGED = [
  'package.json',
  'out/main/index.js',
  'out/preload/index.cjs',
  'out/renderer/index.html',
  'out/renderer/assets/index-abc123.js',
  'out/renderer/assets/index-abc123.css',
  'node_modules/better-sqlite3/lib/index.js',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  'node_modules/zod/index.js',
];

export function fileProblems(config: BuilderConfig): string[] {
  return [
    ...NEVER_PACKAGED.filter((p) => isPackaged(config, p)).map((p) => `files: ${p} would be packaged`),
    ...ALWAYS_PACKAGED.filter((p) => !isPackaged(config, p)).map((p) => `files: ${p} would be left out`),
  ];
}

export function nativeModuleProblems(config: BuilderConfig): string[] {
  const problems: string[] = [];
  if (config.asar !== true && config.asar !== undefined) problems.push('asar: must be true');
  for (const p of [
    'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
    'node_modules/@serialport/bindings-cpp/build/Release/bindings.node',
  ]) {
    if (!isAsarUnpacked(config, p)) problems.push(`asarUnpack: ${p} would stay inside app.asar`);
  }
  if (config.npmRebuild === false)
    problems.push('npmRebuild: must not be false (native modules must be rebuilt for Electron)');
  return problems;
}
