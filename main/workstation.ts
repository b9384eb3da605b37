import { join } from 'node:path';
import type { LoadedConfig } from './config/index';
import { openDatabase, type Db } from './cache/database';
import { WorkstationEvents } from './events';
import { createLogger, type Logger } from './log';

/**
 * The composition root of the main-process services: plain Node, no Electron. The Electron
 * app, the browser harness and the CLI all build the workstation here, so every entry point
 * runs the same handlers.
 */
export interface WorkstationOptions {
  loaded: LoadedConfig;
  /** Where the database, logs and caches live (Electron: app.getPath('userData')). */
  dataDir: string;
  version: string;
  logger?: Logger;
  clock?: () => Date;
}

export interface Workstation {
  readonly loaded: LoadedConfig;
  readonly dataDir: string;
  readonly version: string;
  readonly events: WorkstationEvents;
  readonly log: Logger;
  readonly db: Db;
  readonly now: () => Date;
  close(): Promise<void>;
}

export function createWorkstation(options: WorkstationOptions): Workstation {
  const log = options.logger ?? createLogger('hcp');
  const now = options.clock ?? (() => new Date());
  const { db, quarantinedTo } = openDatabase(join(options.dataDir, 'workstation.sqlite'), undefined, now);
  if (quarantinedTo) log.warn('database was unreadable and has been quarantined', { quarantinedTo });
  const events = new WorkstationEvents();
  return {
    loaded: options.loaded,
    dataDir: options.dataDir,
    version: options.version,
    events,
    log,
    db,
    now,
    async close() {
      db.close();
    },
  };
}
