// Where is Electron's binary? The electron package (>= 45) downloads it on first use. Try that
// quietly once; on a machine without internet it fails and the caller falls back to the harness.
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/** opts.download: false looks only (tests); the default tries the download once. */
export function findElectronBinary(opts = {}) {
  const download = opts.download ?? true;
  const require = createRequire(import.meta.url);
  let dir;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { error: 'the electron package is not installed (run npm ci)' };
  }
  const locate = () => {
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const base = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(dir, 'dist');
    const bin = join(base, readFileSync(pathFile, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  };
  let path = locate();
  if (!path && !download)
    return {
      error:
        "Electron's binary is not installed (node_modules/electron/dist is empty: the download was skipped or failed)",
    };
  if (!path && process.env.ELECTRON_SKIP_BINARY_DOWNLOAD !== '1') {
    const run = spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: 'pipe', timeout: 10 * 60_000 });
    path = locate();
    if (!path) {
      const why =
        String(run.stderr ?? '')
          .split('\n')
          .find((l) => /error/i.test(l)) ?? 'download failed';
      return { error: `Electron's binary could not be downloaded (${why.trim().slice(0, 160)})` };
    }
  }
  return path ? { path } : { error: "Electron's binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1)" };
}
