import { createCipheriv, randomBytes } from 'node:crypto';
import {
  DEFAULT_SEGMENT_SIZE,
  NONCE_PREFIX_LENGTH,
  SALT_LENGTH,
  encodeHeader,
  headerContainerLength,
  headerNonce,
  segmentCount,
  segmentNonce,
  segmentPlaintextLength,
  type ContainerHeader,
} from './container-format';
import { deriveContainerKey, type ContainerPurpose } from './keys';

/**
 * EHR container v1, the writing side: new headers, sealing, whole-buffer encryption (reading is
 * the one decoder's, container-decoder.ts). Segmented AEAD in the style of Tink's AES-GCM-HKDF streaming
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

export function encryptSegment({ header, key }: OpenedHeader, index: number, plaintext: Buffer): Buffer {
  const last = index === segmentCount(header.plaintextLength, header.segmentSize) - 1;
  const cipher = createCipheriv('aes-256-gcm', key, segmentNonce(header.noncePrefix, index, last));
  cipher.setAAD(header.bytes);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([head, tail, cipher.getAuthTag()]);
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

/** Decrypting is the one decoder's job (container-decoder.ts); re-exported for the existing importers. */
export { decryptContainer, type DecryptedContainer } from './container-decoder';
