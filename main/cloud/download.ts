import { createHash } from 'node:crypto';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import {
  HEADER_PREAMBLE_LENGTH,
  TAG_LENGTH,
  headerContainerLength,
  readHeaderLength,
  segmentCiphertextOffset,
  segmentCount,
  segmentPlaintextLength,
  type ContainerHeader,
} from '../crypto/container-format';
import { decryptSegment, openHeader, type ContainerKeyParams, type OpenedHeader } from '../crypto/container';
import { backoffDelayMs, sleep } from '../retry/backoff';
import type { Limiter } from './limiter';
import type { ObjectStore } from './object-store';
import type { PlaintextSink } from './sinks';

/**
 * Download + decrypt of one EHR container, streamed with bounded memory (one segment, at most
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

export interface ExpectedPlaintext {
  /** Hex SHA-256 of the plaintext, from the record manifest. */
  sha256: string;
  /** Plaintext size from the manifest entry: checked against the authenticated header up front. */
  size?: number;
  /** Content type from the manifest entry: checked against the authenticated header up front. */
  contentType?: string;
  /** The manifest entry's id, named in OBJECT_INTEGRITY_FAILED. */
  id?: string;
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

const integrityFailed = (expected: ExpectedPlaintext, reason: string) =>
  new WorkstationError('OBJECT_INTEGRITY_FAILED', expected.id ? { id: expected.id, reason } : { reason });

const DEFAULT_MAX_RESUMES = 5;
const DEFAULT_RESUME_BACKOFF_MS = 200;
const MAX_RESUME_BACKOFF_MS = 5_000;

export function downloadAndDecrypt<R>(request: DownloadRequest<R>): Promise<DownloadResult<R>> {
  const run = () => runDownload(request);
  return request.limiter ? request.limiter.run(run, request.signal) : run();
}

/** The state that survives a resume: what has been verified so far. */
interface Progress {
  opened: OpenedHeader | null;
  /** Index of the first segment not yet verified. */
  nextSegment: number;
  verifiedBytes: number;
  resumes: number;
}

async function runDownload<R>(request: DownloadRequest<R>): Promise<DownloadResult<R>> {
  const { store, sink, signal } = request;
  const maxResumes = request.maxResumes ?? DEFAULT_MAX_RESUMES;
  const hash = createHash('sha256');
  const state: Progress = { opened: null, nextSegment: 0, verifiedBytes: 0, resumes: 0 };
  let credentialsRefreshed = false;

  try {
    for (;;) {
      if (signal?.aborted) throw new WorkstationError('CANCELLED');
      try {
        await fetchFrom(request, state, hash);
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

    const opened = state.opened as OpenedHeader;
    const sha256 = hash.digest('hex');
    if (request.expected && sha256 !== request.expected.sha256.toLowerCase())
      throw integrityFailed(request.expected, 'sha256');
    const value = await sink.commit(sha256);
    return {
      value,
      header: opened.header,
      sha256,
      plaintextLength: opened.header.plaintextLength,
      resumes: state.resumes,
    };
  } catch (e) {
    await sink.abort().catch(() => {});
    throw e;
  }
}

/**
 * One GET: from the start of the object while the header is unknown, else a ranged GET from the
 * first unverified segment to the end. Returns when every segment verified; throws otherwise.
 */
async function fetchFrom<R>(
  request: DownloadRequest<R>,
  state: Progress,
  hash: ReturnType<typeof createHash>,
): Promise<void> {
  const { store, bucket, key, signal } = request;
  const report = (receivedBytes: number) =>
    request.onProgress?.({
      receivedBytes,
      totalBytes: state.opened ? headerContainerLength(state.opened.header) : null,
      verifiedBytes: state.verifiedBytes,
      resumes: state.resumes,
    });

  let position: number;
  let stream: AsyncIterable<Buffer>;
  if (state.opened) {
    position = segmentCiphertextOffset(state.opened.header, state.nextSegment);
    // Open-ended, so that bytes past the header's end are seen (CONTAINER_TRAILING_DATA) on a resume too.
    stream = await store.getRange(bucket, key, position, undefined, { signal });
  } else {
    position = 0;
    stream = await store.getObject(bucket, key, { signal });
  }

  // The header: small, buffered whole, authenticated before anything else is believed.
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let segment: Buffer | null = null;
  let segmentFill = 0;
  let segmentNeed = 0;
  let done = false;
  const count = () =>
    segmentCount(
      (state.opened as OpenedHeader).header.plaintextLength,
      (state.opened as OpenedHeader).header.segmentSize,
    );

  const startSegment = () => {
    const header = (state.opened as OpenedHeader).header;
    segmentNeed = segmentPlaintextLength(header, state.nextSegment) + TAG_LENGTH;
    if (!segment || segment.length < segmentNeed) segment = Buffer.allocUnsafe(header.segmentSize + TAG_LENGTH);
    segmentFill = 0;
  };

  const consume = async (chunk: Buffer) => {
    let offset = 0;
    if (!state.opened) {
      pending.push(chunk);
      pendingLength += chunk.length;
      if (pendingLength < HEADER_PREAMBLE_LENGTH) return;
      const joined = Buffer.concat(pending);
      const needed = readHeaderLength(joined) + TAG_LENGTH;
      if (joined.length < needed) {
        pending = [joined];
        return;
      }
      state.opened = openHeader(joined.subarray(0, needed), request.keyParams);
      const { header } = state.opened;
      const expected = request.expected;
      if (expected?.size !== undefined && expected.size !== header.plaintextLength)
        throw integrityFailed(expected, 'size');
      if (expected?.contentType !== undefined && expected.contentType !== header.contentType)
        throw integrityFailed(expected, 'content-type');
      await request.sink.begin(header);
      pending = [];
      chunk = joined;
      offset = needed;
      startSegment();
    }
    while (offset < chunk.length) {
      if (done) throw new WorkstationError('CONTAINER_TRAILING_DATA');
      const n = Math.min(segmentNeed - segmentFill, chunk.length - offset);
      chunk.copy(segment as Buffer, segmentFill, offset, offset + n);
      segmentFill += n;
      offset += n;
      if (segmentFill === segmentNeed) {
        const plaintext = decryptSegment(state.opened, state.nextSegment, (segment as Buffer).subarray(0, segmentNeed));
        hash.update(plaintext);
        await request.sink.write(plaintext);
        state.verifiedBytes += plaintext.length;
        state.nextSegment++;
        if (state.nextSegment === count()) done = true;
        else startSegment();
      }
    }
  };

  if (state.opened) startSegment();
  for await (const chunk of stream) {
    position += chunk.length;
    await consume(chunk);
    report(position);
  }
  // The server said the object ended here (the connection did not break): it is shorter than its header says.
  if (!state.opened) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'header' });
  if (!done) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'segments', segment: state.nextSegment });
}
