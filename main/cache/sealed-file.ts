import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { WorkstationError } from '../../common/errors';

/**
 * Large cached attachments are streamed to encrypted files (bounded memory whatever their size):
 * the online-AEAD "STREAM" construction with AES-256-GCM. The plaintext is cut into segments;
 * segment i is sealed with nonce = prefix (7 random bytes) || i (uint32 BE) || last-flag (1 byte)
 * and the attachment's associated data, so segments cannot be reordered, dropped, truncated at a
 * segment boundary, or moved to another attachment without failing authentication.
 *
 * File: magic "HCPA" || version 1 || nonce prefix (7) || segments (ciphertext || tag 16)...
 */
const MAGIC = Buffer.from('HCPA', 'ascii');
const VERSION = 1;
const PREFIX = 7;
const TAG = 16;
const HEADER = MAGIC.length + 1 + PREFIX;
export const FILE_SEGMENT_BYTES = 64 * 1024;

function segmentNonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, PREFIX);
  n[11] = last ? 1 : 0;
  return n;
}

function sealSegment(key: Buffer, prefix: Buffer, index: number, last: boolean, aad: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, segmentNonce(prefix, index, last));
  c.setAAD(aad);
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
}

export interface SealedFileInfo {
  /** Plaintext bytes. */
  plaintextBytes: number;
  /** Bytes on disk. */
  storedBytes: number;
}

/** Encrypts `source` into `file` (created exclusively, mode 0600). */
export async function writeSealedFile(
  file: string,
  key: Buffer,
  aad: Buffer,
  source: AsyncIterable<Uint8Array>,
): Promise<SealedFileInfo> {
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  const prefix = randomBytes(PREFIX);
  let index = 0;
  let plaintextBytes = 0;
  let storedBytes = 0;
  const write = async (chunk: Buffer): Promise<void> => {
    storedBytes += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  try {
    await write(Buffer.concat([MAGIC, Buffer.from([VERSION]), prefix]));
    // Hold back one full segment: the last segment (possibly empty) must carry the last flag.
    let pending: Buffer = Buffer.alloc(0);
    for await (const chunk of source) {
      plaintextBytes += chunk.length;
      pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
      while (pending.length > FILE_SEGMENT_BYTES) {
        await write(sealSegment(key, prefix, index++, false, aad, pending.subarray(0, FILE_SEGMENT_BYTES)));
        pending = pending.subarray(FILE_SEGMENT_BYTES);
      }
    }
    await write(sealSegment(key, prefix, index, true, aad, pending));
    out.end();
    await once(out, 'close');
    return { plaintextBytes, storedBytes };
  } catch (e) {
    out.destroy();
    throw e;
  }
}

/**
 * Decrypts `file` segment by segment; every yielded chunk has passed its authentication, and a
 * missing end (truncation) throws at the end. Any failure throws CACHE_CORRUPT.
 */
export async function* readSealedFile(file: string, key: Buffer, aad: Buffer): AsyncGenerator<Buffer> {
  const corrupt = (reason: string, cause?: unknown) =>
    new WorkstationError('CACHE_CORRUPT', { reason }, cause === undefined ? undefined : { cause });
  const sealedSegment = FILE_SEGMENT_BYTES + TAG;
  let buffered: Buffer = Buffer.alloc(0);
  let prefix: Buffer | null = null;
  let index = 0;
  const open = (segment: Buffer, last: boolean): Buffer => {
    if (segment.length < TAG) throw corrupt('truncated');
    const d = createDecipheriv('aes-256-gcm', key, segmentNonce(prefix as Buffer, index++, last));
    d.setAAD(aad);
    d.setAuthTag(segment.subarray(segment.length - TAG));
    try {
      return Buffer.concat([d.update(segment.subarray(0, segment.length - TAG)), d.final()]);
    } catch (e) {
      throw corrupt('authentication', e);
    }
  };
  let stream;
  try {
    stream = createReadStream(file, { highWaterMark: sealedSegment });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      if (!prefix) {
        if (buffered.length < HEADER) continue;
        if (!buffered.subarray(0, MAGIC.length).equals(MAGIC) || buffered[MAGIC.length] !== VERSION)
          throw corrupt('format');
        prefix = Buffer.from(buffered.subarray(MAGIC.length + 1, HEADER));
        buffered = buffered.subarray(HEADER);
      }
      // A full segment followed by more bytes is not the last one.
      while (buffered.length > sealedSegment) {
        yield open(buffered.subarray(0, sealedSegment), false);
        buffered = buffered.subarray(sealedSegment);
      }
    }
    if (!prefix) throw corrupt('format');
    yield open(buffered, true);
  } catch (e) {
    if (e instanceof WorkstationError) throw e;
    throw corrupt((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file-missing' : 'unreadable', e);
  } finally {
    stream?.destroy();
  }
}

/**
 * Plaintext bytes `start`..`end` (inclusive) of a sealed file of `plaintextBytes` bytes, decrypted
 * segment by segment from where the range begins (positioned reads: bounded memory, no read of
 * the segments before it). Each segment is authenticated with its index and, for the file's last
 * segment, the last flag, so every byte yielded is the attachment's own byte at that position; a
 * truncated or altered file throws CACHE_CORRUPT when the range reaches the damage. The file's
 * size is checked against the size the segments must take before anything is read.
 */
export async function* readSealedFileRange(
  file: string,
  key: Buffer,
  aad: Buffer,
  plaintextBytes: number,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  const corrupt = (reason: string, cause?: unknown) =>
    new WorkstationError('CACHE_CORRUPT', { reason }, cause === undefined ? undefined : { cause });
  const segments = Math.max(1, Math.ceil(plaintextBytes / FILE_SEGMENT_BYTES));
  const sealedSegment = FILE_SEGMENT_BYTES + TAG;
  if (end < start) return;
  if (start < 0 || end >= plaintextBytes) throw new RangeError('range outside the file');
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'r');
    const expected = HEADER + plaintextBytes + segments * TAG;
    if ((await fh.stat()).size !== expected) throw corrupt('truncated');
    const header = Buffer.alloc(HEADER);
    await fh.read(header, 0, HEADER, 0);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC) || header[MAGIC.length] !== VERSION) throw corrupt('format');
    const prefix = header.subarray(MAGIC.length + 1, HEADER);
    const first = Math.floor(start / FILE_SEGMENT_BYTES);
    const last = Math.floor(end / FILE_SEGMENT_BYTES);
    const sealed = Buffer.alloc(sealedSegment);
    for (let i = first; i <= last; i++) {
      const isLast = i === segments - 1;
      const length = isLast ? plaintextBytes - i * FILE_SEGMENT_BYTES + TAG : sealedSegment;
      const { bytesRead } = await fh.read(sealed, 0, length, HEADER + i * sealedSegment);
      if (bytesRead !== length) throw corrupt('truncated');
      const d = createDecipheriv('aes-256-gcm', key, segmentNonce(prefix, i, isLast));
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(length - TAG, length));
      let plain: Buffer;
      try {
        plain = Buffer.concat([d.update(sealed.subarray(0, length - TAG)), d.final()]);
      } catch (e) {
        throw corrupt('authentication', e);
      }
      const from = i === first ? start - i * FILE_SEGMENT_BYTES : 0;
      const to = i === last ? end - i * FILE_SEGMENT_BYTES + 1 : plain.length;
      yield plain.subarray(from, to);
    }
  } catch (e) {
    if (e instanceof WorkstationError || e instanceof RangeError) throw e;
    throw corrupt((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file-missing' : 'unreadable', e);
  } finally {
    await fh?.close();
  }
}
