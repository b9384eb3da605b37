/**
 * Bytes from a USB-serial (CDC-ACM) scanner -> one string per scan. Pure: no port, no timers.
 *
 * A serial scanner sends each code followed by its configured suffix, CR, LF or CR LF by default;
 * some add a prefix (STX, an AIM symbology identifier such as "]Q1") or a suffix byte (ETX) before
 * the line end. Chunks arrive split anywhere, so the framer keeps the partial scan between calls.
 */

export interface FramingOptions {
  /** Bytes that end a scan. Default CR and LF (CR LF is one end: the empty frame between them is dropped). */
  terminators?: string;
  /** Stripped from the start of a scan when present (e.g. '\x02' STX, ']Q1'). */
  prefix?: string;
  /** Stripped from the end of a scan when present, before the terminator (e.g. '\x03' ETX). */
  suffix?: string;
  /** Longest scan; a longer run of bytes is discarded up to the next terminator. Default 4096. */
  maxLength?: number;
  /** 'latin1': every byte is a character. 'ascii': bytes above 0x7F become U+FFFD (the QR parser then refuses the scan). Default 'latin1'. */
  encoding?: 'latin1' | 'ascii';
}

export type FramerOutput = { kind: 'scan'; text: string } | { kind: 'discarded'; length: number };

export class ScanFramer {
  readonly #terminators: Set<number>;
  readonly #prefix: string;
  readonly #suffix: string;
  readonly #maxLength: number;
  readonly #encoding: 'latin1' | 'ascii';
  #pending: number[] = [];
  /** Bytes of an over-long scan dropped so far (until its terminator). */
  #overflow = 0;

  constructor(options: FramingOptions = {}) {
    const terminators = options.terminators ?? '\r\n';
    if (terminators.length === 0) throw new RangeError('serial scanner framing needs at least one terminator byte');
    this.#terminators = new Set([...terminators].map((c) => byteOf(c)));
    this.#prefix = options.prefix ?? '';
    this.#suffix = options.suffix ?? '';
    this.#maxLength = options.maxLength ?? 4096;
    this.#encoding = options.encoding ?? 'latin1';
    for (const c of this.#prefix + this.#suffix) byteOf(c);
  }

  push(chunk: Uint8Array): FramerOutput[] {
    const out: FramerOutput[] = [];
    for (const byte of chunk) {
      if (this.#terminators.has(byte)) {
        if (this.#overflow > 0) out.push({ kind: 'discarded', length: this.#overflow });
        else if (this.#pending.length > 0) {
          const text = this.#strip(this.#decode(this.#pending));
          if (text.length > 0) out.push({ kind: 'scan', text });
        }
        this.#pending = [];
        this.#overflow = 0;
      } else if (this.#overflow > 0) {
        this.#overflow++;
      } else if (this.#pending.length >= this.#maxLength + this.#prefix.length + this.#suffix.length) {
        this.#overflow = this.#pending.length + 1;
        this.#pending = [];
      } else {
        this.#pending.push(byte);
      }
    }
    return out;
  }

  /** Drop a partial scan (the port closed mid-scan). */
  reset(): void {
    this.#pending = [];
    this.#overflow = 0;
  }

  #decode(bytes: number[]): string {
    return String.fromCharCode(...bytes.map((b) => (this.#encoding === 'ascii' && b > 0x7f ? 0xfffd : b)));
  }

  #strip(text: string): string {
    let t = text;
    if (this.#prefix && t.startsWith(this.#prefix)) t = t.slice(this.#prefix.length);
    if (this.#suffix && t.endsWith(this.#suffix)) t = t.slice(0, -this.#suffix.length);
    return t;
  }
}

function byteOf(c: string): number {
  const code = c.charCodeAt(0);
  if (c.length !== 1 || code > 0xff)
    throw new RangeError(`serial scanner framing: ${JSON.stringify(c)} is not a single byte`);
  return code;
}
