import { createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import { ContainerDecoder, ContainerEncoder, openContainerReader, type ContainerKeyParams } from '../crypto';

/**
 * Large cached attachments are streamed to encrypted files (bounded memory whatever their size).
 * The file IS an EHR container v1 (docs/formats.md §3), written and read by the one container
 * codec (main/crypto): no framing or nonce code of its own here.
 *
 *  - Key: the container key derived from the cache's content key (a subkey of the workstation
 *    key, never a QR master key) under the `object` purpose, with the attachment's place
 *    (`blobAad(cached_attachments, record id, attachment id)`) as associated data: a file moved
 *    to another attachment, record or workstation fails the header's authentication.
 *  - Segments of FILE_SEGMENT_BYTES; the plaintext length is in the authenticated header, so
 *    truncation, dropped or reordered segments fail too.
 *  - Any failure (including a file in an older or unknown format) is CACHE_CORRUPT {reason}:
 *    the cache then drops the entry and the attachment is downloaded again.
 */
export const FILE_SEGMENT_BYTES = 64 * 1024;
/** The header's content type: the cache row holds the attachment's real one. */
const FILE_CONTENT_TYPE = 'application/octet-stream';
/** Upper bound of one positioned read of a range (whole segments). */
const RANGE_READ_BYTES = 1024 * 1024;

export interface SealedFileInfo {
  /** Plaintext bytes. */
  plaintextBytes: number;
  /** Bytes on disk. */
  storedBytes: number;
}

const CORRUPT_REASON: Partial<Record<string, string>> = {
  CONTAINER_AUTH_FAILED: 'authentication',
  CONTAINER_TRUNCATED: 'truncated',
  CONTAINER_TRAILING_DATA: 'trailing-data',
  CONTAINER_BAD_HEADER: 'format',
  CONTAINER_UNSUPPORTED_VERSION: 'format',
  OBJECT_INTEGRITY_FAILED: 'size',
};

/** Every read failure as CACHE_CORRUPT {reason}, the cause kept. */
function corrupt(e: unknown): WorkstationError {
  if (isWorkstationError(e)) {
    if (e.code === 'CACHE_CORRUPT') return e;
    return new WorkstationError('CACHE_CORRUPT', { reason: CORRUPT_REASON[e.code] ?? 'unreadable' }, { cause: e });
  }
  const missing = (e as NodeJS.ErrnoException | null)?.code === 'ENOENT';
  return new WorkstationError('CACHE_CORRUPT', { reason: missing ? 'file-missing' : 'unreadable' }, { cause: e });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function keyParams(key: Buffer, aad: Buffer | string): ContainerKeyParams {
  let associatedData: string;
  try {
    associatedData = typeof aad === 'string' ? aad : utf8.decode(aad);
  } catch (e) {
    throw new WorkstationError('INVALID_INPUT', { field: 'associatedData' }, { cause: e });
  }
  return { masterKey: key, purpose: 'object', associatedData };
}

/**
 * Encrypts `source` (exactly `plaintextBytes` bytes: more or fewer is INVALID_INPUT) into `file`
 * (created exclusively, mode 0600), streaming it through the container encoder.
 */
export async function writeSealedFile(
  file: string,
  key: Buffer,
  aad: Buffer | string,
  source: AsyncIterable<Uint8Array>,
  plaintextBytes: number,
): Promise<SealedFileInfo> {
  const encoder = new ContainerEncoder(plaintextBytes, {
    ...keyParams(key, aad),
    contentType: FILE_CONTENT_TYPE,
    segmentSize: FILE_SEGMENT_BYTES,
  });
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  let storedBytes = 0;
  const write = async (parts: Buffer[]): Promise<void> => {
    for (const part of parts) {
      storedBytes += part.length;
      if (!out.write(part)) await once(out, 'drain');
    }
  };
  try {
    for await (const chunk of source) {
      await write(encoder.feed(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    }
    await write(encoder.end());
    out.end();
    await once(out, 'close');
    return { plaintextBytes, storedBytes };
  } catch (e) {
    out.destroy();
    throw e;
  }
}

/**
 * Decrypts `file` through the container decoder; every yielded chunk has passed its
 * authentication, and a missing end (truncation) throws at the end. Any failure throws CACHE_CORRUPT.
 */
export async function* readSealedFile(file: string, key: Buffer, aad: Buffer | string): AsyncGenerator<Buffer> {
  const decoder = new ContainerDecoder(keyParams(key, aad));
  const stream = createReadStream(file, { highWaterMark: FILE_SEGMENT_BYTES });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const segment of decoder.feed(chunk)) yield* segment.pieces;
    }
    decoder.end();
  } catch (e) {
    throw corrupt(e);
  } finally {
    stream.destroy();
  }
}

/**
 * Plaintext bytes `start`..`end` (inclusive) of a sealed file of `plaintextBytes` bytes: the
 * container's header is read and authenticated, then only the segments covering the range are
 * read (positioned reads, bounded memory) and verified by the decoder. The file's size and the
 * header's plaintext length are checked against `plaintextBytes` before any segment is read.
 * RangeError for a range outside the file; CACHE_CORRUPT for any damage.
 */
export async function* readSealedFileRange(
  file: string,
  key: Buffer,
  aad: Buffer | string,
  plaintextBytes: number,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  if (end < start) return;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end >= plaintextBytes)
    throw new RangeError('range outside the file');
  const params = keyParams(key, aad);
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'r');
    const handle = fh;
    const size = (await handle.stat()).size;
    const fetchRange = async (from: number, to: number): Promise<Buffer> => {
      const length = Math.max(0, Math.min(to, size) - from);
      const bytes = Buffer.allocUnsafe(length);
      let at = 0;
      while (at < length) {
        const { bytesRead } = await handle.read(bytes, at, length - at, from + at);
        if (bytesRead === 0) break;
        at += bytesRead;
      }
      return bytes.subarray(0, at);
    };
    const reader = await openContainerReader(fetchRange, params, {
      containerLength: size,
      maxFetchBytes: RANGE_READ_BYTES,
      expect: { size: plaintextBytes },
    });
    yield* reader.pieces(start, end + 1);
  } catch (e) {
    throw corrupt(e);
  } finally {
    await fh?.close();
  }
}
