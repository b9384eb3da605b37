import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMasterKey } from '../../../main/crypto/keys';
import { encryptContainer } from '../../../main/crypto/container';
import { segmentCiphertextOffset, decodeHeader } from '../../../main/crypto/container-format';
import { cachingCredentialProvider, type CredentialProvider } from '../../../main/cloud/credentials';
import {
  bufferSink,
  downloadAndDecrypt,
  fileSink,
  type DownloadProgress,
  type DownloadRequest,
} from '../../../main/cloud';
import { startCuttingProxy, type CuttingProxy } from './cutting-proxy';
import { failure, patientStore, sandbox, uniqueKey, workstationCredentials, workstationStore } from './helpers';

const SEGMENT = 64 * 1024;
const masterKey = generateMasterKey();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Seeded {
  key: string;
  plaintext: Buffer;
  container: Buffer;
}

/** Encrypts like the patient's app (object purpose, bound to its name) and uploads with the patient's keys. */
async function seed(label: string, size: number, mutate?: (container: Buffer) => Buffer): Promise<Seeded> {
  const key = uniqueKey(label);
  const plaintext = randomBytes(size);
  const container = encryptContainer(plaintext, {
    masterKey,
    purpose: 'object',
    associatedData: key,
    contentType: 'application/octet-stream',
    segmentSize: SEGMENT,
  });
  await patientStore().put(sandbox().buckets.ehr, key, mutate ? mutate(container) : container);
  return { key, plaintext, container };
}

let credentials: CredentialProvider;
let dir: string;
let small: Seeded;
let large: Seeded;

