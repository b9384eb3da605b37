import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { openDatabase, type Db } from '../../../main/cache/database';
import { FileKeyStore } from '../../../main/cache/key-store';
import { RecordCache, type PurgeResult, type RecordCacheOptions } from '../../../main/cache/records';
import { FILE_SEGMENT_BYTES } from '../../../main/cache/sealed-file';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  vi.useRealTimers();
  dbs.splice(0).forEach((db) => db.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function setup(extra: Partial<RecordCacheOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-records-'));
  dirs.push(dir);
  const file = join(dir, 'workstation.sqlite');
  const { db } = openDatabase(file);
  dbs.push(db);
  let clock = new Date('2026-03-01T10:00:00Z');
  const purges: [PurgeResult, string][] = [];
  const corrupt: [string, string | null][] = [];
  const cache = new RecordCache({
    db,
    keyStore: new FileKeyStore(join(dir, 'workstation.key')),
    attachmentsDir: join(dir, 'attachments'),
    now: () => clock,
    onPurge: (r, reason) => purges.push([r, reason]),
    onCorrupt: (r, a) => corrupt.push([r, a]),
    ...extra,
  });
  return { dir, file, db, cache, purges, corrupt, advance: (ms: number) => (clock = new Date(clock.getTime() + ms)) };
}

const SECRET = 'Penicillin-anaphylaxis-MARKER-7f3a';
const record = (recordId: string, patientRef: string, version = 1) => ({
  recordId,
  patientRef,
  manifestVersion: version,
  view: { allergies: [SECRET] },
  manifest: { version, files: ['ips.json'] },
  ips: Buffer.from(JSON.stringify({ resourceType: 'Bundle', note: SECRET })),
});

/** Every byte the cache wrote: database, WAL and attachment files. */
function allBytesOnDisk(dir: string): Buffer {
  const out: Buffer[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(readFileSync(p));
    }
  };
  walk(dir);
  return Buffer.concat(out);
}

