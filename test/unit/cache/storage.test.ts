import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { toErrorInfo, WorkstationError } from '../../../common/errors';
import { Outbox, type OutboxEntryInput } from '../../../main/additions/outbox';
import { openStorageWithOutbox } from '../../../main/additions/recovery';
import { BUSY_TIMEOUT_MS, openDatabase } from '../../../main/cache/database';
import { asStorageError } from '../../../main/cache/errors';
import { FileKeyStore, RecordCache } from '../../../main/cache/index';
import { loadConfig } from '../../../main/config/index';
import { createDispatcher } from '../../../main/ipc/dispatch';
import { silentLogger } from '../../../main/log';
import { createWorkstation } from '../../../main/workstation';
import { DEFAULTS_FILE } from '../config/helpers';

/** The workstation database's failure modes, produced for real on real SQLite files. */
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'hcp-storage-'));
  dirs.push(d);
  return d;
}
const mode = (f: string) => statSync(f).mode & 0o777;

const entry = (n: number, bytes = 2000): OutboxEntryInput => ({
  additionId: n.toString(16).padStart(64, '0'),
  patientRef: 'pref',
  target: { endpoint: 'http://s3.test', region: 'r', bucket: 'pending' },
  objectKey: `CIT/${n.toString(16).padStart(64, '0')}.hcpc`,
  body: Buffer.alloc(bytes, n),
  kinds: { note: 1 },
  clinician: { name: 'Dr A', registration: 'R', certFingerprint: 'ff' },
});

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<WorkstationError> {
  let thrown: unknown = null;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(WorkstationError);
  expect((thrown as WorkstationError).code).toBe(code);
  return thrown as WorkstationError;
}

