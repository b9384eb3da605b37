import { WorkstationError } from '../../common/errors';
import {
  MAX_HEADER_LENGTH,
  TAG_LENGTH,
  headerContainerLength,
  plaintextRangeToCiphertextRange,
  segmentCiphertextOffset,
  segmentPlaintextLength,
  type ContainerHeader,
} from './container-format';
import { decryptSegment, openHeader, type ContainerKeyParams, type OpenedHeader } from './container';

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
}

export interface ContainerReader {
  /** The authenticated header (its tag verified before the reader was returned). */
  readonly header: ContainerHeader;
  /** The container size the header implies. */
  readonly containerLength: number;
  /** The plaintext bytes [start, end), every segment verified. */
  read(start: number, end: number): Promise<Buffer>;
  /**
   * The same range as verified pieces, one per segment, fetching in batches: bounded memory for
   * large ranges. A later segment may still fail; the range is whole only if iteration ends cleanly.
   */
  pieces(start: number, end: number): AsyncGenerator<Buffer>;
}

const DEFAULT_MAX_FETCH = 8 * 1024 * 1024;

async function fetchExactly(fetchRange: FetchCiphertextRange, start: number, end: number): Promise<Buffer> {
  const bytes = await fetchRange(start, end);
  if (bytes.length < end - start) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'segments' });
  if (bytes.length > end - start)
    throw new WorkstationError('CONTAINER_RANGE_INVALID', { start: String(start), end: String(end) });
  return bytes;
}

export async function openContainerReader(
  fetchRange: FetchCiphertextRange,
  params: ContainerKeyParams,
  options: ContainerReaderOptions = {},
): Promise<ContainerReader> {
  const prefix = await fetchRange(0, MAX_HEADER_LENGTH + TAG_LENGTH);
  const opened: OpenedHeader = openHeader(prefix, params);
  const { header } = opened;
  const containerLength = headerContainerLength(header);
  if (options.containerLength !== undefined) {
    if (options.containerLength < containerLength)
      throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'segments' });
    if (options.containerLength > containerLength) throw new WorkstationError('CONTAINER_TRAILING_DATA');
  }
  const maxFetch = Math.max(options.maxFetchBytes ?? DEFAULT_MAX_FETCH, header.segmentSize + TAG_LENGTH);
  const perFetch = Math.max(1, Math.floor(maxFetch / (header.segmentSize + TAG_LENGTH)));

  async function* pieces(start: number, end: number): AsyncGenerator<Buffer> {
    const range = plaintextRangeToCiphertextRange(header, start, end);
    for (let batchStart = range.firstSegment; batchStart <= range.lastSegment; batchStart += perFetch) {
      const batchEnd = Math.min(range.lastSegment, batchStart + perFetch - 1);
      const from = segmentCiphertextOffset(header, batchStart);
      const to = segmentCiphertextOffset(header, batchEnd) + segmentPlaintextLength(header, batchEnd) + TAG_LENGTH;
      const bytes = await fetchExactly(fetchRange, from, to);
      for (let i = batchStart; i <= batchEnd; i++) {
        const at = segmentCiphertextOffset(header, i) - from;
        let plaintext = decryptSegment(
          opened,
          i,
          bytes.subarray(at, at + segmentPlaintextLength(header, i) + TAG_LENGTH),
        );
        const segmentStart = i * header.segmentSize;
        if (i === range.firstSegment || i === range.lastSegment) {
          plaintext = plaintext.subarray(
            Math.max(0, start - segmentStart),
            Math.min(plaintext.length, end - segmentStart),
          );
        }
        yield plaintext;
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
      return Buffer.concat(parts);
    },
  };
}
