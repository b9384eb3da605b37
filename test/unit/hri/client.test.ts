import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { generateMasterKey } from '../../../main/crypto/keys';
import { sealHriLocation, type HriLocation } from '../../../main/crypto/hri-location';
import { createHriClient, type HriClientOptions } from '../../../main/hri';

/** A real HTTP server whose behaviour each test sets; it records every request it saw. */
type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler;
let server: Server;
let baseUrl: string;
const seen: { method: string; url: string; body: string; contentType: string | undefined }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', body, contentType: req.headers['content-type'] });
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  seen.length = 0;
});

const CITIZEN = 'CITIZENAAAA2222';
const TOKEN = 'TOKENBBBB3333';
const masterKey = generateMasterKey();
const location: HriLocation = {
  v: 1,
  citizenId: CITIZEN,
  endpoint: 'https://ehr-cloud.example:9000',
  region: 'eu-central-1',
  bucket: 'ehr',
  prefix: `${CITIZEN}/record`,
  issuedAt: '2026-01-01T10:00:00Z',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function client(overrides: Partial<HriClientOptions> = {}) {
  return createHriClient({
    url: baseUrl,
    timeoutMs: 2_000,
    retries: 2,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    ...overrides,
  });
}

async function lookupError(promise: Promise<unknown>): Promise<WorkstationError> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkstationError);
  return e as WorkstationError;
}

const request = { citizenId: CITIZEN, hriToken: TOKEN, masterKey };

