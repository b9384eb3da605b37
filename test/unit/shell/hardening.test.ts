import { describe, expect, it } from 'vitest';
import {
  contentSecurityPolicy,
  isTrustedSender,
  permissionPolicy,
  secureWebPreferences,
  shouldAllowNavigation,
  windowOpenPolicy,
} from '../../../main/shell/hardening';

const APP = 'file:///opt/hcp/resources/app.asar/out/renderer/index.html';

describe('Electron shell hardening (pure options)', () => {
  it('isolates and sandboxes the renderer', () => {
    const p = secureWebPreferences('/x/preload.cjs', { devTools: false });
    expect(p).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('has a strict CSP in production: no inline script, no eval, no remote origins', () => {
    const csp = contentSecurityPolicy({ dev: false });
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
    expect(csp).not.toMatch(/https?:/);
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('allows inline styles and the dev websocket only for the dev server', () => {
    const csp = contentSecurityPolicy({ dev: true, devServerOrigin: 'http://localhost:5173' });
    expect(csp).toContain('ws://localhost:5173');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('refuses navigation away from the app and every popup and permission', () => {
    expect(shouldAllowNavigation(APP + '#/patient', APP)).toBe(true);
    expect(shouldAllowNavigation('https://evil.example/', APP)).toBe(false);
    expect(shouldAllowNavigation('file:///etc/passwd', APP)).toBe(false);
    expect(shouldAllowNavigation('not a url', APP)).toBe(false);
    expect(shouldAllowNavigation('http://localhost:5173/#/x', 'http://localhost:5173/')).toBe(true);
    expect(shouldAllowNavigation('http://localhost:5174/', 'http://localhost:5173/')).toBe(false);
    expect(windowOpenPolicy()).toEqual({ action: 'deny' });
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal'])
      expect(permissionPolicy(p)).toBe(false);
  });

  it('answers IPC only for the app main frame', () => {
    expect(isTrustedSender({ url: APP, isMainFrame: true }, APP)).toBe(true);
    expect(isTrustedSender({ url: APP, isMainFrame: false }, APP)).toBe(false);
    expect(isTrustedSender({ url: 'https://evil.example/', isMainFrame: true }, APP)).toBe(false);
    expect(isTrustedSender(null, APP)).toBe(false);
  });
});

describe('app:// scheme for the packaged renderer', () => {
  it('maps app://hcp/ paths into the renderer folder and nowhere else', async () => {
    const { resolveAppAsset, APP_INDEX_URL } = await import('../../../main/shell/app-protocol');
    const root = '/opt/hcp/out/renderer';
    expect(resolveAppAsset(root, APP_INDEX_URL)).toEqual({
      file: `${root}/index.html`,
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppAsset(root, 'app://hcp/assets/index-1.js')?.file).toBe(`${root}/assets/index-1.js`);
    // Dot segments are folded by the URL parser: they can only land inside the renderer folder.
    for (const dots of [
      'app://hcp/../../etc/passwd',
      'app://hcp/%2e%2e/%2e%2e/etc/passwd',
      'app://hcp/a/..%2f..%2f..%2fetc/passwd',
    ]) {
      const asset = resolveAppAsset(root, dots);
      expect(asset === null || asset.file.startsWith(root + '/'), dots).toBe(true);
    }
    for (const bad of ['app://other/index.html', 'file:///etc/passwd', 'app://hcp/%00x', 'app://hcp/%E0%A4%A']) {
      expect(resolveAppAsset(root, bad), bad).toBeNull();
    }
  });

  it('treats only app://hcp as the app (custom schemes have opaque origins)', () => {
    const APP = 'app://hcp/index.html';
    expect(shouldAllowNavigation('app://hcp/index.html#/patient', APP)).toBe(true);
    expect(shouldAllowNavigation('app://evil/index.html', APP)).toBe(false);
    expect(shouldAllowNavigation('other://hcp/index.html', APP)).toBe(false);
    expect(isTrustedSender({ url: 'app://hcp/index.html', isMainFrame: true }, APP)).toBe(true);
    expect(isTrustedSender({ url: 'javascript:alert(1)', isMainFrame: true }, APP)).toBe(false);
  });
});
