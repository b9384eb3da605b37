import { ATTACHMENT_SCHEME } from '../../common/attachment-url';
/**
 * The Electron shell's security options as pure functions, so vitest can assert them without
 * Electron. main/electron/ applies them.
 */
export interface SecureWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  webviewTag: false;
  experimentalFeatures: false;
  navigateOnDragDrop: false;
  spellcheck: false;
  safeDialogs: true;
  devTools: boolean;
}

export function secureWebPreferences(preload: string, opts: { devTools: boolean }): SecureWebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    devTools: opts.devTools,
  };
}

/**
 * No remote content, no inline script, no eval. Images and documents of the record are streamed
 * from main's attachment route (main/viewer): the app's `hcp-attachment:` scheme, or the browser
 * harness's own origin (`attachments: "'self'"`), allowed for img, media and frame (PDF). The dev
 * server (vite) needs inline styles and its websocket, and only in development.
 */
export function contentSecurityPolicy(opts: { dev: boolean; devServerOrigin?: string; attachments?: string }): string {
  const dev = opts.dev && opts.devServerOrigin ? opts.devServerOrigin : null;
  const attachments = opts.attachments ?? `${ATTACHMENT_SCHEME}:`;
  const withAttachments = (sources: string[]) => (sources.includes(attachments) ? sources : [...sources, attachments]);
  const directives: Record<string, string[]> = {
    'default-src': ["'none'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", ...(dev ? ["'unsafe-inline'"] : [])],
    'img-src': withAttachments(["'self'", 'blob:', 'data:']),
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...(dev ? [dev.replace(/^http/, 'ws')] : [])],
    'media-src': withAttachments(["'self'", 'blob:']),
    'object-src': ["'none'"],
    'frame-src': withAttachments(['blob:']),
    'worker-src': ["'self'"],
    'base-uri': ["'none'"],
    'form-action': ["'none'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([k, v]) => `${k} ${v.join(' ')}`)
    .join('; ');
}

/** The renderer's own pages are the only allowed origin. file: URLs must be the app's index. */
export function isAppUrl(url: string, appUrl: string): boolean {
  let u: URL;
  let app: URL;
  try {
    u = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'file:') return u.protocol === 'file:' && u.pathname === app.pathname;
  // Custom schemes (app://) have an opaque origin in WHATWG URL terms: compare scheme and host.
  return (
    u.protocol === app.protocol &&
    u.host === app.host &&
    (u.protocol === 'http:' || u.protocol === 'https:' ? u.port === app.port : true)
  );
}

/** Navigation away from the app is always refused (in-app routing uses the hash). */
export function shouldAllowNavigation(targetUrl: string, appUrl: string): boolean {
  return isAppUrl(targetUrl, appUrl);
}

/** window.open / target=_blank: always denied. */
export function windowOpenPolicy(): { action: 'deny' } {
  return { action: 'deny' };
}

/** Camera, microphone, geolocation, notifications, ...: the workstation asks for none. */
export function permissionPolicy(_permission: string): boolean {
  return false;
}

/** IPC is answered only for the app's own top-level frame. */
export function isTrustedSender(
  frame: { url: string; isMainFrame: boolean } | null | undefined,
  appUrl: string,
): boolean {
  return !!frame && frame.isMainFrame && isAppUrl(frame.url, appUrl);
}