describe('record cache (real SQLite file)', () => {
  it('round-trips a record and finds it by patient reference with its age', () => {
    const { cache, advance } = setup();
    const ref = cache.patientRef('citizen-pseudonym-123');
    expect(ref).toMatch(/^[0-9a-f]{32}$/);
    expect(ref).not.toContain('123');
    cache.put(record('rec-1', ref));
    advance(90 * 60_000);
    const found = cache.findByPatientRef(ref);
    expect(found?.recordId).toBe('rec-1');
    expect(found?.view).toEqual({ allergies: [SECRET] });
    expect(found?.manifest).toEqual({ version: 1, files: ['ips.json'] });
    expect(found?.ips.toString()).toContain(SECRET);
    expect(found?.ageMs).toBe(90 * 60_000);
    expect(cache.findByPatientRef(cache.patientRef('someone-else'))).toBeNull();
  });

  it('keeps contents and attachments encrypted at rest: the plaintext is nowhere on disk', async () => {
    const { cache, db, dir } = setup();
    const ref = cache.patientRef('p');
    cache.put(record('rec-1', ref));
    await cache.putAttachment('rec-1', 'scan.pdf', 'application/pdf', Buffer.from(`%PDF ${SECRET} ${SECRET}`));
    db.pragma('wal_checkpoint(TRUNCATE)');
    const disk = allBytesOnDisk(dir);
    expect(disk.length).toBeGreaterThan(0);
    expect(disk.includes(Buffer.from(SECRET))).toBe(false);
    expect(disk.includes(Buffer.from('Penicillin'))).toBe(false);
    expect(readdirSync(join(dir, 'attachments'))).toHaveLength(1);
    expect((await cache.readAttachment('rec-1', 'scan.pdf')).toString()).toBe(`%PDF ${SECRET} ${SECRET}`);
  });

  it('streams large attachments through several segments and reads them back exactly', async () => {
    const { cache } = setup();
    cache.put(record('rec-1', 'ref'));
    const big = randomBytes(FILE_SEGMENT_BYTES * 3 + 123);
    async function* chunks() {
      for (let i = 0; i < big.length; i += 10_000) yield big.subarray(i, i + 10_000);
    }
    const info = await cache.putAttachment('rec-1', 'image', 'image/jpeg', chunks(), big.length);
    expect(info.bytes).toBe(big.length);
    expect((await cache.readAttachment('rec-1', 'image')).equals(big)).toBe(true);
    // An exact multiple of the segment size, and an empty attachment, too.
    const exact = randomBytes(FILE_SEGMENT_BYTES * 2);
    await cache.putAttachment('rec-1', 'exact', 'application/octet-stream', exact);
    await cache.putAttachment('rec-1', 'empty', 'text/plain', Buffer.alloc(0));
    expect((await cache.readAttachment('rec-1', 'exact')).equals(exact)).toBe(true);
    expect((await cache.readAttachment('rec-1', 'empty')).length).toBe(0);
    expect(cache.get('rec-1')?.attachments.map((a) => a.attachmentId)).toEqual(['empty', 'exact', 'image']);
  });

  it('detects a content blob swapped between two records, deletes it and reports CACHE_CORRUPT', () => {
    const { cache, db, corrupt } = setup();
    cache.put(record('rec-a', 'ref-a'));
    cache.put({ ...record('rec-b', 'ref-b'), view: { allergies: ['other'] } });
    const blobB = db.prepare('SELECT content FROM cached_records WHERE record_id = ?').pluck().get('rec-b');
    db.prepare('UPDATE cached_records SET content = ? WHERE record_id = ?').run(blobB, 'rec-a');
    expect(() => cache.findByPatientRef('ref-a')).toThrow(expect.objectContaining({ code: 'CACHE_CORRUPT' }));
    expect(corrupt).toEqual([['rec-a', null]]);
    expect(cache.get('rec-a')).toBeNull();
    expect(cache.get('rec-b')?.view).toEqual({ allergies: ['other'] });
  });

  it('detects attachment files swapped between attachments', async () => {
    const { cache, db, corrupt } = setup();
    cache.put(record('rec-1', 'ref'));
    await cache.putAttachment('rec-1', 'a', 'text/plain', Buffer.from('first'));
    await cache.putAttachment('rec-1', 'b', 'text/plain', Buffer.from('second'));
    const files = db
      .prepare('SELECT attachment_id, file_name FROM cached_attachments ORDER BY attachment_id')
      .all() as { attachment_id: string; file_name: string }[];
    db.transaction(() => {
      db.prepare("UPDATE cached_attachments SET file_name = 'tmp' WHERE attachment_id = 'a'").run();
      db.prepare("UPDATE cached_attachments SET file_name = ? WHERE attachment_id = 'b'").run(files[0]!.file_name);
      db.prepare("UPDATE cached_attachments SET file_name = ? WHERE attachment_id = 'a'").run(files[1]!.file_name);
    })();
    await expect(cache.readAttachment('rec-1', 'a')).rejects.toMatchObject({ code: 'CACHE_CORRUPT' });
    expect(corrupt).toEqual([['rec-1', 'a']]);
    await expect(cache.readAttachment('rec-1', 'a')).rejects.toMatchObject({ code: 'CACHE_RECORD_MISSING' });
    // The record itself is intact.
    expect(cache.get('rec-1')?.view).toEqual({ allergies: [SECRET] });
  });

  it('an attachment file in the old HCPA format is a miss: typed error, file and row removed, stored again', async () => {
    const { cache, db, dir, corrupt } = setup();
    cache.put(record('rec-1', 'ref'));
    const plain = randomBytes(FILE_SEGMENT_BYTES + 10);
    for (const read of [
      () => cache.readAttachment('rec-1', 'scan'),
      async () => {
        for await (const _ of cache.attachmentRange('rec-1', 'scan', 0, 9)) void _;
      },
    ]) {
      await cache.putAttachment('rec-1', 'scan', 'image/png', plain);
      const name = db.prepare('SELECT file_name FROM cached_attachments').pluck().get() as string;
      const file = join(dir, 'attachments', name);
      // What the cache wrote before the container format: magic, version 1, nonce prefix, segments.
      const old = Buffer.concat([
        Buffer.from('HCPA'),
        Buffer.from([1]),
        randomBytes(7),
        randomBytes(plain.length + 32),
      ]);
      writeFileSync(file, old);
      await expect(read()).rejects.toMatchObject({ code: 'CACHE_CORRUPT', details: { reason: 'format' } });
      expect(existsSync(file)).toBe(false);
      expect(cache.attachmentInfo('rec-1', 'scan')).toBeNull();
      expect(readdirSync(join(dir, 'attachments'))).toEqual([]);
    }
    expect(corrupt).toEqual([
      ['rec-1', 'scan'],
      ['rec-1', 'scan'],
    ]);
    // The record is intact, and the attachment downloaded again reads back.
    expect(cache.get('rec-1')?.view).toEqual({ allergies: [SECRET] });
    await cache.putAttachment('rec-1', 'scan', 'image/png', plain);
    expect((await cache.readAttachment('rec-1', 'scan')).equals(plain)).toBe(true);
  });

  it('treats a flipped bit, a truncated blob, a truncated file and a missing file as corrupt, never a crash', async () => {
    const { cache, db, dir } = setup();
    cache.put(record('rec-1', 'ref'));
    const blob = db.prepare('SELECT content FROM cached_records').pluck().get() as Buffer;
    blob[blob.length - 20]! ^= 1;
    db.prepare('UPDATE cached_records SET content = ?').run(blob);
    expect(() => cache.get('rec-1')).toThrow(WorkstationError);
    expect(cache.stats().records).toBe(0);

    cache.put(record('rec-2', 'ref'));
    db.prepare('UPDATE cached_records SET content = ?').run(Buffer.from([1, 2, 3]));
    expect(() => cache.get('rec-2')).toThrow(expect.objectContaining({ code: 'CACHE_CORRUPT' }));

    cache.put(record('rec-3', 'ref'));
    await cache.putAttachment('rec-3', 'big', 'application/octet-stream', randomBytes(FILE_SEGMENT_BYTES * 2 + 5));
    await cache.putAttachment('rec-3', 'gone', 'text/plain', Buffer.from('x'));
    const names = db.prepare('SELECT attachment_id, file_name FROM cached_attachments').all() as {
      attachment_id: string;
      file_name: string;
    }[];
    const big = join(dir, 'attachments', names.find((n) => n.attachment_id === 'big')!.file_name);
    // Drop the last segment: every remaining segment authenticates, but the end is missing.
    const whole = readFileSync(big);
    writeFileSync(big, whole.subarray(0, whole.length - (5 + 16)));
    await expect(cache.readAttachment('rec-3', 'big')).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'truncated' },
    });
    rmSync(join(dir, 'attachments', names.find((n) => n.attachment_id === 'gone')!.file_name));
    await expect(cache.readAttachment('rec-3', 'gone')).rejects.toMatchObject({
      code: 'CACHE_CORRUPT',
      details: { reason: 'file-missing' },
    });
    expect(cache.get('rec-3')?.attachments).toEqual([]);
  });

  it('refuses every record with another workstation key (as corrupt, removed)', () => {
    const { cache, db, dir } = setup();
    cache.put(record('rec-1', 'ref'));
    const other = new RecordCache({
      db,
      keyStore: new FileKeyStore(join(dir, 'other.key')),
      attachmentsDir: join(dir, 'attachments'),
      now: () => new Date('2026-03-01T11:00:00Z'),
    });
    expect(() => other.get('rec-1')).toThrow(expect.objectContaining({ code: 'CACHE_CORRUPT' }));
    expect(other.patientRef('p')).not.toBe(cache.patientRef('p'));
  });

  it('purges past retention with a fake clock; purgeNow and purgeAll return counts and remove files', async () => {
    const { cache, dir, advance, purges } = setup({ retentionHours: 24 });
    cache.put(record('old', 'ref-old'));
    await cache.putAttachment('old', 'a', 'text/plain', Buffer.from('abc'));
    advance(20 * 3_600_000);
    cache.put(record('new', 'ref-new'));
    await cache.putAttachment('new', 'a', 'text/plain', Buffer.from('def'));
    expect(cache.purgeNow()).toEqual({ records: 0, attachments: 0, bytes: 0 });
    advance(4 * 3_600_000); // "old" is exactly 24 h old: gone from lookups and purged
    expect(cache.findByPatientRef('ref-old')).toBeNull();
    expect(cache.list().map((r) => r.recordId)).toEqual(['new']);
    const before = cache.stats();
    const purged = cache.purgeNow('retention');
    expect(purged.records).toBe(1);
    expect(purged.attachments).toBe(1);
    expect(cache.stats().bytes).toBe(before.bytes - purged.bytes);
    expect(readdirSync(join(dir, 'attachments'))).toHaveLength(1);
    expect(cache.purgeAll('sign-out')).toMatchObject({ records: 1, attachments: 1 });
    expect(cache.stats()).toEqual({
      records: 0,
      attachments: 0,
      bytes: 0,
      oldestFetchedAt: null,
      partial: { files: 0, bytes: 0 },
      sweptAtStart: { files: 0, bytes: 0 },
    });
    expect(readdirSync(join(dir, 'attachments'))).toHaveLength(0);
    expect(purges.map(([r, reason]) => [r.records, reason])).toEqual([
      [1, 'retention'],
      [1, 'sign-out'],
    ]);
  });

  it('runs the retention purge on its timer', () => {
    vi.useFakeTimers();
    const { cache, advance, purges } = setup({ retentionHours: 1, purgeIntervalMs: 60_000 });
    cache.put(record('r', 'ref'));
    cache.start();
    expect(cache.stats().records).toBe(1);
    advance(2 * 3_600_000);
    vi.advanceTimersByTime(60_000);
    expect(cache.stats().records).toBe(0);
    expect(purges).toHaveLength(1);
    cache.stop();
  });

  it('reports size and count, replaces a record, and drops attachments of an older manifest version', async () => {
    const { cache } = setup();
    cache.put(record('r', 'ref', 1));
    await cache.putAttachment('r', 'a', 'text/plain', Buffer.alloc(1000, 1));
    const s1 = cache.stats();
    expect(s1.records).toBe(1);
    expect(s1.attachments).toBe(1);
    expect(s1.bytes).toBeGreaterThan(1000);
    cache.put(record('r', 'ref', 1));
    expect(cache.stats().attachments).toBe(1);
    cache.put(record('r', 'ref', 2));
    expect(cache.stats()).toMatchObject({ records: 1, attachments: 0 });
    expect(cache.get('r')?.manifestVersion).toBe(2);
  });

  it('refuses an attachment for a record that is not stored, leaving no file behind', async () => {
    const { cache, dir } = setup();
    await expect(cache.putAttachment('nope', 'a', 'text/plain', Buffer.from('x'))).rejects.toMatchObject({
      code: 'CACHE_RECORD_MISSING',
    });
    expect(readdirSync(join(dir, 'attachments'))).toEqual([]);
  });

  it('removes stray files no row names on purge', () => {
    const { cache, dir } = setup();
    writeFileSync(join(dir, 'attachments', 'orphan.hcpa'), 'x');
    writeFileSync(join(dir, 'attachments', 'fresh.part'), 'x');
    cache.purgeNow();
    expect(readdirSync(join(dir, 'attachments'))).toEqual(['fresh.part']);
    cache.purgeAll();
    expect(readdirSync(join(dir, 'attachments'))).toEqual([]);
  });
});

