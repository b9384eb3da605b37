import { createCipheriv, randomBytes, type CipherGCM } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
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

/**
 * THE container encoder, the decoder's mirror: `feed(plaintext chunk)` returns the container bytes
 * it produced (the sealed header first), `end()` the rest. The plaintext must be exactly the
 * length announced in the header: more, or ending with fewer, is INVALID_INPUT {field:
 * plaintextLength}. Holds no plaintext: each chunk is encrypted as it comes.
 */
export class ContainerEncoder {
  readonly header: ContainerHeader;
  private readonly opened: OpenedHeader;
  private readonly count: number;
  private started = false;
  private index = 0;
  private received = 0;
  private cipher: CipherGCM | null = null;
  private remainingInSegment = 0;

  constructor(plaintextLength: number, options: ContainerEncryptOptions) {
    this.opened = newHeader(plaintextLength, options);
    this.header = this.opened.header;
    this.count = segmentCount(this.header.plaintextLength, this.header.segmentSize);
  }

  feed(chunk: Buffer): Buffer[] {
    const out = this.start();
    this.received += chunk.length;
    if (this.received > this.header.plaintextLength)
      throw new WorkstationError('INVALID_INPUT', { field: 'plaintextLength' });
    let offset = 0;
    while (offset < chunk.length) {
      if (!this.cipher) this.openSegment();
      const n = Math.min(this.remainingInSegment, chunk.length - offset);
      const bytes = (this.cipher as CipherGCM).update(chunk.subarray(offset, offset + n));
      if (bytes.length) out.push(bytes);
      this.remainingInSegment -= n;
      offset += n;
      if (this.remainingInSegment === 0) this.closeSegment(out);
    }
    return out;
  }

  end(): Buffer[] {
    const out = this.start();
    if (this.received !== this.header.plaintextLength)
      throw new WorkstationError('INVALID_INPUT', { field: 'plaintextLength' });
    if (this.index < this.count) {
      // Only an empty plaintext gets here: its single, empty, last segment.
      this.openSegment();
      this.closeSegment(out);
    }
    return out;
  }

  private start(): Buffer[] {
    if (this.started) return [];
    this.started = true;
    return [sealedHeader(this.opened)];
  }

  private openSegment(): void {
    const { header, key } = this.opened;
    const last = this.index === this.count - 1;
    const cipher = createCipheriv('aes-256-gcm', key, segmentNonce(header.noncePrefix, this.index, last));
    cipher.setAAD(header.bytes);
    this.cipher = cipher;
    this.remainingInSegment = segmentPlaintextLength(header, this.index);
  }

  private closeSegment(out: Buffer[]): void {
    const cipher = this.cipher as CipherGCM;
    const tail = cipher.final();
    if (tail.length) out.push(tail);
    out.push(cipher.getAuthTag());
    this.cipher = null;
    this.index++;
  }
}

/** Encrypts a whole buffer into one container (through the encoder). */
export function encryptContainer(plaintext: Uint8Array, options: ContainerEncryptOptions): Buffer {
  const data = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  const encoder = new ContainerEncoder(data.length, options);
  const parts = [...encoder.feed(data), ...encoder.end()];
  return Buffer.concat(parts, headerContainerLength(encoder.header));
}

/** Decrypting is the one decoder's job (container-decoder.ts); re-exported for the existing importers. */
export { decryptContainer, type DecryptedContainer } from './container-decoder';
