import { WorkstationError } from '../../common/errors';
import {
  MAX_HEADER_LENGTH,
  TAG_LENGTH,
  headerContainerLength,
  plaintextRangeToCiphertextRange,
  type ContainerHeader,
} from './container-format';
import type { ContainerKeyParams } from './container';
import { ContainerDecoder, type ExpectedPlaintext } from './container-decoder';

/**
 * Random access: decrypt a plaintext byte range by whole segments, fetching only the container
 * bytes that hold them (an S3 ranged GET in the cloud layer).
 */

/**
 * Fetches container bytes [start, end). It returns exactly that many bytes, or fewer only when
 * the object ends earlier (as S3 clamps a Range past the end).
 */
export type FetchCiphertextRange = (start: number, end: number) => Promise<Buffer>;

export interface ContainerReaderOptions {
  /** The object's real size when known (HEAD, Content-Range): checked against the header. */
  containerLength?: number;
  /** Upper bound of one fetch; a read spanning more segments fetches in batches. Default 8 MiB. */
  maxFetchBytes?: number;
  /** Size and content type the header must state (a range has no whole-plaintext SHA-256 to check). */
  expect?: Omit<ExpectedPlaintext, 'sha256'>;
}

export interface ContainerReader {
  /** The authenticated header (its tag verified before the reader was returned). */
  readonly header: ContainerHeader;
  /** The container size the header implies. */
  readonly containerLength: number;
  /** The plaintext bytes [start, end), every segment verified. */
  read(start: number, end: number): Promise<Buffer>;
  /**
   * The same range as verified pieces (each segment's, in order), fetching in batches: bounded memory for
   * large ranges. A later segment may still fail; the range is whole only if iteration ends cleanly.
   */
  pieces(start: number, end: number): AsyncGenerator<Buffer>;
}

const DEFAULT_MAX_FETCH = 8 * 1024 * 1024;

export async function openContainerReader(
  fetchRange: FetchCiphertextRange,
  params: ContainerKeyParams,
  options: ContainerReaderOptions = {},
): Promise<ContainerReader> {
  const decoder = new ContainerDecoder(params, { headerOnly: true, expect: options.expect });
  decoder.feed(await fetchRange(0, MAX_HEADER_LENGTH + TAG_LENGTH));
  decoder.end();
  const header = decoder.header;
  if (!header) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'header' });
  const containerLength = headerContainerLength(header);
  if (options.containerLength !== undefined) {
    if (options.containerLength < containerLength)
      throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'segments' });
    if (options.containerLength > containerLength) throw new WorkstationError('CONTAINER_TRAILING_DATA');
  }
  const maxFetch = Math.max(options.maxFetchBytes ?? DEFAULT_MAX_FETCH, header.segmentSize + TAG_LENGTH);
  const perFetch = Math.max(1, Math.floor(maxFetch / (header.segmentSize + TAG_LENGTH)));
  async function* pieces(start: number, end: number): AsyncGenerator<Buffer> {
    // Each read its own position, over the one authenticated header.
    const reading = decoder.fork();
    const range = plaintextRangeToCiphertextRange(header as ContainerHeader, start, end);
    const { segmentSize } = header as ContainerHeader;
    for (let batchStart = range.firstSegment; batchStart <= range.lastSegment; batchStart += perFetch) {
      const batchEnd = Math.min(range.lastSegment, batchStart + perFetch - 1);
      const window = reading.seek(batchStart, batchEnd);
      const bytes = await fetchRange(window.start, window.end);
      if (bytes.length > window.end - window.start)
        throw new WorkstationError('CONTAINER_RANGE_INVALID', { start: String(window.start), end: String(window.end) });
      const segments = reading.feed(bytes);
      reading.end();
      for (const segment of segments) {
        const segmentStart = segment.index * segmentSize;
        const from = Math.max(0, start - segmentStart);
        const to = Math.min(segment.length, end - segmentStart);
        let at = 0;
        for (const piece of segment.pieces) {
          const a = Math.max(from - at, 0);
          const b = Math.min(to - at, piece.length);
          if (b > a) yield a === 0 && b === piece.length ? piece : piece.subarray(a, b);
          at += piece.length;
        }
      }
    }
  }

  return {
    header,
    containerLength,
    pieces,
    async read(start, end) {
      const parts: Buffer[] = [];
      for await (const piece of pieces(start, end)) parts.push(piece);
      return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    },
  };
}
