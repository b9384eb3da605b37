import { SerialPort } from 'serialport';
import type { HospitalConfig } from '../../common/config/schema';
import { WorkstationError, type ErrorInfo } from '../../common/errors';
import type { WorkstationEvents } from '../events';
import type { Logger } from '../log';
import { backoffDelayMs } from '../retry';
import { ScanFramer, type FramingOptions } from './framing';

/**
 * A USB-serial (CDC-ACM, virtual COM port) scanner read in main with `serialport`. Each framed scan
 * goes to `onScan` (the workstation parses it in main: the QR text and its key never reach the
 * renderer, which gets the preview as `scanner.serialScan`); `scanner.status` says whether the port is connected. When the
 * port disappears (scanner unplugged) or cannot be opened, the reader retries with exponential
 * backoff until it comes back, then reads again — nobody has to restart the app in the ER.
 * Plain Node (no Electron); logs carry the port and counts, never the scanned text.
 */

export interface SerialScannerOptions extends FramingOptions {
  path: string;
  baudRate: number;
  /** First retry delay after a failed open or a lost port; doubles up to `maxRetryDelayMs`. Default 250. */
  retryDelayMs?: number;
  /** Default 5000. */
  maxRetryDelayMs?: number;
}

export type SerialState = 'disabled' | 'connected' | 'disconnected';

export interface SerialScannerStatus {
  state: SerialState;
  port: string | null;
  /** Why the port is not connected (SCANNER_PORT_UNAVAILABLE), while it is not. */
  error: ErrorInfo | null;
  scans: number;
}

export interface SerialScannerDeps {
  events: WorkstationEvents;
  log: Logger;
  /** A complete scan (main only: it carries the QR's key material). */
  onScan: (text: string, at: Date) => void;
  now?: () => Date;
}

export class SerialScanner {
  readonly #options: SerialScannerOptions;
  readonly #events: WorkstationEvents;
  readonly #onScan: (text: string, at: Date) => void;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #framer: ScanFramer;
  #port: SerialPort | null = null;
  #state: SerialState = 'disabled'; // until the first open attempt: then connected or disconnected
  #error: ErrorInfo | null = null;
  #scans = 0;
  #retries = 0; // failed opens since the last successful one
  #retryTimer: NodeJS.Timeout | null = null;
  #running = false;

  constructor(options: SerialScannerOptions, deps: SerialScannerDeps) {
    this.#options = options;
    this.#events = deps.events;
    this.#onScan = deps.onScan;
    this.#log = deps.log.child('scanner.serial');
    this.#now = deps.now ?? (() => new Date());
    this.#framer = new ScanFramer(options);
  }

  get status(): SerialScannerStatus {
    return { state: this.#state, port: this.#options.path, error: this.#error, scans: this.#scans };
  }

  /** Open the port (and keep reopening it). Resolves once the first attempt has finished. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    await this.#open();
  }

  /** Close the port and stop retrying (status: disabled). */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    const port = this.#port;
    this.#port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    port?.removeAllListeners();
    this.#framer.reset();
    this.#setState('disabled', null);
  }

  async #open(): Promise<void> {
    const { path, baudRate } = this.#options;
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    const opened = await new Promise<Error | null>((resolve) => port.open((err) => resolve(err ?? null)));
    if (!this.#running) {
      if (!opened) port.close();
      return;
    }
    if (opened) {
      this.#log.debug('serial scanner port cannot be opened', { port: path, reason: opened.message });
      this.#setState('disconnected', new WorkstationError('SCANNER_PORT_UNAVAILABLE', { port: path }).toInfo());
      this.#scheduleRetry();
      return;
    }
    this.#port = port;
    this.#framer.reset();
    this.#retries = 0;
    port.on('data', (chunk: Buffer) => this.#onData(chunk));
    port.on('error', (err: Error) => this.#log.warn('serial scanner port error', { port: path, reason: err.message }));
    port.on('close', () => this.#onClose(port));
    this.#log.info('serial scanner connected', { port: path, baudRate });
    this.#setState('connected', null);
  }

  #onData(chunk: Buffer): void {
    for (const out of this.#framer.push(chunk)) {
      if (out.kind === 'discarded') {
        this.#log.warn('serial scanner sent an over-long scan; discarded', {
          port: this.#options.path,
          length: out.length,
        });
        continue;
      }
      this.#scans++;
      this.#onScan(out.text, this.#now());
    }
  }

  #onClose(port: SerialPort): void {
    port.removeAllListeners();
    if (this.#port !== port) return; // closed by stop()
    this.#port = null;
    this.#framer.reset();
    if (!this.#running) return;
    this.#log.warn('serial scanner disconnected', { port: this.#options.path });
    this.#setState(
      'disconnected',
      new WorkstationError('SCANNER_PORT_UNAVAILABLE', { port: this.#options.path }).toInfo(),
    );
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (!this.#running || this.#retryTimer) return;
    // No jitter: one local device, no herd of clients to spread out.
    const delay = backoffDelayMs(this.#retries++, {
      baseMs: this.#options.retryDelayMs ?? 250,
      maxMs: this.#options.maxRetryDelayMs ?? 5000,
      jitter: 'none',
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#running) void this.#open();
    }, delay);
    this.#retryTimer.unref?.();
  }

  #setState(state: SerialState, error: ErrorInfo | null): void {
    this.#error = error;
    if (state === this.#state) return;
    this.#state = state;
    this.#emitStatus();
  }

  #emitStatus(): void {
    this.#events.emit('scanner.status', { serial: this.#state, port: this.#options.path });
  }
}

/** What the workstation holds: a running reader, or nothing when serial scanning is disabled. */
export interface SerialScannerHandle {
  readonly status: SerialScannerStatus;
  stop(): Promise<void>;
}

/**
 * Start the serial reader the hospital configuration asks for (`scanner.serial`). Disabled, or no
 * port configured: reports `disabled` once and holds nothing open.
 */
export function startSerialScanner(
  config: HospitalConfig['scanner']['serial'],
  deps: SerialScannerDeps,
  framing: FramingOptions = {},
): SerialScannerHandle {
  if (!config.enabled || config.path === null) {
    deps.events.emit('scanner.status', { serial: 'disabled', port: config.path });
    const status: SerialScannerStatus = { state: 'disabled', port: config.path, error: null, scans: 0 };
    return { status, stop: async () => {} };
  }
  const scanner = new SerialScanner({ ...framing, path: config.path, baudRate: config.baudRate }, deps);
  void scanner.start();
  return scanner;
}
