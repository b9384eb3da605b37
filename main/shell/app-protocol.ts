import { extname, resolve, sep } from 'node:path';

/**
 * The packaged renderer is served from a privileged custom scheme (app://hcp/...) instead of
 * file://, so the file protocol needs no extra privileges (the Electron fuse stays off) and the
 * app has a real origin. Pure path logic here; main/electron/app-protocol.ts registers it.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'hcp';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

export function contentTypeFor(file: string): string {
  return TYPES[extname(file)] ?? 'application/octet-stream';
}

/** The file for an app:// request, or null when it is not ours or would leave the renderer folder. */
export function resolveAppAsset(rendererDir: string, requestUrl: string): { file: string; contentType: string } | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const root = resolve(rendererDir);
  const file = resolve(root, '.' + (path === '/' ? '/index.html' : path));
  if (!file.startsWith(root + sep)) return null;
  return { file, contentType: contentTypeFor(file) };
}
