import { randomBytes } from 'node:crypto';
import { WorkstationError } from '../../common/errors';

/** A scan is kept this long for its open (break the glass); then it must be scanned again. */
export const SCAN_TTL_MS = 10 * 60_000;
/** At most this many scans wait for an open; the oldest goes first. */
export const MAX_PENDING_SCANS = 20;

export interface PendingScansOptions<T> {
  now: () => Date;
  /** Called when a scan is dropped (expired, evicted, taken or cleared): wipe its key material. */
  dispose?: (value: T) => void;
  ttlMs?: number;
  max?: number;
  newId?: () => string;
}

/**
 * The scans waiting for their open, by an opaque scanId (the renderer holds only the id; the key
 * material stays in main). One registry per kind of scan: our QR (EmergencyService) and SMART
 * Health Links (main/shl). Time is the injected clock's.
 */
export class PendingScans<T> {
  readonly #scans = new Map<string, { value: T; at: number }>();
  readonly #o: Required<Omit<PendingScansOptions<T>, 'dispose'>> & Pick<PendingScansOptions<T>, 'dispose'>;

  constructor(options: PendingScansOptions<T>) {
    this.#o = {
      ttlMs: SCAN_TTL_MS,
      max: MAX_PENDING_SCANS,
      newId: () => randomBytes(16).toString('hex'),
      ...options,
    };
  }

  /** Keeps a scan; returns its scanId. */
  add(value: T): string {
    this.#sweep();
    while (this.#scans.size >= this.#o.max) this.delete(this.#scans.keys().next().value as string);
    const scanId = this.#o.newId();
    this.#scans.set(scanId, { value, at: this.#o.now().getTime() });
    return scanId;
  }

  /** Whether the scanId is one of ours (expired or not: the caller routes by it). */
  has(scanId: string): boolean {
    return this.#scans.has(scanId);
  }

  /** The scan, or SCAN_EXPIRED when it is unknown or older than the limit (an expired one is dropped). */
  require(scanId: string): T {
    const scan = this.#scans.get(scanId);
    if (scan && !this.#expired(scan.at)) return scan.value;
    if (scan) this.delete(scanId);
    throw new WorkstationError('SCAN_EXPIRED');
  }

  delete(scanId: string): void {
    const scan = this.#scans.get(scanId);
    if (!scan) return;
    this.#scans.delete(scanId);
    this.#o.dispose?.(scan.value);
  }

  /** Lock, sign-out: every pending scan is dropped. */
  clear(): void {
    for (const id of [...this.#scans.keys()]) this.delete(id);
  }

  get size(): number {
    return this.#scans.size;
  }

  #expired(at: number): boolean {
    return this.#o.now().getTime() - at > this.#o.ttlMs;
  }

  #sweep(): void {
    for (const [id, s] of this.#scans) if (this.#expired(s.at)) this.delete(id);
  }
}
