import type { DiagnosticsService } from '../../diagnostics/index';
import type { Handlers } from '../dispatch';

export interface DiagnosticsHandlerDeps {
  diagnostics: Pick<DiagnosticsService, 'status'>;
}

export function diagnosticsHandlers(deps: DiagnosticsHandlerDeps): Pick<Handlers, 'diagnostics.status'> {
  return { 'diagnostics.status': () => deps.diagnostics.status() };
}
