/**
 * The idle lock, enforced in main (the renderer also locks at once on its own timer, but a stalled
 * or compromised renderer must not keep a session open). Idle time is the shorter of: time since
 * the renderer last reported activity (`touch`, throttled keyboard/pointer activity) and, in
 * Electron, the operating system's idle time (powerMonitor.getSystemIdleTime). Measured on the
 * wall clock at every check, so a machine that slept locks as soon as it wakes.
 */
export interface IdleLockOptions {
  /** The configured limit in minutes (session.idleLockMinutes). */
  minutes: () => number;
  /** Whether there is a session to lock (signed in, not locked). */
  active: () => boolean;
  /** Lock it. */
  onIdle: () => void;
  /** Seconds since the last input anywhere on the machine, when the platform knows (Electron). */
  systemIdleSeconds?: () => number;
  now?: () => number;
  checkEveryMs?: number;
}

export class IdleLock {
  #last: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #now: () => number;

  constructor(private readonly options: IdleLockOptions) {
    this.#now = options.now ?? Date.now;
    this.#last = this.#now();
  }

  /** The clinician did something (reported by the renderer, or a sign-in/unlock). */
  touch(): void {
    this.#last = this.#now();
  }

  /** Milliseconds without activity. */
  idleMs(): number {
    const sinceTouch = this.#now() - this.#last;
    const system = this.options.systemIdleSeconds?.();
    return typeof system === 'number' && Number.isFinite(system) ? Math.min(sinceTouch, system * 1000) : sinceTouch;
  }

  /** Lock when the limit is reached; true when it locked. */
  check(): boolean {
    if (!this.options.active()) {
      this.#last = this.#now();
      return false;
    }
    if (this.idleMs() < this.options.minutes() * 60_000) return false;
    this.options.onIdle();
    return true;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.check(), this.options.checkEveryMs ?? 5_000);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