describe('HRI lookup', () => {
  it('POSTs citizen and token as JSON and opens the sealed location', async () => {
    handler = (_req, _body, res) => json(res, 200, { v: 1, sealed: sealHriLocation(masterKey, location) });
    const result = await client().lookupCloudLocation(request);
    expect(result).toEqual({
      endpoint: location.endpoint,
      region: location.region,
      bucket: location.bucket,
      prefix: location.prefix,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/emergency/lookup', contentType: 'application/json' });
    expect(JSON.parse(seen[0]!.body)).toEqual({ citizenId: CITIZEN, hriToken: TOKEN });
  });

  it('resolves /v1 under a base URL with a path', async () => {
    handler = (_req, _body, res) => json(res, 200, { v: 1, sealed: sealHriLocation(masterKey, location) });
    await client({ url: `${baseUrl}/hri` }).lookupCloudLocation(request);
    expect(seen[0]!.url).toBe('/hri/v1/emergency/lookup');
  });

  it('404 is HRI_NOT_FOUND, not retried', async () => {
    handler = (_req, _body, res) => json(res, 404, { error: 'not_found' });
    expect((await lookupError(client().lookupCloudLocation(request))).code).toBe('HRI_NOT_FOUND');
    expect(seen).toHaveLength(1);
  });

  it('403 is HRI_TOKEN_REJECTED, not retried', async () => {
    handler = (_req, _body, res) => json(res, 403, { error: 'token_rejected' });
    expect((await lookupError(client().lookupCloudLocation(request))).code).toBe('HRI_TOKEN_REJECTED');
    expect(seen).toHaveLength(1);
  });

  it('5xx is retried with backoff, then HRI_UNAVAILABLE naming the attempts', async () => {
    handler = (_req, _body, res) => json(res, 503, { error: 'unavailable' });
    const e = await lookupError(client({ retries: 2 }).lookupCloudLocation(request));
    expect(e.code).toBe('HRI_UNAVAILABLE');
    expect(e.details).toMatchObject({ status: 503, attempts: 3 });
    expect(seen).toHaveLength(3);
  });

  it('a 500 followed by a good answer succeeds on the retry', async () => {
    let calls = 0;
    handler = (_req, _body, res) =>
      calls++ === 0 ? json(res, 500, {}) : json(res, 200, { v: 1, sealed: sealHriLocation(masterKey, location) });
    const result = await client().lookupCloudLocation(request);
    expect(result.bucket).toBe('ehr');
    expect(seen).toHaveLength(2);
  });

  it('retries: 0 means exactly one attempt', async () => {
    handler = (_req, _body, res) => json(res, 502, {});
    expect((await lookupError(client({ retries: 0 }).lookupCloudLocation(request))).code).toBe('HRI_UNAVAILABLE');
    expect(seen).toHaveLength(1);
  });

  it('a server that never answers is HRI_TIMEOUT after each attempt times out', async () => {
    handler = () => {
      // Hang: never write a response.
    };
    const started = Date.now();
    const e = await lookupError(client({ timeoutMs: 150, retries: 1 }).lookupCloudLocation(request));
    expect(e.code).toBe('HRI_TIMEOUT');
    expect(e.details).toMatchObject({ timeoutMs: 150, attempts: 2 });
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('a body that stalls after the headers is HRI_TIMEOUT too', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"v":1,');
    };
    expect((await lookupError(client({ timeoutMs: 150, retries: 0 }).lookupCloudLocation(request))).code).toBe(
      'HRI_TIMEOUT',
    );
  });

  it('a refused connection is HRI_UNAVAILABLE after the retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await lookupError(client({ url: `http://127.0.0.1:${port}`, retries: 1 }).lookupCloudLocation(request));
    expect(e.code).toBe('HRI_UNAVAILABLE');
    expect(e.details).toMatchObject({ reason: 'network', attempts: 2 });
  });

  it('a connection reset mid-answer is HRI_UNAVAILABLE (retried)', async () => {
    handler = (req) => req.socket.destroy();
    const e = await lookupError(client({ retries: 1 }).lookupCloudLocation(request));
    expect(e.code).toBe('HRI_UNAVAILABLE');
    expect(seen).toHaveLength(2);
  });

  it('bad JSON is HRI_RESPONSE_INVALID, not retried', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>proxy login</html>');
    };
    const e = await lookupError(client().lookupCloudLocation(request));
    expect(e.code).toBe('HRI_RESPONSE_INVALID');
    expect(e.details).toEqual({ reason: 'json' });
    expect(seen).toHaveLength(1);
  });

  it('JSON of the wrong shape is HRI_RESPONSE_INVALID', async () => {
    handler = (_req, _body, res) => json(res, 200, { v: 2, sealed: 'x' });
    expect((await lookupError(client().lookupCloudLocation(request))).details).toEqual({ reason: 'schema' });
  });

  it('an oversized answer is refused', async () => {
    handler = (_req, _body, res) => json(res, 200, { v: 1, sealed: 'A'.repeat(100_000) });
    expect((await lookupError(client().lookupCloudLocation(request))).details).toEqual({ reason: 'too-large' });
  });

  it('a location sealed under another key is HRI_RESPONSE_INVALID (authentication)', async () => {
    handler = (_req, _body, res) => json(res, 200, { v: 1, sealed: sealHriLocation(generateMasterKey(), location) });
    const e = await lookupError(client().lookupCloudLocation(request));
    expect(e.code).toBe('HRI_RESPONSE_INVALID');
    expect(e.details).toEqual({ reason: 'authentication' });
  });

  it("another citizen's location is refused even under the right key", async () => {
    // Sealed for citizen B (its AAD), handed back for citizen A: authentication fails under A's AAD.
    const other = { ...location, citizenId: 'OTHERCITIZEN22' };
    handler = (_req, _body, res) => json(res, 200, { v: 1, sealed: sealHriLocation(masterKey, other) });
    expect((await lookupError(client().lookupCloudLocation(request))).code).toBe('HRI_RESPONSE_INVALID');
  });

  it('a tampered sealed blob is HRI_RESPONSE_INVALID', async () => {
    const sealed = Buffer.from(sealHriLocation(masterKey, location), 'base64url');
    sealed[20]! ^= 1;
    handler = (_req, _body, res) => json(res, 200, { v: 1, sealed: sealed.toString('base64url') });
    expect((await lookupError(client().lookupCloudLocation(request))).code).toBe('HRI_RESPONSE_INVALID');
  });

  it('400 is HRI_RESPONSE_INVALID naming the status, not retried', async () => {
    handler = (_req, _body, res) => json(res, 400, { error: 'bad_request' });
    const e = await lookupError(client().lookupCloudLocation(request));
    expect(e.code).toBe('HRI_RESPONSE_INVALID');
    expect(e.details).toEqual({ reason: 'status', status: 400 });
    expect(seen).toHaveLength(1);
  });

  it('a redirect is not followed', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(302, { location: 'http://evil.example/' });
      res.end();
    };
    expect((await lookupError(client({ retries: 0 }).lookupCloudLocation(request))).code).toBe('HRI_UNAVAILABLE');
  });

  it('the caller can cancel: CANCELLED, during an attempt and during the backoff', async () => {
    handler = () => {};
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(
      (await lookupError(client({ timeoutMs: 5_000 }).lookupCloudLocation({ ...request, signal: controller.signal })))
        .code,
    ).toBe('CANCELLED');

    handler = (_req, _body, res) => json(res, 503, {});
    const during = new AbortController();
    const slow = client({ backoffBaseMs: 5_000, backoffMaxMs: 5_000 });
    setTimeout(() => during.abort(), 100);
    const started = Date.now();
    expect((await lookupError(slow.lookupCloudLocation({ ...request, signal: during.signal }))).code).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
