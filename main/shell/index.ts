/** The app shell's plain-Node parts (policies, menus, failure decisions); main/electron/ applies them. */
export { APP_SCHEME, resolveAppAsset, APP_INDEX_URL } from './app-protocol';
export {
  isTrustedSender,
  contentSecurityPolicy,
  permissionPolicy,
  secureWebPreferences,
  shouldAllowNavigation,
  windowOpenPolicy,
} from './hardening';
export {
  childGoneLog,
  rendererGoneDecision,
  startupFailure,
  uncaughtDecision,
  windowLoadFailure,
  localeOf,
  type FailureWindow,
  type LogEntry,
  type StartupPhase,
} from './failure';
export { aboutText, applicationMenu, type MenuEntry } from './menu';
export { cliArgsOf } from './cli-args';
