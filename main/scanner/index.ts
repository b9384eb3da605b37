export {
  SerialScanner,
  startSerialScanner,
  type SerialScannerOptions,
  type SerialScannerStatus,
  type SerialScannerHandle,
  type SerialScannerDeps,
  type SerialState,
} from './serial';
export { ScanFramer, type FramingOptions, type FramerOutput } from './framing';
