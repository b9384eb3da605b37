/**
 * Record freshness (issue 12 §3, docs/formats.md §6.4): an older manifest than the highest seen is
 * a replay; a next version must name the one seen in `previous`; the same version must be the same
 * bytes; the table lives in a real SQLite file and survives the cache's purges.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/cache/database';
import { randomPseudonym } from '../../../main/emergency';
import {
  RecordFreshness,
  RecordWriter,
  checkFreshness,
  openManifest,
  type VerifiedManifest,
} from '../../../main/record';

const masterKey = randomBytes(32);
const citizenId = randomPseudonym();
const key = { masterKey, citizenId };
const signer = { privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey };
const ips = Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'document', entry: [] }));

function version(basedOn?: VerifiedManifest, title = 'Patient summary'): VerifiedManifest {
  const writer = new RecordWriter({
    masterKey,
    citizenId,
    prefix: citizenId,
    ...(basedOn ? { basedOn: { manifest: basedOn.manifest, payloadSha256: basedOn.payloadSha256 } } : {}),
  });
  if (!basedOn) writer.addBuffer({ role: 'ips-summary', contentType: 'application/fhir+json', data: ips, title });
  else writer.addBuffer({ role: 'attachment', contentType: 'text/plain', data: Buffer.from(title), title });
  return openManifest(writer.finish({ signer }).upload.body, key);
}

const v1 = version();
const v2 = version(v1, 'allergy: penicillin');
const v3 = version(v2, 'second');
const v2fork = version(v1, 'another v2');
const seenAt = (v: VerifiedManifest) => ({
  highestVersion: v.manifest.version,
  payloadSha256: v.payloadSha256,
  signerKid: v.signer?.kid ?? null,
});

describe('checkFreshness', () => {
  it('accepts the first version seen, the same bytes again, the next version naming it, and a later one after skipped versions', () => {
    expect(v2.manifest.version).toBe(2);
    expect(() => checkFreshness(null, v1)).not.toThrow();
    expect(() => checkFreshness(seenAt(v1), v1)).not.toThrow();
    expect(() => checkFreshness(seenAt(v1), v2)).not.toThrow();
    expect(() => checkFreshness(seenAt(v1), v3)).not.toThrow(); // v2 never seen here
  });

  it('refuses an older version (replay) with MANIFEST_ROLLBACK {seen, got}', () => {
    expect(() => checkFreshness(seenAt(v2), v1)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_ROLLBACK', details: { seen: 2, got: 1 } }),
    );
    expect(() => checkFreshness(seenAt(v3), v2)).toThrow(expect.objectContaining({ code: 'MANIFEST_ROLLBACK' }));
  });

  it('refuses the same version with other contents, and a next version that names another predecessor', () => {
    expect(() => checkFreshness(seenAt(v2), v2fork)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_CHAIN_BROKEN', details: { reason: 'fork', version: 2 } }),
    );
    const v3onFork = version(v2fork, 'third on the fork');
    expect(() => checkFreshness(seenAt(v2), v3onFork)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_CHAIN_BROKEN', details: { reason: 'previous', version: 3 } }),
    );
  });

  it('refuses a newer version without `previous` once a version was seen', () => {
    const fresh = version(undefined, 'restarted'); // version 1 again, no previous
    const restarted = { ...fresh, manifest: { ...fresh.manifest, version: 5 } };
    expect(() => checkFreshness(seenAt(v2), restarted)).toThrow(
      expect.objectContaining({ code: 'MANIFEST_CHAIN_BROKEN', details: { reason: 'previous', version: 5 } }),
    );
  });
});

describe('RecordFreshness (SQLite, migration 006)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-fresh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the highest version, its hash and the signer across reopen; never lowers it', () => {
    const file = join(dir, 'ws.sqlite');
    let { db } = openDatabase(file);
    const f = new RecordFreshness(db, () => new Date('2026-03-01T10:00:00Z'));
    f.accept('ref-1', v2);
    f.accept('ref-1', v1); // ignored: lower
    expect(f.get('ref-1')).toEqual(seenAt(v2));
    db.close();
    ({ db } = openDatabase(file));
    const again = new RecordFreshness(db);
    expect(again.get('ref-1')).toEqual(seenAt(v2));
    expect(() => again.check('ref-1', v1)).toThrow(expect.objectContaining({ code: 'MANIFEST_ROLLBACK' }));
    expect(again.get('ref-2')).toBeNull();
    // What the cache's purge deletes is another table: this one stays.
    db.exec('DELETE FROM cached_records');
    expect(again.get('ref-1')?.highestVersion).toBe(2);
    db.close();
  });
});
