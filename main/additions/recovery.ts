import { type Migration, isCorruption, openDatabase, quarantineDatabase, type Db } from '../cache';
import { Outbox, type OutboxRecovery } from './outbox';

/**
 * Opens the workstation database together with the additions outbox and its spool, and puts back
 * whatever unsent additions the database lost: an unreadable file is quarantined by openDatabase
 * (the outbox is then rebuilt from the spool), and damage that only shows when the outbox is read
 * (a page of the outbox table) quarantines it here and rebuilds the same way.
 */
export interface StorageReport {
  /** Where the unreadable database was moved, or null. */
  quarantinedTo: string | null;
  outbox: OutboxRecovery;
}

export interface OpenedStorage {
  db: Db;
  outbox: Outbox;
  report: StorageReport;
}

export function openStorageWithOutbox(options: {
  file: string;
  spoolDir: string;
  now?: () => Date;
  migrations?: readonly Migration[];
  /** Seals the outbox's object keys at rest (Outbox). */ workstationKey?: Buffer;
}): OpenedStorage {
  const now = options.now ?? (() => new Date());
  const first = openDatabase(options.file, options.migrations, now);
  let { db } = first;
  let quarantinedTo = first.quarantinedTo;
  let outbox = new Outbox(db, { now, spoolDir: options.spoolDir, workstationKey: options.workstationKey });
  let recovery: OutboxRecovery;
  try {
    recovery = outbox.recoverFromSpool();
  } catch (e) {
    if (!isCorruption(e)) {
      db.close();
      throw e;
    }
    db.close();
    quarantinedTo = quarantineDatabase(options.file, now);
    db = openDatabase(options.file, options.migrations, now).db;
    outbox = new Outbox(db, { now, spoolDir: options.spoolDir, workstationKey: options.workstationKey });
    recovery = outbox.recoverFromSpool();
  }
  return { db, outbox, report: { quarantinedTo, outbox: recovery } };
}
