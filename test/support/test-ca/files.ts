import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir. */
export function makeTempDir(prefix = 'hcp-pki-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write files (PEM text, DER, PKCS#12) into `dir`; an array of PEM strings becomes one bundle. Returns their paths. */
export function writePkiFiles<K extends string>(
  dir: string,
  files: Record<K, string | Buffer | string[]>,
): Record<K, string> {
  mkdirSync(dir, { recursive: true });
  const out = {} as Record<K, string>;
  for (const name of Object.keys(files) as K[]) {
    const content = files[name];
    const path = join(dir, name);
    writeFileSync(path, Array.isArray(content) ? content.join('') : content);
    out[name] = path;
  }
  return out;
}
