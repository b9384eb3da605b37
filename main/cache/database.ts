import { chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from '../native';
import { MIGRATIONS, type Migration } from './migrations/index';
import { acquireInstanceLock } from './instance-lock';
import { asStorageError } from './errors';

/**
 * How long a statement waits for another connection's lock before failing STORAGE_BUSY. Short: the
 * wait is synchronous (the main thread), and with one writer per data directory (instance-lock.ts)
 * only a read-only tool or a checkpoint can hold it, briefly.
 */
export const BUSY_TIMEOUT_MS = 2_000;

export type Db = Database.Database;

export interface OpenDatabaseResult {
  db: Db;
  /** Set when the previous file was unreadable and moved aside (quarantined). */
  quarantinedTo: string | null;
}

export interface OpenDatabaseOptions {
  /** Default BUSY_TIMEOUT_MS. */
  busyTimeoutMs?: number;
}

/**
 * Opens the workstation database (WAL, foreign keys, busy timeout, numbered migrations) as the one
 * writer of its directory (instance-lock.ts: STORAGE_IN_USE when another holds it; released by
 * `db.close()`). The database and its WAL/SHM are 0600. A corrupt or foreign file is moved aside
 * with a timestamped name and a fresh database is created: the app never crashes on a broken
 * cache, and the broken file stays for IT to inspect. Storage failures are typed (STORAGE_*).
 */
export function openDatabase(
  file: string,
  migrations: readonly Migration[] = MIGRATIONS,
  now: () => Date = () => new Date(),
  options: OpenDatabaseOptions = {},
): OpenDatabaseResult {
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  if (file === ':memory:') return { db: openAndMigrate(file, migrations, busyTimeoutMs), quarantinedTo: null };
  const dir = dirname(file);
  let lock;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    createPrivate(`${file}.lock`);
    lock = acquireInstanceLock(`${file}.lock`, dir);
  } catch (e) {
    throw asStorageError(e);
  }
  try {
    let db: Db;
    let quarantinedTo: string | null = null;
    try {
      makePrivate(file);
      db = openAndMigrate(file, migrations, busyTimeoutMs);
    } catch (e) {
      if (!isCorruption(e)) throw e;
      quarantinedTo = quarantineDatabase(file, now);
      makePrivate(file);
      db = openAndMigrate(file, migrations, busyTimeoutMs);
    }
    const close = db.close.bind(db);
    db.close = () => {
      try {
        return close();
      } finally {
        lock.release();
      }
    };
    return { db, quarantinedTo };
  } catch (e) {
    lock.release();
    throw asStorageError(e);
  }
}

/** Creates the file empty with mode 0600 if it does not exist. */
function createPrivate(file: string): void {
  closeSync(openSync(file, 'a', 0o600));
}

/**
 * The database file 0600 before SQLite opens it: SQLite creates the -wal and -shm files with the
 * database file's mode. Files left more open by an older version are tightened.
 */
function makePrivate(file: string): void {
  createPrivate(file);
  for (const suffix of ['', '-wal', '-shm']) {
    if (process.platform !== 'win32' && existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  }
}

/** Moves a (closed) damaged database and its WAL/SHM aside under a timestamped name; returns that name. */
export function quarantineDatabase(file: string, now: () => Date = () => new Date()): string {
  const quarantinedTo = `${file}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(file + suffix)) renameSync(file + suffix, quarantinedTo + suffix);
  }
  return quarantinedTo;
}

function openAndMigrate(file: string, migrations: readonly Migration[], busyTimeoutMs: number): Db {
  const db = openSqlite(file, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    migrate(db, migrations);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: Db, migrations: readonly Migration[]): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT',
  );
  const applied = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as number[]);
  const sorted = [...migrations].sort((a, b) => a.id - b.id);
  for (const m of sorted) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(
        m.id,
        m.name,
        new Date().toISOString(),
      );
    })();
  }
}

export function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}
