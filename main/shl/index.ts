/** SMART Health Links (HL7 "SMART Health Cards and Links" IG, STU1): parse, fetch, decrypt, verify. Plain Node. */
export {
  SHLINK_PREFIX,
  SHL_SUPPORTED_VERSION,
  SHL_MAX_LABEL_LENGTH,
  SHL_MAX_URL_LENGTH,
  encodeShlink,
  extractShlink,
  isShlCandidate,
  parseShlink,
  type ShlFlag,
  type ShlParseOptions,
  type ShlPayload,
} from './payload';
export { shlRequest, type ShlHttpOptions, type ShlHttpRequest, type ShlHttpResponse } from './http';
export {
  decryptShlFile,
  inflateCapped,
  readHealthCard,
  SHL_CONTENT_FHIR,
  SHL_CONTENT_SHC,
  type HealthCard,
  type JwksSource,
} from './content';
export { readShl, type ShlDocument, type ShlReadOptions } from './reader';
export { ShlService, scanAny } from './service';
