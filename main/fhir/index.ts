/**
 * FHIR R4 International Patient Summary -> the emergency view model (common/emergency-view.ts).
 * Pure functions: bytes in, a typed view or a typed error (FHIR_INVALID_BUNDLE) out.
 */
export { parseIpsBundle } from './parse';
export { buildEmergencyView } from './view';
export { formatEmergencyViewText } from './format-text';
export { ipsPatientReference } from './patient';

import { parseIpsBundle } from './parse';
import { buildEmergencyView } from './view';
import { ipsPatientReference } from './patient';
import type * as fhir4 from 'fhir/r4';
import type { EmergencyView } from '../../common/emergency-view';

/** parseIpsBundle then buildEmergencyView: the one call the open flow and the CLI make. */
export function emergencyViewOf(input: string | Uint8Array): EmergencyView {
  return buildEmergencyView(parseIpsBundle(input));
}

/**
 * The view and the IPS's reference to its Patient from one parse (the view worker's call): the
 * open keeps the reference, so an addition never re-parses a large IPS on the main thread.
 */
export function emergencyViewWithPatientOf(input: string | Uint8Array): {
  view: EmergencyView;
  patient: fhir4.Reference | null;
} {
  const bundle = parseIpsBundle(input);
  return { view: buildEmergencyView(bundle), patient: ipsPatientReference(bundle) };
}

// Built off the main thread (the open flow, the cached-view rebuild, SMART Health Links): off-thread.ts.
export {
  buildEmergencyViewOffThread,
  cachedEmergencyViewOffThread,
  cachedRecordViewOffThread,
  prewarmEmergencyViewWorkers,
  stopEmergencyViewWorkers,
} from './off-thread';
