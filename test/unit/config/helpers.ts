import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULTS_FILE = join(REPO, 'resources/config/defaults.json');

export type JsonObject = { [key: string]: unknown };

export function readDefaults(): JsonObject {
  return JSON.parse(readFileSync(DEFAULTS_FILE, 'utf8')) as JsonObject;
}

/** A copy of `obj` with the dotted key set (intermediate objects created). */
export function withKey(obj: JsonObject, dotted: string, value: unknown): JsonObject {
  const out = structuredClone(obj);
  const parts = dotted.split('.');
  let node = out;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
    node = node[p] as JsonObject;
  }
  node[parts[parts.length - 1]!] = value;
  return out;
}

/** A scratch directory with helpers to write configuration files (objects as JSON, strings verbatim). */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-config-'));
  return {
    dir,
    write(name: string, content: unknown): string {
      const file = join(dir, name);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return file;
    },
  };
}

/** A production machine file that validates (certificate-based credentials, trust anchor present). */
export function productionMachine(s: ReturnType<typeof scratch>): JsonObject {
  const anchor = s.write('pki/root.pem', '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  return {
    mode: 'production',
    hospital: { name: 'General Hospital', workstationId: 'er-ws-07' },
    hri: { url: 'https://hri.example.org', timeoutMs: 3000, retries: 2 },
    cloud: { credentials: { kind: 'minio-certificate', stsEndpoint: 'https://sts.example.org' } },
    pki: { trustAnchors: [anchor], revocation: 'hard-fail' },
  };
}