beforeAll(async () => {
  credentials = workstationCredentials();
  dir = mkdtempSync(join(tmpdir(), 'hcp-dl-'));
  small = await seed('small', 10_000);
  large = await seed('large', 3 * 1024 * 1024 + 12_345);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function request<R>(
  obj: Seeded,
  sink: DownloadRequest<R>['sink'],
  overrides: Partial<DownloadRequest<R>> = {},
): DownloadRequest<R> {
  return {
    store: workstationStore(credentials),
    bucket: sandbox().buckets.ehr,
    key: obj.key,
    keyParams: { masterKey, purpose: 'object', associatedData: obj.key },
    expected: { sha256: sha256(obj.plaintext), size: obj.plaintext.length },
    sink,
    resumeBackoffMs: 10,
    ...overrides,
  };
}

const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.partial'));

describe('download + decrypt from the real RGW', () => {
  it('a small object into memory, verified, with progress', async () => {
    const progress: DownloadProgress[] = [];
    const result = await downloadAndDecrypt(
      request(small, bufferSink({ maxBytes: 1 << 20 }), { onProgress: (p) => progress.push(p) }),
    );
    expect(result.value.equals(small.plaintext)).toBe(true);
    expect(result.sha256).toBe(sha256(small.plaintext));
    expect(result.resumes).toBe(0);
    const last = progress.at(-1)!;
    expect(last.totalBytes).toBe(small.container.length);
    expect(last.receivedBytes).toBe(small.container.length);
    expect(last.verifiedBytes).toBe(small.plaintext.length);
  });

  it('a large object streamed to a file, renamed into place only when verified', async () => {
    const path = join(dir, 'large.bin');
    const result = await downloadAndDecrypt(request(large, fileSink(path)));
    expect(result.value).toEqual({ path, size: large.plaintext.length });
    expect(readFileSync(path).equals(large.plaintext)).toBe(true);
    expect(leftovers()).toEqual([]);
  });

  it('a tampered segment: CONTAINER_AUTH_FAILED, and no file is left', async () => {
    const tampered = await seed('tampered', 300_000, (c) => {
      const copy = Buffer.from(c);
      copy[c.length - 50_000]! ^= 0x01;
      return copy;
    });
    const path = join(dir, 'tampered.bin');
    const e = await failure(downloadAndDecrypt(request(tampered, fileSink(path))));
    expect(e.code).toBe('CONTAINER_AUTH_FAILED');
    expect(readdirSync(dir)).not.toContain('tampered.bin');
    expect(leftovers()).toEqual([]);
  });

  it('the wrong master key: CONTAINER_AUTH_FAILED at the header, before any plaintext', async () => {
    let writes = 0;
    const sink = bufferSink({ maxBytes: 1 << 20 });
    const counting = { ...sink, write: (b: Buffer) => (writes++, sink.write(b)) };
    const e = await failure(
      downloadAndDecrypt(
        request(small, counting, {
          keyParams: { masterKey: generateMasterKey(), purpose: 'object', associatedData: small.key },
        }),
      ),
    );
    expect(e.code).toBe('CONTAINER_AUTH_FAILED');
    expect(e.details).toEqual({ part: 'header' });
    expect(writes).toBe(0);
  });

  it('a container copied under another name fails (the name is bound into its key)', async () => {
    const e = await failure(
      downloadAndDecrypt(
        request(small, bufferSink({ maxBytes: 1 << 20 }), {
          keyParams: { masterKey, purpose: 'object', associatedData: 'another/name' },
        }),
      ),
    );
    expect(e.code).toBe('CONTAINER_AUTH_FAILED');
  });

  it("a plaintext that does not match the manifest's SHA-256: OBJECT_INTEGRITY_FAILED, file discarded", async () => {
    const path = join(dir, 'mismatch.bin');
    const e = await failure(
      downloadAndDecrypt(
        request(small, fileSink(path), { expected: { sha256: sha256(Buffer.from('something else')) } }),
      ),
    );
    expect(e).toMatchObject({ code: 'OBJECT_INTEGRITY_FAILED', details: { reason: 'sha256' } });
    expect(readdirSync(dir)).not.toContain('mismatch.bin');
    expect(leftovers()).toEqual([]);
  });

  it("a size that differs from the manifest's fails at the header", async () => {
    const e = await failure(
      downloadAndDecrypt(
        request(small, bufferSink({ maxBytes: 1 << 20 }), { expected: { sha256: sha256(small.plaintext), size: 1 } }),
      ),
    );
    expect(e).toMatchObject({ code: 'OBJECT_INTEGRITY_FAILED', details: { reason: 'size' } });
    const typed = await failure(
      downloadAndDecrypt(
        request(small, bufferSink({ maxBytes: 1 << 20 }), {
          expected: { sha256: sha256(small.plaintext), contentType: 'image/png', id: 'abc' },
        }),
      ),
    );
    expect(typed).toMatchObject({ code: 'OBJECT_INTEGRITY_FAILED', details: { id: 'abc', reason: 'content-type' } });
  });

  it('a missing object: CLOUD_OBJECT_MISSING', async () => {
    const e = await failure(
      downloadAndDecrypt(request({ ...small, key: uniqueKey('missing') }, bufferSink({ maxBytes: 1 << 20 }))),
    );
    expect(e.code).toBe('CLOUD_OBJECT_MISSING');
  });

  it('an object the role may not read: CLOUD_ACCESS_DENIED', async () => {
    const key = uniqueKey('pending-item');
    await workstationStore(credentials).put(sandbox().buckets.pending, key, small.container);
    const e = await failure(
      downloadAndDecrypt(
        request({ ...small, key }, bufferSink({ maxBytes: 1 << 20 }), { bucket: sandbox().buckets.pending }),
      ),
    );
    expect(e.code).toBe('CLOUD_ACCESS_DENIED');
  });

  it('tampering in each region, stored in the real RGW: typed errors, only verified segments reach the sink', async () => {
    const plaintext = randomBytes(3 * SEGMENT + 1000); // 4 segments
    const base = encryptContainer(plaintext, {
      masterKey,
      purpose: 'object',
      associatedData: 'unused',
      contentType: 'application/octet-stream',
      segmentSize: SEGMENT,
    });
    const header = decodeHeader(base);
    const at = (i: number) => segmentCiphertextOffset(header, i);
    const flipAt = (index: number) => (c: Buffer) => {
      const copy = Buffer.from(c);
      copy[index]! ^= 0x04;
      return copy;
    };
    const cases: Array<[string, (c: Buffer) => Buffer, string, number]> = [
      ['header', flipAt(30), 'CONTAINER_AUTH_FAILED', 0],
      ['header-tag', flipAt(header.headerLength + 3), 'CONTAINER_AUTH_FAILED', 0],
      ['segment-body', flipAt(at(2) + 100), 'CONTAINER_AUTH_FAILED', 2],
      ['segment-tag', flipAt(at(2) - 1), 'CONTAINER_AUTH_FAILED', 1],
      ['cut-at-boundary', (c) => c.subarray(0, at(3)), 'CONTAINER_TRUNCATED', 3],
      ['cut-mid-segment', (c) => c.subarray(0, at(1) + 5000), 'CONTAINER_TRUNCATED', 1],
      [
        'reordered',
        (c) =>
          Buffer.concat([c.subarray(0, at(1)), c.subarray(at(2), at(3)), c.subarray(at(1), at(2)), c.subarray(at(3))]),
        'CONTAINER_AUTH_FAILED',
        1,
      ],
      ['appended', (c) => Buffer.concat([c, c.subarray(at(1), at(2))]), 'CONTAINER_TRAILING_DATA', 4],
    ];
    for (const [label, mutate, code, verifiedSegments] of cases) {
      // Encrypted under its own name (bound into the key), like the patient's app does.
      const key = uniqueKey(`region-${label}`);
      const container = encryptContainer(plaintext, {
        masterKey,
        purpose: 'object',
        associatedData: key,
        contentType: 'application/octet-stream',
        segmentSize: SEGMENT,
      });
      await patientStore().put(sandbox().buckets.ehr, key, mutate(container));
      const written: Buffer[] = [];
      let outcome = 'open';
      const sink = {
        begin() {},
        write: (b: Buffer) => void written.push(Buffer.from(b)),
        commit: async () => ((outcome = 'committed'), Buffer.alloc(0)),
        abort: async () => void (outcome = 'aborted'),
      };
      const e = await failure(downloadAndDecrypt(request({ key, plaintext, container }, sink)));
      expect([label, e.code]).toEqual([label, code]);
      expect(outcome).toBe('aborted');
      const out = Buffer.concat(written);
      // RGW's chunking decides how many verified segments got out before the failure, never more than these.
      expect(out.length).toBeLessThanOrEqual(Math.min(plaintext.length, verifiedSegments * SEGMENT));
      expect(out.equals(plaintext.subarray(0, out.length))).toBe(true);
    }
  });

  it('a truncated object: CONTAINER_TRUNCATED (not retried as a network failure)', async () => {
    const truncated = await seed('truncated', 200_000, (c) => c.subarray(0, c.length - 1000));
    const e = await failure(downloadAndDecrypt(request(truncated, bufferSink({ maxBytes: 1 << 20 }))));
    expect(e.code).toBe('CONTAINER_TRUNCATED');
  });

  it('bytes past the end of the container: CONTAINER_TRAILING_DATA', async () => {
    const trailing = await seed('trailing', 1_000, (c) => Buffer.concat([c, Buffer.from('extra')]));
    expect((await failure(downloadAndDecrypt(request(trailing, bufferSink({ maxBytes: 1 << 20 }))))).code).toBe(
      'CONTAINER_TRAILING_DATA',
    );
  });

  it('an object larger than a memory sink allows is refused before it is downloaded', async () => {
    const e = await failure(downloadAndDecrypt(request(large, bufferSink({ maxBytes: 1024 }))));
    expect(e).toMatchObject({ code: 'INVALID_INPUT', details: { field: 'plaintextLength' } });
  });

  it('cancellation: CANCELLED, and no file is left', async () => {
    const controller = new AbortController();
    const path = join(dir, 'cancelled.bin');
    const e = await failure(
      downloadAndDecrypt(
        request(large, fileSink(path), {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.verifiedBytes > 0) controller.abort();
          },
        }),
      ),
    );
    expect(e.code).toBe('CANCELLED');
    expect(readdirSync(dir)).not.toContain('cancelled.bin');
    expect(leftovers()).toEqual([]);
  });
});

