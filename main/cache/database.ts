import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations/index';

export type Db = Database.Database;

export interface OpenDatabaseResult {
  db: Db;
  /** Set when the previous file was unreadable and moved aside (quarantined). */
  quarantinedTo: string | null;
}

/**
 * Opens the workstation database (WAL, foreign keys, numbered migrations). A corrupt or
 * foreign file is moved aside with a timestamped name and a fresh database is created:
 * the app never crashes on a broken cache, and the broken file stays for IT to inspect.
 */
export function openDatabase(file: string, migrations: readonly Migration[] = MIGRATIONS, now: () => Date = () => new Date()): OpenDatabaseResult {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  try {
    return { db: openAndMigrate(file, migrations), quarantinedTo: null };
  } catch (e) {
    if (file === ':memory:' || !isCorruption(e)) throw e;
    const quarantinedTo = quarantineDatabase(file, now);
    return { db: openAndMigrate(file, migrations), quarantinedTo };
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

function openAndMigrate(file: string, migrations: readonly Migration[]): Db {
  const db = new Database(file);
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
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
  const applied = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as number[]);
  const sorted = [...migrations].sort((a, b) => a.id - b.id);
  for (const m of sorted) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, new Date().toISOString());
    })();
  }
}

export function isCorruption(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB';
}
