/** Health Record Index client (docs/hri.md): citizen + HRI token -> the patient's cloud location. */
export {
  createHriClient,
  type CloudLocation,
  type HriClient,
  type HriClientOptions,
  type HriLookupRequest,
} from './client';
export {
  cloudHintFromQr,
  decideHriFallback,
  hintHostAllowed,
  allowedHintHosts,
  type CloudHint,
  type HriFallbackContext,
  type HriFallbackDecision,
} from './fallback';
