/**
 * FHIR R4 International Patient Summary -> the emergency view model (common/emergency-view.ts).
 * Pure functions: bytes in, a typed view or a typed error (FHIR_INVALID_BUNDLE) out.
 */
export { parseIpsBundle } from './parse';
export { buildEmergencyView } from './view';
export { formatEmergencyViewText } from './format-text';

import { parseIpsBundle } from './parse';
import { buildEmergencyView } from './view';
import { EmergencyView } from '../../common/emergency-view';

/** parseIpsBundle then buildEmergencyView: the one call the open flow and the CLI make. */
export function emergencyViewOf(input: string | Uint8Array): EmergencyView {
  return buildEmergencyView(parseIpsBundle(input));
}

/**
 * A view read back from the cache: as stored when it still matches the view model; rebuilt from
 * the stored IPS (verified when it was cached) when it was cached by an earlier version of the
 * model (new fields), so an upgrade never makes cached records unreadable offline. Undefined
 * when neither works (the caller reports CACHE_CORRUPT).
 */
export function cachedEmergencyView(view: unknown, ips: Uint8Array | undefined): EmergencyView | undefined {
  const parsed = EmergencyView.safeParse(view);
  if (parsed.success) return parsed.data;
  if (!ips) return undefined;
  try {
    return emergencyViewOf(ips);
  } catch {
    return undefined;
  }
}
