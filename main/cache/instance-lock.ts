import { openSqlite } from '../native';
import { WorkstationError } from '../../common/errors';

/**
 * One writer per data directory: the app, the browser harness and the CLI all open the workstation
 * database through openDatabase, which first takes this lock, `<database>.lock`, a tiny SQLite file
 * held in EXCLUSIVE locking mode for as long as the database is open. The lock is the operating
 * system's file lock (POSIX advisory locks, Windows LockFileEx) — released by the OS when the
 * process ends however it ends, so a crash never leaves a stale lock, and no PID files are guessed
 * at. A second writer (another process, or a second open in the same process) gets STORAGE_IN_USE.
 * Read-only tools (verify-audit) do not take it.
 */
export interface InstanceLock {
  readonly file: string;
  release(): void;
}

export function acquireInstanceLock(file: string, dir: string): InstanceLock {
  const lockDb = openSqlite(file, { timeout: 0 });
  try {
    lockDb.pragma('locking_mode = EXCLUSIVE');
    lockDb.pragma('journal_mode = DELETE');
    // The first write takes the exclusive lock; in EXCLUSIVE mode it is kept until close.
    lockDb.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since TEXT NOT NULL)');
    lockDb.prepare('DELETE FROM holder').run();
    lockDb.prepare('INSERT INTO holder (pid, since) VALUES (?, ?)').run(process.pid, new Date().toISOString());
  } catch (e) {
    lockDb.close();
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED')
      throw new WorkstationError('STORAGE_IN_USE', { dir }, { cause: e });
    throw e;
  }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      try {
        lockDb.close();
      } catch {
        // Closing releases the OS lock whatever else fails.
      }
    },
  };
}
