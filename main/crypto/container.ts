import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
import {
  DEFAULT_SEGMENT_SIZE,
  HEADER_PREAMBLE_LENGTH,
  NONCE_PREFIX_LENGTH,
  SALT_LENGTH,
  TAG_LENGTH,
  decodeHeader,
  encodeHeader,
  headerContainerLength,
  headerNonce,
  readHeaderLength,
  segmentCiphertextOffset,
  segmentCount,
  segmentNonce,
  segmentPlaintextLength,
  type ContainerHeader,
} from './container-format';
import { deriveContainerKey, type ContainerPurpose } from './keys';

/**
 * EHR container v1, whole-buffer helpers and the segment primitives the streaming and
 * random-access readers share. Segmented AEAD in the style of Tink's AES-GCM-HKDF streaming
 * AEAD: per-object key from HKDF(master, salt), nonce = prefix || counter || last flag.
 */
export interface ContainerKeyParams {
  masterKey: Uint8Array;
  purpose: ContainerPurpose;
  /** Names the object (bound into its key): a container under another name fails to open. */
  associatedData?: string;
}

export interface ContainerEncryptOptions extends ContainerKeyParams {
  contentType: string;
  segmentSize?: number;
  /** Test vectors only: fixed randomness. Production callers never pass these. */
  salt?: Uint8Array;
  noncePrefix?: Uint8Array;
}

/** A header whose tag verified under the derived key, and that key. */
export interface OpenedHeader {
  header: ContainerHeader;
  key: Buffer;
}

const authFailed = (details: Record<string, string | number>) => new WorkstationError('CONTAINER_AUTH_FAILED', details);

export function newHeader(plaintextLength: number, options: ContainerEncryptOptions): OpenedHeader {
  const header = encodeHeader({
    segmentSize: options.segmentSize ?? DEFAULT_SEGMENT_SIZE,
    plaintextLength,
    salt: options.salt ?? randomBytes(SALT_LENGTH),
    noncePrefix: options.noncePrefix ?? randomBytes(NONCE_PREFIX_LENGTH),
    contentType: options.contentType,
  });
  return { header, key: deriveContainerKey(options.masterKey, header.salt, options.purpose, options.associatedData) };
}

/** Header bytes followed by the header tag: the first bytes of every container. */
export function sealedHeader({ header, key }: OpenedHeader): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, headerNonce(header.noncePrefix));
  cipher.setAAD(header.bytes);
  cipher.final();
  return Buffer.concat([header.bytes, cipher.getAuthTag()]);
}

/**
 * Parses and authenticates the header from the container's first bytes (at least header + tag).
 * A wrong key, a wrong purpose or associated data, or any changed header byte: CONTAINER_AUTH_FAILED.
 */
export function openHeader(prefix: Buffer, params: ContainerKeyParams): OpenedHeader {
  if (prefix.length < HEADER_PREAMBLE_LENGTH) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'header' });
  const headerLength = readHeaderLength(prefix);
  if (prefix.length < headerLength + TAG_LENGTH) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'header' });
  const header = decodeHeader(prefix.subarray(0, headerLength));
  const key = deriveContainerKey(params.masterKey, header.salt, params.purpose, params.associatedData);
  const decipher = createDecipheriv('aes-256-gcm', key, headerNonce(header.noncePrefix));
  decipher.setAAD(header.bytes);
  decipher.setAuthTag(prefix.subarray(headerLength, headerLength + TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    throw authFailed({ part: 'header' });
  }
  return { header, key };
}

export function encryptSegment({ header, key }: OpenedHeader, index: number, plaintext: Buffer): Buffer {
  const last = index === segmentCount(header.plaintextLength, header.segmentSize) - 1;
  const cipher = createCipheriv('aes-256-gcm', key, segmentNonce(header.noncePrefix, index, last));
  cipher.setAAD(header.bytes);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([head, tail, cipher.getAuthTag()]);
}

/** Decrypts one whole segment (ciphertext || tag); CONTAINER_AUTH_FAILED on any mismatch. */
export function decryptSegment({ header, key }: OpenedHeader, index: number, segment: Buffer): Buffer {
  const expected = segmentPlaintextLength(header, index) + TAG_LENGTH;
  if (segment.length < expected) throw new WorkstationError('CONTAINER_TRUNCATED', { segment: index });
  const last = index === segmentCount(header.plaintextLength, header.segmentSize) - 1;
  const decipher = createDecipheriv('aes-256-gcm', key, segmentNonce(header.noncePrefix, index, last));
  decipher.setAAD(header.bytes);
  decipher.setAuthTag(segment.subarray(expected - TAG_LENGTH, expected));
  const plaintext = decipher.update(segment.subarray(0, expected - TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    throw authFailed({ segment: index });
  }
  return plaintext;
}

/** Encrypts a whole buffer into one container. */
export function encryptContainer(plaintext: Uint8Array, options: ContainerEncryptOptions): Buffer {
  const data = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const opened = newHeader(data.length, options);
  const { header } = opened;
  const out = Buffer.allocUnsafe(headerContainerLength(header));
  let offset = sealedHeader(opened).copy(out, 0);
  const count = segmentCount(header.plaintextLength, header.segmentSize);
  for (let i = 0; i < count; i++) {
    const start = i * header.segmentSize;
    offset += encryptSegment(opened, i, data.subarray(start, start + segmentPlaintextLength(header, i))).copy(
      out,
      offset,
    );
  }
  return out;
}

export interface DecryptedContainer {
  header: ContainerHeader;
  plaintext: Buffer;
}

/**
 * Decrypts a whole container held in memory. Either every segment verified and the plaintext
 * is returned, or a typed CONTAINER_* error is thrown and nothing is returned.
 */
export function decryptContainer(container: Buffer, params: ContainerKeyParams): DecryptedContainer {
  const opened = openHeader(container, params);
  const { header } = opened;
  const total = headerContainerLength(header);
  if (container.length < total) throw new WorkstationError('CONTAINER_TRUNCATED', { part: 'segments' });
  if (container.length > total) throw new WorkstationError('CONTAINER_TRAILING_DATA');
  const plaintext = Buffer.allocUnsafe(header.plaintextLength);
  const count = segmentCount(header.plaintextLength, header.segmentSize);
  for (let i = 0; i < count; i++) {
    const start = segmentCiphertextOffset(header, i);
    const segment = container.subarray(start, start + segmentPlaintextLength(header, i) + TAG_LENGTH);
    decryptSegment(opened, i, segment).copy(plaintext, i * header.segmentSize);
  }
  return { header, plaintext };
}