describe('SQLite failures are typed errors', () => {
  it('busy timeout is set on every connection', () => {
    const { db } = openDatabase(join(tmp(), 'ws.sqlite'));
    expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    db.close();
  });

  it('SQLITE_BUSY: another connection holds the write lock -> STORAGE_BUSY after the timeout, the addition not half-kept', async () => {
    const dir = tmp();
    const file = join(dir, 'ws.sqlite');
    const spoolDir = join(dir, 'outbox');
    const { db } = openDatabase(file, undefined, undefined, { busyTimeoutMs: 100 });
    const outbox = new Outbox(db, { spoolDir });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const e = await expectCode(() => outbox.enqueue(entry(1)), 'STORAGE_BUSY');
    expect((e.cause as { code?: string }).code).toMatch(/^SQLITE_BUSY/);
    expect(readdirSync(spoolDir)).toEqual([]);
    other.exec('ROLLBACK');
    other.close();
    expect(outbox.enqueue(entry(1)).status).toBe('queued'); // and works once the lock is gone
    db.close();
  });

  it('SQLITE_FULL (max_page_count): STORAGE_FULL from the outbox and through the IPC boundary; what was saved stays', async () => {
    const dir = tmp();
    const { db, outbox } = openStorageWithOutbox({ file: join(dir, 'ws.sqlite'), spoolDir: join(dir, 'outbox') });
    outbox.enqueue(entry(1));
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages + 1}`);
    await expectCode(() => outbox.enqueue(entry(2, 64 * 1024)), 'STORAGE_FULL');
    expect(readdirSync(join(dir, 'outbox'))).toEqual([`${entry(1).additionId}.hcpo`]);
    expect(outbox.counts().queued).toBe(1);

    // A handler that writes without catching: the dispatcher answers the typed code, not INTERNAL_ERROR.
    const dispatch = createDispatcher(
      {
        'outbox.list': () => (
          db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('k', 'v'.repeat(100_000)),
          outbox.list()
        ),
      } as never,
      silentLogger,
    );
    expect(await dispatch('outbox.list', {})).toMatchObject({ ok: false, error: { code: 'STORAGE_FULL' } });
    db.close();
  });

  it('SQLITE_READONLY and SQLITE_IOERR map to STORAGE_READONLY / STORAGE_IO_ERROR', () => {
    const file = join(tmp(), 'ws.sqlite');
    openDatabase(file).db.close();
    const ro = new Database(file, { readonly: true });
    let raw: unknown;
    try {
      ro.prepare("INSERT INTO meta (key, value) VALUES ('a', 'b')").run();
    } catch (e) {
      raw = e;
    }
    ro.close();
    expect((raw as { code: string }).code).toBe('SQLITE_READONLY');
    expect((asStorageError(raw) as WorkstationError).code).toBe('STORAGE_READONLY');
    expect(toErrorInfo(raw)).toEqual({ code: 'STORAGE_READONLY' });
    // IOERR cannot be produced on demand without a failing device: the mapping of SQLite's codes and errno.
    expect(toErrorInfo(new Database.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'))).toEqual({
      code: 'STORAGE_IO_ERROR',
    });
    expect(toErrorInfo(Object.assign(new Error('EIO'), { code: 'EIO' }))).toEqual({ code: 'STORAGE_IO_ERROR' });
    expect(toErrorInfo(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }))).toEqual({ code: 'STORAGE_FULL' });
    expect(toErrorInfo(new Database.SqliteError('busy', 'SQLITE_BUSY_SNAPSHOT'))).toEqual({ code: 'STORAGE_BUSY' });
    expect(toErrorInfo(new Error('other'))).toEqual({ code: 'INTERNAL_ERROR' });
  });
});

describe('files are private (0600)', () => {
  it.skipIf(process.platform === 'win32')('database, WAL, SHM, lock, key, cache and spool files', async () => {
    const dir = tmp();
    const file = join(dir, 'workstation.sqlite');
    const { db, outbox } = openStorageWithOutbox({ file, spoolDir: join(dir, 'outbox') });
    outbox.enqueue(entry(1));
    const keyStore = new FileKeyStore(join(dir, 'workstation.key'));
    const cache = new RecordCache({ db, keyStore, attachmentsDir: join(dir, 'cache'), retentionHours: 1 });
    const ref = cache.patientRef('CITIZEN');
    cache.put({ recordId: 'r1', patientRef: ref, manifestVersion: 1, view: {}, manifest: {}, ips: Buffer.from('{}') });
    await cache.putAttachment('r1', 'a1', 'image/png', Readable.from([Buffer.alloc(70_000, 1)]), 70_000);
    for (const f of [
      file,
      `${file}-wal`,
      `${file}-shm`,
      `${file}.lock`,
      join(dir, 'workstation.key'),
      join(dir, 'outbox', `${entry(1).additionId}.hcpo`),
    ]) {
      expect(existsSync(f), f).toBe(true);
      expect(mode(f), f).toBe(0o600);
    }
    const cacheFiles = readdirSync(join(dir, 'cache'));
    expect(cacheFiles.length).toBeGreaterThan(0);
    for (const f of cacheFiles) expect(mode(join(dir, 'cache', f)), f).toBe(0o600);
    db.close();
  });

  it.skipIf(process.platform === 'win32')('an existing database left 0644 is tightened', () => {
    const file = join(tmp(), 'ws.sqlite');
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.exec('CREATE TABLE t (a)');
    raw.close();
    rmSync(`${file}.lock`, { force: true });
    expect(mode(file)).not.toBe(0o600);
    const { db } = openDatabase(file);
    expect(mode(file)).toBe(0o600);
    db.close();
  });
});

describe('one writer per data directory', () => {
  it('a second open of the same database is refused STORAGE_IN_USE until the first is closed', async () => {
    const dir = tmp();
    const file = join(dir, 'workstation.sqlite');
    const first = openDatabase(file);
    const e = await expectCode(() => openDatabase(file), 'STORAGE_IN_USE');
    expect(e.details).toEqual({ dir });
    first.db.close();
    openDatabase(file).db.close();
  });

  it('another process holding the directory: STORAGE_IN_USE; when it dies (SIGKILL) the lock is gone with it', async () => {
    const dir = tmp();
    const file = join(dir, 'workstation.sqlite');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./main/cache/database.ts').then(({ openDatabase }) => { openDatabase(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000); })`,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        cwd: process.cwd(),
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
      child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    await expectCode(() => openDatabase(file), 'STORAGE_IN_USE');
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    openDatabase(file).db.close();
  });

  it('two workstations (app, harness or CLI) on one data directory: the second is refused; close() releases it and never throws, even on a full database', async () => {
    const dataDir = tmp();
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE });
    const ws = createWorkstation({ loaded, dataDir, version: 't', background: false, logger: silentLogger });
    await expectCode(
      () => createWorkstation({ loaded, dataDir, version: 't', background: false, logger: silentLogger }),
      'STORAGE_IN_USE',
    );
    ws.db.pragma(`max_page_count = ${ws.db.pragma('page_count', { simple: true }) as number}`);
    await expect(ws.close()).resolves.toBeUndefined();
    await expect(ws.close()).resolves.toBeUndefined(); // twice: still no throw
    const again = createWorkstation({ loaded, dataDir, version: 't', background: false, logger: silentLogger });
    await again.close();
  });
});