describe('workstation key file', () => {
  it('creates a 32-byte key with mode 0600, then loads the same key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-key-'));
    dirs.push(dir);
    const file = join(dir, 'sub', 'workstation.key');
    const key = new FileKeyStore(file).loadOrCreateKey();
    expect(key.length).toBe(32);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(new FileKeyStore(file).loadOrCreateKey().equals(key)).toBe(true);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['workstation.key']);
  });

  it('refuses a key file readable by others or of the wrong size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-key-'));
    dirs.push(dir);
    const file = join(dir, 'workstation.key');
    new FileKeyStore(file).loadOrCreateKey();
    if (process.platform !== 'win32') {
      chmodSync(file, 0o644);
      expect(() => new FileKeyStore(file).loadOrCreateKey()).toThrow(
        expect.objectContaining({ code: 'CACHE_KEY_UNAVAILABLE', details: { reason: 'key-file-permissions' } }),
      );
    }
    writeFileSync(file, Buffer.alloc(16), { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(() => new FileKeyStore(file).loadOrCreateKey()).toThrow(
      expect.objectContaining({ code: 'CACHE_KEY_UNAVAILABLE', details: { reason: 'key-file-invalid' } }),
    );
    expect(existsSync(file)).toBe(true);
  });
});

describe('unfinished downloads (.part)', () => {
  it('are swept when the cache starts (whatever their age) and counted; live ones count in stats', async () => {
    const { dir, db, cache } = setup();
    const attachments = join(dir, 'attachments');
    // A download in progress: its .part is counted in stats while it lasts.
    const { PassThrough } = await import('node:stream');
    const { readdirSync, writeFileSync } = await import('node:fs');
    cache.put({
      recordId: 'r1',
      patientRef: cache.patientRef('C'),
      manifestVersion: 1,
      view: {},
      manifest: {},
      ips: Buffer.from('{}'),
    });
    const pipe = new PassThrough();
    const stored = cache.putAttachment('r1', 'a1', 'image/png', pipe, 200_000);
    pipe.write(Buffer.alloc(200_000, 1));
    while (cache.stats().partial.bytes === 0) await new Promise((r) => setImmediate(r));
    expect(cache.stats().partial.files).toBe(1);
    pipe.end();
    await stored;
    expect(cache.stats().partial).toEqual({ files: 0, bytes: 0 });

    // A crash left two fresh .part files (415 MB in the review; small here): the next start removes them at once.
    writeFileSync(join(attachments, 'aaaa.part'), Buffer.alloc(1000));
    writeFileSync(join(attachments, 'bbbb.part'), Buffer.alloc(500));
    const next = new RecordCache({
      db,
      keyStore: new FileKeyStore(join(dir, 'workstation.key')),
      attachmentsDir: attachments,
      now: () => new Date('2026-03-01T10:00:00Z'),
    });
    expect(next.stats()).toMatchObject({
      partial: { files: 0, bytes: 0 },
      sweptAtStart: { files: 2, bytes: 1500 },
      attachments: 1,
    });
    expect(readdirSync(attachments).filter((n) => n.endsWith('.part'))).toEqual([]);
    expect((await next.readAttachment('r1', 'a1')).length).toBe(200_000);
  });
});