describe('resume after a network failure (a proxy in front of the real RGW)', () => {
  let proxy: CuttingProxy;
  beforeAll(async () => {
    proxy = await startCuttingProxy(sandbox().s3.endpoint);
  });
  afterAll(() => proxy.close());

  it('a connection cut mid-object resumes with a ranged GET from the last verified segment boundary', async () => {
    proxy.requests.length = 0;
    const header = decodeHeader(large.container);
    // Response headers (~400 bytes) + the container header + 2.5 segments: segments 0 and 1 verify, 2 is cut.
    proxy.cutOnceAfter(400 + segmentCiphertextOffset(header, 2) + SEGMENT / 2);
    const progress: DownloadProgress[] = [];
    const result = await downloadAndDecrypt(
      request(large, bufferSink({ maxBytes: 8 << 20 }), {
        store: workstationStore(credentials, proxy.url),
        onProgress: (p) => progress.push(p),
      }),
    );

    expect(result.value.equals(large.plaintext)).toBe(true);
    expect(result.resumes).toBe(1);
    const gets = proxy.requests.filter((r) => r.line.startsWith('GET '));
    expect(gets).toHaveLength(2);
    expect(gets[0]!.range).toBeNull();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1]!.range ?? '')?.[1]);
    // At a segment boundary at or after segment 2 (the proxy cut inside segment 2; fewer may have verified if RGW chunked differently).
    const boundaries = Array.from({ length: 60 }, (_, i) => segmentCiphertextOffset(header, i));
    expect(boundaries).toContain(resumedAt);
    expect(resumedAt).toBeLessThanOrEqual(segmentCiphertextOffset(header, 2));
    expect(progress.some((p) => p.resumes === 1)).toBe(true);
    expect(progress.at(-1)!.receivedBytes).toBe(large.container.length);
  });

  it('a stalled connection is dropped after the idle timeout and resumed', async () => {
    proxy.requests.length = 0;
    proxy.stallOnceAfter(400 + SEGMENT * 3);
    const started = Date.now();
    const result = await downloadAndDecrypt(
      request(large, bufferSink({ maxBytes: 8 << 20 }), { store: workstationStore(credentials, proxy.url, 700) }),
    );
    expect(result.value.equals(large.plaintext)).toBe(true);
    expect(result.resumes).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);
    expect(proxy.requests.filter((r) => r.line.startsWith('GET ')).at(-1)!.range).toMatch(/^bytes=\d+-$/);
  });

  it('an object replaced between the cut and the resume is not stitched together: CONTAINER_AUTH_FAILED', async () => {
    const obj = await seed('replaced', 1024 * 1024);
    const real = workstationStore(credentials, proxy.url);
    // The patient's app re-uploads the same plaintext (new salt, new key) just before the ranged GET.
    const replacing = {
      ...real,
      getRange: async (...args: Parameters<typeof real.getRange>) => {
        const again = encryptContainer(obj.plaintext, {
          masterKey,
          purpose: 'object',
          associatedData: obj.key,
          contentType: 'application/octet-stream',
          segmentSize: SEGMENT,
        });
        await patientStore().put(sandbox().buckets.ehr, obj.key, again);
        return real.getRange(...args);
      },
    };
    proxy.cutOnceAfter(400 + SEGMENT * 4);
    const e = await failure(downloadAndDecrypt(request(obj, bufferSink({ maxBytes: 8 << 20 }), { store: replacing })));
    expect(e.code).toBe('CONTAINER_AUTH_FAILED');
  });

  it('a cut during the container header restarts from the beginning', async () => {
    proxy.requests.length = 0;
    proxy.cutOnceAfter(400 + 20);
    const result = await downloadAndDecrypt(
      request(small, bufferSink({ maxBytes: 1 << 20 }), { store: workstationStore(credentials, proxy.url) }),
    );
    expect(result.value.equals(small.plaintext)).toBe(true);
    expect(result.resumes).toBe(1);
    expect(proxy.requests.filter((r) => r.line.startsWith('GET ')).map((r) => r.range)).toEqual([null, null]);
  });
});

