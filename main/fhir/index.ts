/**
 * FHIR R4 International Patient Summary -> the emergency view model (common/emergency-view.ts).
 * Pure functions: bytes in, a typed view or a typed error (FHIR_INVALID_BUNDLE) out.
 */
export { parseIpsBundle } from './parse';
export { buildEmergencyView } from './view';
export { formatEmergencyViewText } from './format-text';

import { parseIpsBundle } from './parse';
import { buildEmergencyView } from './view';
import type { EmergencyView } from '../../common/emergency-view';

/** parseIpsBundle then buildEmergencyView: the one call the open flow and the CLI make. */
export function emergencyViewOf(input: string | Uint8Array): EmergencyView {
  return buildEmergencyView(parseIpsBundle(input));
}

// Built off the main thread (the open flow, the cached-view rebuild, SMART Health Links): off-thread.ts.
