import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { certificateCredentialProvider, type CertificateOptions } from '../../../main/cloud/credentials';
import {
  createTestCa,
  minioCertificateResponse,
  minioStsError,
  respondLikeMinio,
  startMtlsStsResponder,
  type MtlsStsResponder,
} from '../../support/mtls-sts-responder';

let sts: MtlsStsResponder;
beforeAll(async () => {
  sts = await startMtlsStsResponder();
});
afterAll(async () => {
  await sts.close();
});
afterEach(() => {
  sts.requests.length = 0;
  sts.respond = respondLikeMinio;
});

function provider(overrides: Partial<CertificateOptions> = {}) {
  return certificateCredentialProvider({
    stsEndpoint: sts.url,
    durationSeconds: 900,
    identity: () => sts.clinician,
    ca: [sts.ca.certificatePem],
    timeoutMs: 2_000,
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<WorkstationError> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkstationError);
  return e as WorkstationError;
}

describe('MinIO AssumeRoleWithCertificate (contract, local mutual-TLS responder)', () => {
  it('POSTs the documented query over mutual TLS and parses the documented answer', async () => {
    const before = Date.now();
    const credentials = await provider().get();
    expect(credentials).toMatchObject({
      accessKey: 'YC12ZBHUVW588BQAE5BM',
      secretKey: 'Zgl9+zdE0pZ88+hLqtfh0ocLN+WQTJixHouCkZkW',
      sessionToken: 'eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.test',
    });
    const lifetime = (credentials.expiresAt as Date).getTime() - before;
    expect(lifetime).toBeGreaterThan(14 * 60 * 1000 - 2_000);
    expect(lifetime).toBeLessThanOrEqual(15 * 60 * 1000 + 1_000);

    expect(sts.requests).toHaveLength(1);
    const seen = sts.requests[0]!;
    expect(seen.method).toBe('POST');
    expect(seen.authorized).toBe(true);
    expect(seen.clientCommonName).toBe('Dr Test Clinician');
    const query = new URL(seen.url, sts.url).searchParams;
    expect(Object.fromEntries(query)).toEqual({
      Action: 'AssumeRoleWithCertificate',
      Version: '2011-06-15',
      DurationSeconds: '900',
    });
  });

  it('caches until shortly before expiry', async () => {
    const p = provider();
    const a = await p.get();
    const b = await p.get();
    expect(b).toBe(a);
    expect(sts.requests).toHaveLength(1);
    p.invalidate();
    await p.get();
    expect(sts.requests).toHaveLength(2);
  });

  it("MinIO's error answer is CLOUD_CREDENTIALS_FAILED naming the STS code", async () => {
    sts.respond = (_req, res) => {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(minioStsError('AccessDenied', 'certificate not allowed'));
    };
    const e = await failure(provider().get());
    expect(e.code).toBe('CLOUD_CREDENTIALS_FAILED');
    expect(e.details).toMatchObject({ status: 403, sts: 'AccessDenied' });
  });

  it('a client certificate from another CA is refused by the server: CLOUD_CREDENTIALS_FAILED', async () => {
    const stranger = createTestCa('Untrusted CA').issue('Dr Stranger', 'client');
    const e = await failure(provider({ identity: () => stranger }).get());
    expect(e.code).toBe('CLOUD_CREDENTIALS_FAILED');
    expect(sts.requests[0]).toMatchObject({ authorized: false, clientCommonName: 'Dr Stranger' });
  });

  it('a server certificate the workstation does not trust fails the handshake: TLS_SERVER_UNTRUSTED', async () => {
    const e = await failure(provider({ ca: undefined }).get());
    expect(e.code).toBe('TLS_SERVER_UNTRUSTED');
    expect(e.details).toMatchObject({ service: 'sts', tls: expect.stringMatching(/CERT|UNABLE_TO/) });
    expect(sts.requests).toHaveLength(0);
  });

  it('5xx is CLOUD_UNAVAILABLE', async () => {
    sts.respond = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end(minioStsError('ServiceUnavailable', 'busy'));
    };
    expect((await failure(provider().get())).code).toBe('CLOUD_UNAVAILABLE');
  });

  it('a responder that never answers is CLOUD_UNAVAILABLE (timeout)', async () => {
    sts.respond = () => {};
    const e = await failure(provider({ timeoutMs: 200 }).get());
    expect(e.code).toBe('CLOUD_UNAVAILABLE');
    expect(e.details).toMatchObject({ reason: 'timeout' });
  });

  it('an answer without credentials is CLOUD_CREDENTIALS_FAILED', async () => {
    sts.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        '<AssumeRoleWithCertificateResponse><AssumeRoleWithCertificateResult/></AssumeRoleWithCertificateResponse>',
      );
    };
    expect((await failure(provider().get())).details).toEqual({ reason: 'response' });
  });

  it('credentials that are already expired are CLOUD_CREDENTIALS_EXPIRED', async () => {
    sts.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        minioCertificateResponse({
          accessKeyId: 'A1',
          secretAccessKey: 'S1',
          sessionToken: 'T1',
          expiration: new Date(Date.now() - 60_000),
        }),
      );
    };
    expect((await failure(provider().get())).code).toBe('CLOUD_CREDENTIALS_EXPIRED');
  });

  it("the expiry is counted on the local clock from the server's own Date (clock skew)", async () => {
    // The server's clock is 2 h ahead: its Expiration looks far in the future, its lifetime is 15 min.
    const skew = 2 * 60 * 60 * 1000;
    sts.respond = (_req, res) => {
      res.setHeader('date', new Date(Date.now() + skew).toUTCString());
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        minioCertificateResponse({
          accessKeyId: 'A1',
          secretAccessKey: 'S1',
          sessionToken: 'T1',
          expiration: new Date(Date.now() + skew + 15 * 60 * 1000),
        }),
      );
    };
    const { expiresAt } = await provider().get();
    const remaining = (expiresAt as Date).getTime() - Date.now();
    expect(remaining).toBeGreaterThan(13 * 60 * 1000);
    expect(remaining).toBeLessThan(16 * 60 * 1000);
  });

  it('refuses a non-https STS endpoint', () => {
    expect(() => provider({ stsEndpoint: 'http://127.0.0.1:1/' })).toThrow(
      expect.objectContaining({ code: 'CLOUD_CREDENTIALS_FAILED' }),
    );
  });

  it('cancellation is CANCELLED', async () => {
    sts.respond = () => {};
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await failure(provider({ timeoutMs: 5_000 }).get(controller.signal))).code).toBe('CANCELLED');
  });
});