describe('cloud down and credentials', () => {
  it('S3 not listening: CLOUD_UNAVAILABLE after the bounded resumes', async () => {
    const proxy = await startCuttingProxy(sandbox().s3.endpoint);
    const deadUrl = proxy.url;
    await proxy.close();
    const store = workstationStore(credentials, deadUrl);
    const e = await failure(
      downloadAndDecrypt(request(small, bufferSink({ maxBytes: 1 << 20 }), { store, maxResumes: 2 })),
    );
    expect(e.code).toBe('CLOUD_UNAVAILABLE');
    expect((await failure(store.stat(sandbox().buckets.ehr, small.key))).code).toBe('CLOUD_UNAVAILABLE');
  });

  it('STS not listening either: CLOUD_UNAVAILABLE at the credentials stage', async () => {
    const s = sandbox();
    const { assumeRoleCredentialProvider } = await import('../../../main/cloud/credentials');
    const dead = assumeRoleCredentialProvider({
      stsEndpoint: 'http://127.0.0.1:1/',
      accessKey: s.workstation.accessKey,
      secretKey: s.workstation.secretKey,
      roleArn: s.workstation.roleArn,
      roleSessionName: 'hcp-it',
      durationSeconds: 900,
      region: s.s3.region,
    });
    const e = await failure(workstationStore(dead).stat(s.buckets.ehr, small.key));
    expect(e).toMatchObject({ code: 'CLOUD_UNAVAILABLE', details: { stage: 'credentials' } });
  });

  it('credentials that lapse during a download are refreshed once and the download goes on', async () => {
    const real = await credentials.get();
    let handedOut = 0;
    // First: the real keys, but already past their (claimed) expiry; after invalidate(): fresh ones.
    const lapsing = cachingCredentialProvider('sts-assume-role', async () => {
      handedOut++;
      return handedOut === 1 ? { ...real, expiresAt: new Date(Date.now() - 1) } : real;
    });
    const result = await downloadAndDecrypt(
      request(small, bufferSink({ maxBytes: 1 << 20 }), { store: workstationStore(lapsing) }),
    );
    expect(result.value.equals(small.plaintext)).toBe(true);
    expect(handedOut).toBe(2);
  });

  it('credentials that stay expired: CLOUD_CREDENTIALS_EXPIRED', async () => {
    const real = await credentials.get();
    const expired = cachingCredentialProvider('sts-assume-role', async () => ({
      ...real,
      expiresAt: new Date(Date.now() - 1),
    }));
    const e = await failure(
      downloadAndDecrypt(request(small, bufferSink({ maxBytes: 1 << 20 }), { store: workstationStore(expired) })),
    );
    expect(e.code).toBe('CLOUD_CREDENTIALS_EXPIRED');
  });

  it('a forged session token is refused by RGW: a typed credentials or access error', async () => {
    const real = await credentials.get();
    const forged = cachingCredentialProvider('sts-assume-role', async () => ({
      ...real,
      sessionToken: `${real.sessionToken}x`,
    }));
    const store = workstationStore(forged);
    // HEAD (no body: known only by its status) and GET (400 InvalidArgument on RGW).
    expect((await failure(store.stat(sandbox().buckets.ehr, small.key))).code).toBe('CLOUD_ACCESS_DENIED');
    expect((await failure(downloadAndDecrypt(request(small, bufferSink({ maxBytes: 1 << 20 }), { store })))).code).toBe(
      'CLOUD_ACCESS_DENIED',
    );
  });

  it('a wrong secret key for the session is CLOUD_CREDENTIALS_FAILED (SignatureDoesNotMatch)', async () => {
    const real = await credentials.get();
    const wrong = cachingCredentialProvider('sts-assume-role', async () => ({
      ...real,
      secretKey: `${real.secretKey}x`,
    }));
    const e = await failure(
      downloadAndDecrypt(request(small, bufferSink({ maxBytes: 1 << 20 }), { store: workstationStore(wrong) })),
    );
    expect(e.code).toBe('CLOUD_CREDENTIALS_FAILED');
  });
});
