import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Encode } from '../../../main/crypto/encoding';
import { generateMasterKey } from '../../../main/crypto/keys';
import { encryptContainer } from '../../../main/crypto/container';
import { sealHriLocation } from '../../../main/crypto/hri-location';
import { createHriClient, decideHriFallback } from '../../../main/hri';
import { bufferSink, createObjectStore, downloadAndDecrypt } from '../../../main/cloud';
import { hriTokenSha256, registerCitizen, unregisterCitizen } from '../../../scripts/sandbox/hri-client';
import { failure, patientStore, sandbox, workstationCredentials } from '../cloud/helpers';

const citizenId = base32Encode(randomBytes(16));
const hriToken = base32Encode(randomBytes(16));
const masterKey = generateMasterKey();
const prefix = `${citizenId}/record`;

const client = () => createHriClient({ url: sandbox().hri.url, timeoutMs: 2_000, retries: 1, backoffBaseMs: 10 });

beforeAll(async () => {
  const s = sandbox();
  const sealed = sealHriLocation(masterKey, {
    v: 1,
    citizenId,
    endpoint: s.s3.endpoint,
    region: s.s3.region,
    bucket: s.buckets.ehr,
    prefix,
    issuedAt: new Date().toISOString(),
  });
  await registerCitizen(s.hri.url, s.hri.registrationToken, citizenId, {
    hriTokenSha256: hriTokenSha256(hriToken),
    sealed,
  });
});
afterAll(async () => {
  await unregisterCitizen(sandbox().hri.url, sandbox().hri.registrationToken, citizenId).catch(() => {});
});

describe('HRI lookup against the sandbox HRI stand-in', () => {
  it('answers the sealed location, which opens to where the record is, and the record downloads from there', async () => {
    const s = sandbox();
    const location = await client().lookupCloudLocation({ citizenId, hriToken, masterKey });
    expect(location).toEqual({ endpoint: s.s3.endpoint, region: s.s3.region, bucket: s.buckets.ehr, prefix });

    const key = `${location.prefix}/objects/ips`;
    const ips = Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'document' }));
    await patientStore().put(
      location.bucket,
      key,
      encryptContainer(ips, {
        masterKey,
        purpose: 'object',
        associatedData: key,
        contentType: 'application/fhir+json',
      }),
    );

    const store = createObjectStore({
      endpoint: location.endpoint,
      region: location.region,
      credentials: workstationCredentials(),
      timeoutMs: 10_000,
    });
    const result = await downloadAndDecrypt({
      store,
      bucket: location.bucket,
      key,
      keyParams: { masterKey, purpose: 'object', associatedData: key },
      expected: { sha256: createHash('sha256').update(ips).digest('hex') },
      sink: bufferSink({ maxBytes: 1 << 20 }),
    });
    expect(JSON.parse(result.value.toString('utf8'))).toEqual({ resourceType: 'Bundle', type: 'document' });
  });

  it('a wrong HRI token: HRI_TOKEN_REJECTED, and the fallback policy refuses to go around it', async () => {
    const e = await failure(
      client().lookupCloudLocation({ citizenId, hriToken: base32Encode(randomBytes(16)), masterKey }),
    );
    expect(e.code).toBe('HRI_TOKEN_REJECTED');
    const decision = decideHriFallback(e, {
      citizenId,
      hint: { endpoint: sandbox().s3.endpoint },
      hasCachedRecord: true,
      defaults: { region: 'us-east-1', ehrBucket: 'ehr' },
      allowedHintHosts: [new URL(sandbox().s3.endpoint).host],
    });
    expect(decision.action).toBe('fail');
  });

  it('an unknown citizen: HRI_NOT_FOUND', async () => {
    expect(
      (await failure(client().lookupCloudLocation({ citizenId: base32Encode(randomBytes(16)), hriToken, masterKey })))
        .code,
    ).toBe('HRI_NOT_FOUND');
  });

  it("the wrong master key (another patient's QR): HRI_RESPONSE_INVALID", async () => {
    expect(
      (await failure(client().lookupCloudLocation({ citizenId, hriToken, masterKey: generateMasterKey() }))).code,
    ).toBe('HRI_RESPONSE_INVALID');
  });
});
