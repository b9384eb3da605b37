/** Native modules: where better-sqlite3's binary for this runtime (Node or Electron) is found. */
export { openSqlite, configureNativeRuntime } from './sqlite';
