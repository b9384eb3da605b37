/** The emergency QR payload: the patient's key to their record, as scanned or as an image. */
export {
  QR_PREFIX,
  QR_PAYLOAD_VERSION,
  DEFAULT_CLOCK_SKEW_SECONDS,
  encodeEmergencyQr,
  parseEmergencyQr,
  randomPseudonym,
  type EmergencyQrInput,
  type EmergencyQrPayload,
  type ParseOptions,
  type ParsedEmergencyQr,
} from './qr-payload';
export { renderEmergencyQrPng, decodeQrPng, type RenderOptions } from './qr-image';
export { LAYOUT_IDS, undoLayout, type KeyboardLayoutId } from './keyboard-layouts';
