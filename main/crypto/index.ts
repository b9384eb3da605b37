/** The crypto service's public face: keys, the EHR container, the sealed HRI location. */
export {
  MASTER_KEY_LENGTH,
  KEY_LABELS,
  hkdfSha256,
  generateMasterKey,
  containerKeyInfo,
  deriveContainerKey,
  deriveHriLocationKey,
  type ContainerPurpose,
  assertMasterKey,
} from './keys';
export { base32Encode, base32Decode, isBase32, base64UrlEncode, base64UrlDecode } from './encoding';
export {
  CONTAINER_VERSION,
  DEFAULT_SEGMENT_SIZE,
  MIN_SEGMENT_SIZE,
  MAX_SEGMENT_SIZE,
  containerLength,
  plaintextRangeToCiphertextRange,
  segmentCount,
  type CiphertextRange,
  type ContainerHeader,
  CONTAINER_MAGIC,
} from './container-format';
export { ContainerEncoder, encryptContainer, type ContainerEncryptOptions, type ContainerKeyParams } from './container';
export {
  ContainerDecoder,
  decryptContainer,
  type ContainerDecoderOptions,
  type DecryptedContainer,
  type ExpectedPlaintext,
  type VerifiedSegment,
} from './container-decoder';
export {
  createEncryptStream,
  createDecryptStream,
  ContainerDecryptStream,
  type EncryptStreamHooks,
  type DecryptStreamHooks,
} from './container-stream';
export {
  openContainerReader,
  type ContainerReader,
  type ContainerReaderOptions,
  type FetchCiphertextRange,
} from './container-range';
export { sealHriLocation, openHriLocation, hriLocationSchema, type HriLocation } from './hri-location';
