import type { Readable } from 'node:stream';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import {
  ContainerDecoder,
  type ContainerHeader,
  type ContainerKeyParams,
  type ExpectedPlaintext as PlaintextFingerprint,
} from '../crypto/index';

/** A manifest entry's fingerprint: always the SHA-256; size, content type and id when known. */
export type ExpectedPlaintext = PlaintextFingerprint & { sha256: string };
import { backoffDelayMs, sleep } from '../retry';
import type { Limiter } from './limiter';
import type { ObjectStore } from './object-store';
import type { PlaintextSink } from './sinks';

/**
 * Download + decrypt of one EHR container through the one container decoder
 * (main/crypto/container-decoder.ts), streamed with bounded memory (one segment, at most
 * 16 MiB by the format, 1 MiB by default), every segment authenticated before its plaintext
 * reaches the sink, and the SHA-256 of the whole plaintext checked against the manifest entry
 * before the sink is committed. Nothing counts as downloaded until then: on any failure the sink
 * is aborted (a partial file is deleted) and a typed error is thrown.
 *
 * After a network failure (CLOUD_UNAVAILABLE: reset, cut, idle timeout, 5xx) the download resumes
 * with a ranged GET from the first segment not yet verified: the container maps segment i to
 * bytes [offset(i), offset(i) + size(i) + 16). The object changing in between cannot go
 * unnoticed: a segment of another container fails authentication (its key and nonces differ).
 */
export interface DownloadProgress {
  /** Container bytes received so far (a resumed range counts from its start). */
  receivedBytes: number;
  /** The container's size, from its authenticated header; null until the header arrived. */
  totalBytes: number | null;
  /** Plaintext bytes verified and handed to the sink. */
  verifiedBytes: number;
  /** How many times the download resumed after a network failure. */
  resumes: number;
}

export interface DownloadRequest<R> {
  store: ObjectStore;
  bucket: string;
  key: string;
  /** The QR's master key, the container purpose and the object's associated data. */
  keyParams: ContainerKeyParams;
  /**
   * The manifest entry's fingerprint. `null` only for an object that has no entry (the manifest
   * itself), whose integrity is the container's authentication alone.
   */
  expected: ExpectedPlaintext | null;
  sink: PlaintextSink<R>;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Resumes allowed after network failures (default 5). */
  maxResumes?: number;
  /** First backoff before a resume (default 200 ms, doubling, at most 5 s). */
  resumeBackoffMs?: number;
  /** Config `cloud.concurrency`: downloads beyond it wait their turn. */
  limiter?: Limiter;
}

export interface DownloadResult<R> {
  value: R;
  header: ContainerHeader;
  /** Hex SHA-256 of the verified plaintext. */
  sha256: string;
  plaintextLength: number;
  resumes: number;
}

const DEFAULT_MAX_RESUMES = 5;
const DEFAULT_RESUME_BACKOFF_MS = 200;
const MAX_RESUME_BACKOFF_MS = 5_000;

export function downloadAndDecrypt<R>(request: DownloadRequest<R>): Promise<DownloadResult<R>> {
  const run = () => runDownload(request);
  return request.limiter ? request.limiter.run(run, request.signal) : run();
}

/** What survives a resume besides the decoder (which knows the header and the first unverified segment). */
interface Progress {
  begun: boolean;
  verifiedBytes: number;
  resumes: number;
}

async function runDownload<R>(request: DownloadRequest<R>): Promise<DownloadResult<R>> {
  const { store, sink, signal } = request;
  const maxResumes = request.maxResumes ?? DEFAULT_MAX_RESUMES;
  // The decoder checks the header against the manifest entry before any segment is decrypted,
  // hashes the verified plaintext and checks its SHA-256 at the end.
  const decoder = new ContainerDecoder(request.keyParams, { expect: request.expected, hash: true });
  const state: Progress = { begun: false, verifiedBytes: 0, resumes: 0 };
  let credentialsRefreshed = false;

  try {
    for (;;) {
      if (signal?.aborted) throw new WorkstationError('CANCELLED');
      try {
        await fetchFrom(request, decoder, state);
        break;
      } catch (e) {
        const error = isWorkstationError(e) ? e : new WorkstationError('INTERNAL_ERROR', undefined, { cause: e });
        if (signal?.aborted) throw new WorkstationError('CANCELLED');
        // Temporary credentials that lapsed during a long download: fetch new ones once and go on.
        if (error.code === 'CLOUD_CREDENTIALS_EXPIRED' && !credentialsRefreshed) {
          credentialsRefreshed = true;
          store.invalidateCredentials();
          continue;
        }
        if (error.code !== 'CLOUD_UNAVAILABLE' || state.resumes >= maxResumes) throw error;
        await sleep(
          backoffDelayMs(state.resumes, {
            baseMs: request.resumeBackoffMs ?? DEFAULT_RESUME_BACKOFF_MS,
            maxMs: MAX_RESUME_BACKOFF_MS,
            jitter: 'equal',
          }),
          signal,
        );
        state.resumes++;
      }
    }

    const header = decoder.header as ContainerHeader;
    const sha256 = decoder.sha256 as string;
    const value = await sink.commit(sha256);
    return { value, header, sha256, plaintextLength: header.plaintextLength, resumes: state.resumes };
  } catch (e) {
    await sink.abort().catch(() => {});
    throw e;
  }
}

/**
 * One GET: from the start of the object while the header is unknown, else a ranged GET from the
 * first unverified segment to the end (open-ended, so that bytes past the header's end are seen as
 * CONTAINER_TRAILING_DATA on a resume too). Returns when every segment verified; throws otherwise.
 */
async function fetchFrom<R>(request: DownloadRequest<R>, decoder: ContainerDecoder, state: Progress): Promise<void> {
  const { store, bucket, key, sink, signal } = request;
  // A resume drops the half-received segment (or header) of the broken connection.
  let position = decoder.restart();
  let stream: Readable;
  try {
    stream = decoder.header
      ? await store.getRange(bucket, key, position, undefined, { signal })
      : await store.getObject(bucket, key, { signal });
  } catch (e) {
    // Every segment had verified when the connection broke, and S3 has no byte past them (416).
    if (decoder.done && isWorkstationError(e) && e.code === 'CONTAINER_RANGE_INVALID') return decoder.end();
    throw e;
  }

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    position += chunk.length;
    const segments = decoder.feed(chunk);
    if (!state.begun && decoder.header) {
      await sink.begin(decoder.header);
      state.begun = true;
    }
    for (const segment of segments) {
      for (const piece of segment.pieces) {
        // A memory sink writes synchronously: no promise to wait for per piece.
        const written = sink.write(piece);
        if (written) await written;
      }
      state.verifiedBytes += segment.length;
    }
    request.onProgress?.({
      receivedBytes: position,
      totalBytes: decoder.containerLength,
      verifiedBytes: state.verifiedBytes,
      resumes: state.resumes,
    });
  }
  // The server said the object ended here (the connection did not break): shorter than its header
  // says, or not the plaintext the manifest names?
  decoder.end();
}
