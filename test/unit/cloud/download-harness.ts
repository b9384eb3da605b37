import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { WorkstationError } from '../../../common/errors';
import { downloadAndDecrypt, type PlaintextSink } from '../../../main/cloud';
import type { ObjectStore } from '../../../main/cloud/object-store';
import type { ContainerKeyParams } from '../../../main/crypto/container';

/**
 * Drives the app's download function (downloadAndDecrypt, what main/open-record uses) over an
 * in-memory object store: the bytes a bucket would return, cut into the chunks a socket would
 * deliver, optionally broken once after N bytes the way a dropped connection is (CLOUD_UNAVAILABLE).
 */
export interface StoredObject {
  bytes: Buffer;
  /** Chunk sizes, cycled, for every GET (default 977). */
  chunks?: number[];
  /** The first GET fails (CLOUD_UNAVAILABLE mid-stream) after this many bytes. */
  cutAfter?: number;
}

export interface StoreLog {
  /** [start, end?] of every GET (start 0 and no end for a whole-object GET). */
  gets: Array<[number, number | undefined]>;
}

export function memoryStore(object: StoredObject): ObjectStore & StoreLog {
  const gets: StoreLog['gets'] = [];
  let cut = object.cutAfter;
  const respond = (start: number): Readable => {
    const sizes = object.chunks?.length ? object.chunks : [977];
    const limit = cut;
    cut = undefined;
    const body = object.bytes.subarray(start);
    return Readable.from(
      (function* () {
        let at = 0;
        for (let i = 0; at < body.length; i++) {
          const n = Math.max(1, sizes[i % sizes.length]!);
          const end = Math.min(body.length, at + n);
          if (limit !== undefined && end > limit) {
            if (limit > at) yield Buffer.from(body.subarray(at, limit));
            throw new WorkstationError('CLOUD_UNAVAILABLE', { reason: 'reset' });
          }
          // A copy, as a socket hands out fresh buffers.
          yield Buffer.from(body.subarray(at, end));
          at = end;
        }
        // Broken after the last byte, before the response ended.
        if (limit !== undefined && limit >= body.length)
          throw new WorkstationError('CLOUD_UNAVAILABLE', { reason: 'reset' });
      })(),
      { objectMode: true },
    );
  };
  return {
    endpoint: 'memory:',
    gets,
    async getObject() {
      gets.push([0, undefined]);
      return respond(0);
    },
    async getRange(_bucket, _key, start, end) {
      if (end !== undefined) throw new Error('the download asks open-ended ranges');
      gets.push([start, end]);
      // As RGW answers a range starting at the object's end (416, mapped by the ObjectStore).
      if (start >= object.bytes.length) throw new WorkstationError('CONTAINER_RANGE_INVALID', { start, end: 'end' });
      return respond(start);
    },
    async stat() {
      return { size: object.bytes.length, etag: 'x', lastModified: new Date(0), metadata: {} };
    },
    async exists() {
      return true;
    },
    async put() {
      throw new Error('read only');
    },
    invalidateCredentials() {},
    close() {},
  };
}

/** A sink that records what it was given and how it ended. */
export interface RecordingSink extends PlaintextSink<Buffer> {
  written: Buffer[];
  begun: number;
  outcome: 'open' | 'committed' | 'aborted';
}

export function recordingSink(): RecordingSink {
  const sink: RecordingSink = {
    written: [],
    begun: 0,
    outcome: 'open',
    begin() {
      sink.begun++;
    },
    write(plaintext) {
      sink.written.push(Buffer.from(plaintext));
    },
    async commit() {
      sink.outcome = 'committed';
      return Buffer.concat(sink.written);
    },
    async abort() {
      sink.outcome = 'aborted';
    },
  };
  return sink;
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface DownloadRun {
  sink: RecordingSink;
  store: ReturnType<typeof memoryStore>;
  result: Awaited<ReturnType<typeof downloadAndDecrypt<Buffer>>> | null;
  error: WorkstationError | null;
}

/** One download of `object` through the app's function; never throws a WorkstationError (returns it). */
export async function download(
  object: StoredObject,
  keyParams: ContainerKeyParams,
  expected: { sha256: string; size?: number; contentType?: string } | null,
): Promise<DownloadRun> {
  const store = memoryStore(object);
  const sink = recordingSink();
  try {
    const result = await downloadAndDecrypt({
      store,
      bucket: 'ehr',
      key: 'x',
      keyParams,
      expected,
      sink,
      resumeBackoffMs: 0,
    });
    return { sink, store, result, error: null };
  } catch (e) {
    if (!(e instanceof WorkstationError)) throw e;
    return { sink, store, result: null, error: e };
  }
}
