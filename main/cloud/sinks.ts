import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { WorkstationError } from '../../common/errors';
import type { ContainerHeader } from '../crypto';

/**
 * Where verified plaintext goes. A download calls `begin` once (after the header authenticated),
 * `write` for each verified segment in order, then exactly one of `commit` (the whole object
 * passed its integrity checks) or `abort` (anything failed). Until `commit`, the plaintext is
 * provisional: a sink must not expose it.
 */
export interface PlaintextSink<R> {
  begin(header: ContainerHeader): void | Promise<void>;
  write(plaintext: Buffer): void | Promise<void>;
  commit(sha256: string): Promise<R>;
  abort(): Promise<void>;
}

/** The manifest and the IPS summary: small objects, held in memory. */
export function bufferSink(options: { maxBytes: number }): PlaintextSink<Buffer> {
  let buffer: Buffer | null = null;
  let filled = 0;
  return {
    begin(header) {
      if (header.plaintextLength > options.maxBytes)
        throw new WorkstationError('INVALID_INPUT', { field: 'plaintextLength', max: options.maxBytes });
      buffer = Buffer.allocUnsafe(header.plaintextLength);
      filled = 0;
    },
    write(plaintext) {
      filled += plaintext.copy(buffer as Buffer, filled);
    },
    async commit() {
      const out = buffer as Buffer;
      buffer = null;
      return out.subarray(0, filled);
    },
    async abort() {
      // Verified but incomplete plaintext is wiped, not left to the garbage collector.
      buffer?.fill(0);
      buffer = null;
    },
  };
}

/**
 * Large attachments: streamed to `<dir>/.<name>.<random>.partial` (mode 0600), renamed to `path`
 * only at commit, deleted on abort. The file is what the caller asked for (e.g. a temporary file
 * for a viewer, or a cache step that encrypts it).
 */
export function fileSink(path: string): PlaintextSink<{ path: string; size: number }> {
  const partial = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  let handle: FileHandle | null = null;
  let size = 0;
  return {
    async begin() {
      handle = await open(partial, 'wx', 0o600);
    },
    async write(plaintext) {
      const h = handle as FileHandle;
      let offset = 0;
      while (offset < plaintext.length) {
        const { bytesWritten } = await h.write(plaintext, offset, plaintext.length - offset);
        offset += bytesWritten;
      }
      size += plaintext.length;
    },
    async commit() {
      const h = handle as FileHandle;
      await h.sync();
      await h.close();
      handle = null;
      await rename(partial, path);
      return { path, size };
    },
    async abort() {
      await handle?.close().catch(() => {});
      handle = null;
      await unlink(partial).catch(() => {});
    },
  };
}
