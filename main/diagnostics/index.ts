/** The Diagnostics screen's status: reachability, trust files, cache, audit chain, storage, scanners. */
export { DiagnosticsService, type DiagnosticsDeps } from './service';
