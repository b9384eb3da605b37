import { existsSync, renameSync, rmSync } from 'node:fs';
import { join, parse } from 'node:path';
import { createRequire } from 'node:module';
import type ElectronLog from 'electron-log/node';

/**
 * A small structured logger. Callers pass codes and identifiers, never record contents,
 * keys, passphrases or tokens; `redact` is a second line of defence for field names, at any depth.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(scope: string): Logger;
}

const SENSITIVE = /key|secret|token|passphrase|password|payload|plaintext|record|bundle/i;
const MAX_DEPTH = 6;

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1, seen));
    if (value instanceof Error) {
      const { name, message } = value;
      const code = (value as { code?: unknown }).code;
      return redactValue(
        { name, message, ...(code !== undefined ? { code } : {}), stack: value.stack },
        depth,
        new WeakSet(),
      );
    }
    const out: LogFields = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SENSITIVE.test(k) ? '[redacted]' : redactValue(v, depth + 1, seen);
    return out;
  } finally {
    seen.delete(value);
  }
}

export function redact(fields: LogFields | undefined): LogFields | undefined {
  if (!fields) return undefined;
  return redactValue(fields, 0, new WeakSet()) as LogFields;
}

export type LogSink = (line: string) => void;

export const stderrSink: LogSink = (l) => process.stderr.write(l + '\n');

/** Every line to each sink. */
export const teeSink =
  (...sinks: LogSink[]): LogSink =>
  (line) => {
    for (const s of sinks) s(line);
  };

export function createLogger(scope = 'hcp', sink: LogSink = stderrSink, minLevel: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    sink(JSON.stringify({ t: new Date().toISOString(), level, scope, msg, ...redact(fields) }));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (s) => createLogger(`${scope}.${s}`, sink, minLevel),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };

/** Where the app's log lives: `<user data>/logs/main.log` (docs/deployment.md names it per OS). */
export const logFileIn = (userDataDir: string): string => join(userDataDir, 'logs', 'main.log');

export interface FileSinkOptions {
  /** Rotate when the file grows past this many bytes (default 5 MiB). */
  maxBytes?: number;
  /** How many rotated files to keep beside it: main.1.log (newest) .. main.N.log (default 3). */
  keep?: number;
  /** Write synchronously (tests, and the last lines before a fatal exit); default false: the main process never waits for the disk. */
  sync?: boolean;
}

export interface FileSink {
  readonly file: string;
  write: LogSink;
  /**
   * Synchronous writes while the app starts (a failed start exits right after its last line) and
   * before a forced exit; asynchronous otherwise.
   */
  setSync(sync: boolean): void;
}

/** Renames main.log -> main.1.log -> ... -> main.N.log, dropping the oldest. */
export function rotateLogFiles(file: string, keep: number): void {
  const { dir, name, ext } = parse(file);
  const nth = (n: number) => join(dir, `${name}.${n}${ext}`);
  if (existsSync(nth(keep))) rmSync(nth(keep), { force: true });
  for (let n = keep - 1; n >= 1; n--) if (existsSync(nth(n))) renameSync(nth(n), nth(n + 1));
  renameSync(file, nth(1));
}

/**
 * A rotating log file (electron-log's file transport: it creates the directory, appends, and
 * rotates by size). The lines are the logger's JSON lines, written as they are.
 */
export function createFileSink(file: string, options: FileSinkOptions = {}): FileSink {
  const keep = Math.max(1, options.keep ?? 3);
  // Loaded when a file log is made (the app), not by every CLI run that imports the logger.
  const electronLog = createRequire(import.meta.url)('electron-log/node') as typeof ElectronLog;
  const log = electronLog.create({ logId: `hcp-file:${file}` });
  log.transports.console.level = false;
  log.transports.file.level = 'silly';
  log.transports.file.sync = options.sync ?? false;
  log.transports.file.maxSize = options.maxBytes ?? 5 * 1024 * 1024;
  log.transports.file.format = '{text}';
  log.transports.file.resolvePathFn = () => file;
  log.transports.file.archiveLogFn = (current) => {
    try {
      rotateLogFiles(current.toString(), keep);
    } catch {
      // Could not rename (e.g. another process holds it on Windows): keep the newest quarter.
      (current as unknown as { crop(bytes: number): void }).crop(Math.round((options.maxBytes ?? 5 * 1024 * 1024) / 4));
    }
  };
  return {
    file,
    write: (line) => log.info(line),
    setSync(sync) {
      log.transports.file.sync = sync;
      // electron-log keeps one File per path, created with the mode of its first write.
      const current = log.transports.file.getFile() as unknown as { writeAsync?: boolean };
      current.writeAsync = !sync;
    },
  };
}
