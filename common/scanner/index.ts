export {
  WedgeDetector,
  DEFAULT_WEDGE_OPTIONS,
  HICCUP_MIN_RUN,
  usLayoutChar,
  type WedgeDetectorOptions,
  type WedgeKey,
  type WedgeScan,
  type WedgeSuffix,
  type WedgeVerdict,
  type RejectReason,
} from './wedge-detector';
export {
  layoutMismatchHint,
  type LayoutMismatchHint,
  type LikelyCause,
  type SuspectCategory,
  type SuspectCharacter,
} from './layout-hint';
