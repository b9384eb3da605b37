import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/cache/database';
import { FileKeyStore } from '../../../main/cache/key-store';
import { RecordCache } from '../../../main/cache/records';
import { parseCachedManifest, requireCachedManifest } from '../../../main/open-record/cached-manifest';
import type { RecordManifest } from '../../../main/record/index';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A cache on a real SQLite file; `reopen` closes it and opens the same file again. */
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-cached-manifest-'));
  dirs.push(dir);
  const open = () => {
    const { db } = openDatabase(join(dir, 'workstation.sqlite'));
    dbs.push(db);
    return {
      db,
      cache: new RecordCache({
        db,
        keyStore: new FileKeyStore(join(dir, 'workstation.key')),
        attachmentsDir: join(dir, 'attachments'),
      }),
    };
  };
  let current = open();
  return {
    get cache() {
      return current.cache;
    },
    reopen() {
      current.db.close();
      current = open();
    },
  };
}

const MANIFEST: RecordManifest = {
  format: 'hcp-ehr-manifest',
  v: 1,
  citizenId: 'pseudonym-of-the-citizen',
  version: 3,
  created: '2026-03-01T10:00:00.000Z',
  objects: [
    {
      id: 'a'.repeat(26),
      role: 'ips-summary',
      contentType: 'application/fhir+json',
      size: 1234,
      sha256: '0'.repeat(64),
      created: '2026-03-01T10:00:00.000Z',
    },
    {
      id: 'b'.repeat(26),
      role: 'attachment',
      contentType: 'image/png',
      size: 99,
      sha256: 'f'.repeat(64),
      created: '2026-03-01T10:00:00.000Z',
      title: 'Photo',
    },
  ],
};

function putAndReadBack(manifest: unknown): unknown {
  const s = setup();
  const ref = s.cache.patientRef('CITIZEN');
  // The cache stores whatever it is given (its callers pass a verified manifest); the cast stands in for a corrupt or foreign entry.
  s.cache.put({
    recordId: 'r1',
    patientRef: ref,
    manifestVersion: 3,
    view: {},
    manifest: manifest as RecordManifest,
    ips: Buffer.from('{}'),
  });
  s.reopen();
  return s.cache.get('r1')!.manifest;
}

describe('the manifest of a cached record is parsed, not cast', () => {
  it('a valid manifest comes back from the SQLite file parsed, equal to what was stored', () => {
    const back = putAndReadBack(MANIFEST);
    expect(requireCachedManifest(back)).toEqual(MANIFEST);
    expect(parseCachedManifest(back)?.objects.map((o) => o.role)).toEqual(['ips-summary', 'attachment']);
  });

  it.each([
    ['no ips-summary', { ...MANIFEST, objects: MANIFEST.objects.slice(1) }],
    ['a size that is not a number', { ...MANIFEST, objects: [{ ...MANIFEST.objects[0]!, size: '1234' }] }],
    ['an unknown format', { ...MANIFEST, format: 'something-else' }],
    ['not an object', 'hcp-ehr-manifest'],
    ['null', null],
  ])('a corrupt manifest (%s) is CACHE_CORRUPT {reason: manifest}', (_name, manifest) => {
    const back = putAndReadBack(manifest);
    expect(parseCachedManifest(back)).toBeNull();
    expect(() => requireCachedManifest(back)).toThrow(
      expect.objectContaining({ code: 'CACHE_CORRUPT', details: { reason: 'manifest' } }),
    );
  });

  it("an SHL copy's provenance is not taken for a record manifest", () => {
    const back = putAndReadBack({
      shl: { host: 'shl.example', label: null, contentType: 'application/fhir+json', card: null },
    });
    expect(parseCachedManifest(back)).toBeNull();
  });
});
