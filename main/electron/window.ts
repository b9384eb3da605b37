import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, app, session, type WebContents } from 'electron';
import {
  contentSecurityPolicy,
  permissionPolicy,
  secureWebPreferences,
  shouldAllowNavigation,
  windowOpenPolicy,
  APP_INDEX_URL,
} from '../shell';
import { serveAppScheme } from './app-protocol';
import { ATTACHMENT_SCHEME } from '../../common/attachment-url';

const here = dirname(fileURLToPath(import.meta.url));

export interface WindowUrls {
  /** What the window loads: the dev server URL, or the built renderer under app://hcp/. */
  appUrl: string;
  devServerOrigin?: string;
}

export function rendererUrls(): WindowUrls {
  const dev = process.env.ELECTRON_RENDERER_URL;
  if (!app.isPackaged && dev) return { appUrl: dev, devServerOrigin: new URL(dev).origin };
  return { appUrl: APP_INDEX_URL };
}

/** Session-wide hardening: CSP header, no permissions, no downloads started by pages. */
export function hardenSession(urls: WindowUrls): void {
  const csp = contentSecurityPolicy({ dev: !!urls.devServerOrigin, devServerOrigin: urls.devServerOrigin });
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    // The attachment route's documents keep their own headers: the page's CSP (frame-ancestors
    // 'none') would refuse the PDF frame; main/viewer/serve.ts serves only non-script types.
    if (details.url.startsWith(`${ATTACHMENT_SCHEME}:`)) return callback({});
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback) =>
    callback(permissionPolicy(permission)),
  );
  session.defaultSession.setPermissionCheckHandler((_wc, permission) => permissionPolicy(permission));
  session.defaultSession.on('will-download', (event) => event.preventDefault());
  if (!urls.devServerOrigin) serveAppScheme(join(here, '../renderer'), csp);
}

/** Every web contents (including any the app did not create) refuses navigation, popups and webviews. */
export function hardenContents(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (!shouldAllowNavigation(url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!shouldAllowNavigation(url, appUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => windowOpenPolicy());
}

export function createMainWindow(urls: WindowUrls): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 1024,
    minHeight: 700,
    show: false,
    title: 'HCP Workstation',
    backgroundColor: '#f5f7fa',
    webPreferences: secureWebPreferences(join(here, '../preload/index.cjs'), { devTools: !app.isPackaged }),
  });
  win.once('ready-to-show', () => win.show());
  // A failed load is reported by 'did-fail-load' (main/electron/lifecycle.ts): an error window, never a blank one.
  win.loadURL(urls.appUrl).catch(() => undefined);
  return win;
}
