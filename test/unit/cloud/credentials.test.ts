import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import {
  assumeRoleCredentialProvider,
  cachingCredentialProvider,
  createCredentialProvider,
  staticCredentialProvider,
  type TemporaryCredentials,
} from '../../../main/cloud/credentials';

const creds = (n: number, expiresAt: number | null): TemporaryCredentials => ({
  accessKey: `AK${n}`,
  secretKey: `SK${n}`,
  sessionToken: `T${n}`,
  expiresAt: expiresAt === null ? null : new Date(expiresAt),
});

describe('credential cache', () => {
  it('refreshes only inside the margin before expiry', async () => {
    let t = 1_000_000;
    let n = 0;
    const p = cachingCredentialProvider('sts-assume-role', async () => creds(++n, t + 900_000), {
      now: () => t,
      refreshMarginMs: 60_000,
    });
    expect((await p.get()).accessKey).toBe('AK1');
    t += 830_000; // 70 s left
    expect((await p.get()).accessKey).toBe('AK1');
    t += 20_000; // 50 s left: inside the margin
    expect((await p.get()).accessKey).toBe('AK2');
  });

  it('the margin is at most half the lifetime', async () => {
    let t = 0;
    let n = 0;
    const p = cachingCredentialProvider('sts-assume-role', async () => creds(++n, t + 10_000), {
      now: () => t,
      refreshMarginMs: 60_000,
    });
    await p.get();
    t = 4_000;
    expect((await p.get()).accessKey).toBe('AK1');
    t = 6_000;
    expect((await p.get()).accessKey).toBe('AK2');
  });

  it('concurrent callers share one request', async () => {
    let calls = 0;
    const p = cachingCredentialProvider('sts-assume-role', async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
      return creds(calls, Date.now() + 900_000);
    });
    const all = await Promise.all([p.get(), p.get(), p.get()]);
    expect(calls).toBe(1);
    expect(new Set(all).size).toBe(1);
  });

  it('a failed refresh keeps still-valid credentials; expired ones are not served', async () => {
    let t = 0;
    let fail = false;
    const p = cachingCredentialProvider(
      'sts-assume-role',
      async () => {
        if (fail) throw new WorkstationError('CLOUD_UNAVAILABLE', { stage: 'credentials' });
        return creds(1, t + 100_000);
      },
      { now: () => t, refreshMarginMs: 30_000 },
    );
    await p.get();
    fail = true;
    t = 80_000;
    expect((await p.get()).accessKey).toBe('AK1');
    t = 100_001;
    await expect(p.get()).rejects.toMatchObject({ code: 'CLOUD_UNAVAILABLE' });
  });

  it('an untyped failure becomes CLOUD_CREDENTIALS_FAILED', async () => {
    const p = cachingCredentialProvider('sts-assume-role', async () => {
      throw new Error('boom');
    });
    await expect(p.get()).rejects.toMatchObject({ code: 'CLOUD_CREDENTIALS_FAILED' });
  });
});

describe('static keys', () => {
  it('serve the training sandbox', async () => {
    expect(await staticCredentialProvider({ accessKey: 'a', secretKey: 'b' }, 'training').get()).toEqual({
      accessKey: 'a',
      secretKey: 'b',
      expiresAt: null,
    });
  });
  it('are refused in production mode', () => {
    expect(() => staticCredentialProvider({ accessKey: 'a', secretKey: 'b' }, 'production')).toThrow(
      expect.objectContaining({ code: 'CLOUD_CREDENTIALS_FAILED', details: { reason: 'static-in-production' } }),
    );
    expect(() =>
      createCredentialProvider(
        { kind: 'static', accessKey: 'a', secretKey: 'b' },
        { mode: 'production', region: 'r', roleSessionName: 'hcp-ws1' },
      ),
    ).toThrow(expect.objectContaining({ code: 'CLOUD_CREDENTIALS_FAILED' }));
  });
  it('the certificate provider needs a signed-in clinician', () => {
    expect(() =>
      createCredentialProvider(
        { kind: 'minio-certificate', stsEndpoint: 'https://sts.example/', durationSeconds: 900 },
        { mode: 'production', region: 'r', roleSessionName: 'hcp-ws1' },
      ),
    ).toThrow(expect.objectContaining({ code: 'NOT_SIGNED_IN' }));
  });
});

describe('STS AssumeRole request (local responder; the real RGW is in test/integration/cloud)', () => {
  let respond: (req: IncomingMessage, body: string, res: ServerResponse) => void;
  const seen: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      respond(req, body, res);
    });
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const provider = () =>
    assumeRoleCredentialProvider({
      stsEndpoint: url,
      accessKey: 'WORKSTATION',
      secretKey: 'secret',
      roleArn: 'arn:aws:iam:::role/hcp',
      roleSessionName: 'hcp-ws1',
      durationSeconds: 900,
      region: 'eu-1',
      timeoutMs: 1_000,
    });

  it('sends a SigV4-signed form and parses AssumeRoleResponse', async () => {
    respond = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>0123</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>${new Date(Date.now() + 900_000).toISOString()}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`,
      );
    };
    const c = await provider().get();
    expect(c).toMatchObject({ accessKey: '0123', secretKey: 's', sessionToken: 't' });
    const { headers, body } = seen.at(-1)!;
    expect(Object.fromEntries(new URLSearchParams(body))).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: 'arn:aws:iam:::role/hcp',
      RoleSessionName: 'hcp-ws1',
      DurationSeconds: '900',
    });
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=WORKSTATION\/\d{8}\/eu-1\/sts\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
  });

  it.each([
    [403, 'AccessDenied', 'CLOUD_CREDENTIALS_FAILED'],
    [403, 'SignatureDoesNotMatch', 'CLOUD_CREDENTIALS_FAILED'],
    [400, 'ExpiredToken', 'CLOUD_CREDENTIALS_EXPIRED'],
    [500, 'InternalError', 'CLOUD_UNAVAILABLE'],
  ] as const)('%i %s -> %s', async (status, code, expected) => {
    respond = (_req, _body, res) => {
      res.writeHead(status, { 'content-type': 'text/xml' });
      res.end(`<ErrorResponse><Error><Code>${code}</Code><Message>m</Message></Error></ErrorResponse>`);
    };
    await expect(provider().get()).rejects.toMatchObject({
      code: expected,
      details: expect.objectContaining({ sts: code }),
    });
  });

  it('an S3-style bare <Error> answer is understood too', async () => {
    respond = (_req, _body, res) => {
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end('<?xml version="1.0"?><Error><Code>InvalidClientTokenId</Code></Error>');
    };
    await expect(provider().get()).rejects.toMatchObject({
      code: 'CLOUD_CREDENTIALS_FAILED',
      details: expect.objectContaining({ sts: 'InvalidClientTokenId' }),
    });
  });

  it('a refused connection is CLOUD_UNAVAILABLE', async () => {
    const p = assumeRoleCredentialProvider({
      stsEndpoint: 'http://127.0.0.1:1/',
      accessKey: 'a',
      secretKey: 'b',
      roleArn: 'r',
      roleSessionName: 'hcp-ws1',
      durationSeconds: 900,
      region: 'r',
    });
    await expect(p.get()).rejects.toMatchObject({
      code: 'CLOUD_UNAVAILABLE',
      details: { stage: 'credentials', reason: 'network' },
    });
  });
});
