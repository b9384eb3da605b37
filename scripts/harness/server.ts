import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { EVENT_NAMES } from '../../common/ipc/events';
import { contentSecurityPolicy } from '../../main/shell/hardening';
import { contentTypeFor } from '../../main/shell/app-protocol';
import type { Dispatch } from '../../main/ipc/dispatch';
import type { WorkstationEvents } from '../../main/events';
import { serveAttachment, type AttachmentSource } from '../../main/viewer/index';
import { ATTACHMENT_HTTP_PREFIX, parseAttachmentHttpPath } from '../../common/attachment-url';

/**
 * Dev-only browser harness (never packaged): serves the built renderer and answers the preload API
 * over loopback, through the SAME dispatcher the Electron IPC uses. 127.0.0.1 only, a random port,
 * a per-run secret token (required on every API call and on the page itself), Host header checked
 * against DNS rebinding, no CORS.
 */
export interface HarnessOptions {
  dispatch: Dispatch;
  events: WorkstationEvents;
  /** The viewer's attachment route (Workstation.attachments), served at /hcp-attachment/. */
  attachments: AttachmentSource;
  /** The built harness bundle (vite build --config scripts/harness/vite.config.ts). */
  staticDir: string;
  port?: number;
}

export interface Harness {
  /** Open this in the browser: it carries the token. */
  url: string;
  origin: string;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024 * 1024;

export async function startHarness(opts: HarnessOptions): Promise<Harness> {
  const token = randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const csp = contentSecurityPolicy({ dev: false, attachments: "'self'" });
  let origin = '';

  const tokenOk = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false;
    const b = Buffer.from(candidate);
    return b.length === tokenBuf.length && timingSafeEqual(b, tokenBuf);
  };

  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'application/json') => {
    res.writeHead(status, {
      'Content-Type': type,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': csp,
    });
    res.end(body);
  };

  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new Error('body too large'));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const server = createServer(async (req, res) => {
    const host = req.headers.host ?? '';
    if (host !== new URL(origin).host) return send(res, 421, '{"error":"bad host"}');
    const url = new URL(req.url ?? '/', origin);

    if (req.method === 'POST' && url.pathname.startsWith('/ipc/')) {
      if (!tokenOk(req.headers['x-hcp-token'] as string | undefined)) return send(res, 403, '{"error":"forbidden"}');
      let request: unknown;
      try {
        request = JSON.parse(await readBody(req));
      } catch {
        return send(
          res,
          200,
          JSON.stringify({
            ok: false,
            error: { code: 'IPC_INVALID_REQUEST', details: { field: '(request)', problem: 'not JSON' } },
          }),
        );
      }
      const channel = decodeURIComponent(url.pathname.slice('/ipc/'.length));
      return send(res, 200, JSON.stringify(await opts.dispatch(channel, request)));
    }

    if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith(ATTACHMENT_HTTP_PREFIX)) {
      if (!tokenOk(url.searchParams.get('token'))) return send(res, 403, '{"error":"forbidden"}');
      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null);
      const answer = serveAttachment(
        {
          method: req.method,
          ref: parseAttachmentHttpPath(url.pathname),
          range: header('range'),
          ifRange: header('if-range'),
        },
        opts.attachments,
      );
      // No page CSP on the document itself (its frame-ancestors 'none' would refuse the PDF frame): serve.ts says why that is safe.
      res.writeHead(answer.status, Object.fromEntries(answer.headers));
      if (!answer.body) return res.end();
      // Streamed: each chunk decrypted as the browser reads (backpressure through the pipe).
      const body = Readable.fromWeb(answer.body as NodeReadableStream<Uint8Array>);
      res.on('close', () => body.destroy());
      body.on('error', () => res.destroy());
      body.pipe(res);
      return;
    }

    if (req.method === 'GET' && url.pathname === '/events') {
      if (!tokenOk(url.searchParams.get('token'))) return send(res, 403, '{"error":"forbidden"}');
      res.writeHead(200, {
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      const off = opts.events.onAny(
        (event, payload) => res.write(`data: ${JSON.stringify({ event, payload })}\n\n`),
        EVENT_NAMES,
      );
      req.on('close', off);
      return;
    }

    if (req.method === 'GET') {
      const isPage = url.pathname === '/' || url.pathname === '/index.html';
      if (isPage && !tokenOk(url.searchParams.get('token')))
        return send(
          res,
          403,
          'Open the URL printed by the harness (it carries the session token).',
          'text/plain; charset=utf-8',
        );
      const rel = isPage ? 'index.html' : normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
      const file = join(opts.staticDir, rel);
      if (!file.startsWith(opts.staticDir + sep) && file !== join(opts.staticDir, 'index.html'))
        return send(res, 404, 'not found', 'text/plain');
      try {
        return send(res, 200, await readFile(file), contentTypeFor(file));
      } catch {
        return send(res, 404, 'not found', 'text/plain');
      }
    }
    send(res, 405, '{"error":"method"}');
  });

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}#/scan`,
    origin,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
