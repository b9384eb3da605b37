import { describe, expect, it } from 'vitest';
import { assumeRoleCredentialProvider } from '../../../main/cloud/credentials';
import {
  failure,
  patientStore,
  readAll,
  sandbox,
  uniqueKey,
  workstationCredentials,
  workstationStore,
} from './helpers';

describe('STS AssumeRole on the real RGW: the role policy is the whole of what the workstation can do', () => {
  it('issues short-lived session credentials', async () => {
    const before = Date.now();
    const c = await workstationCredentials().get();
    expect(c.accessKey).not.toBe(sandbox().workstation.accessKey);
    expect(c.sessionToken).toBeTruthy();
    const lifetime = (c.expiresAt as Date).getTime() - before;
    expect(lifetime).toBeGreaterThan(10 * 60 * 1000);
    expect(lifetime).toBeLessThanOrEqual(16 * 60 * 1000);
  });

  it('reads ehr, writes pending and audit, and is denied writing ehr', async () => {
    const { buckets } = sandbox();
    const key = uniqueKey('scope');
    await patientStore().put(buckets.ehr, key, Buffer.from('record bytes'));

    const store = workstationStore();
    expect((await readAll(await store.getObject(buckets.ehr, key))).toString()).toBe('record bytes');
    expect((await store.stat(buckets.ehr, key)).size).toBe(12);

    await store.put(buckets.pending, key, Buffer.from('an addition'), { contentType: 'application/octet-stream' });
    await store.put(buckets.audit, key, Buffer.from('audit batch'));

    const denied = await failure(store.put(buckets.ehr, key, Buffer.from('overwrite')));
    expect(denied.code).toBe('CLOUD_ACCESS_DENIED');
    // And the record is untouched.
    expect((await readAll(await store.getObject(buckets.ehr, key))).toString()).toBe('record bytes');
  });

  it('the workstation account itself has no bucket rights (only the role does)', async () => {
    const s = sandbox();
    const { staticCredentialProvider } = await import('../../../main/cloud/credentials');
    const direct = workstationStore(staticCredentialProvider(s.workstation, 'training'));
    const e = await failure(direct.stat(s.buckets.ehr, 'anything'));
    expect(['CLOUD_ACCESS_DENIED', 'CLOUD_OBJECT_MISSING']).toContain(e.code);
    expect((await failure(direct.put(s.buckets.pending, uniqueKey('direct'), Buffer.from('x')))).code).toBe(
      'CLOUD_ACCESS_DENIED',
    );
  });

  it('a wrong workstation secret is CLOUD_CREDENTIALS_FAILED', async () => {
    const s = sandbox();
    const p = assumeRoleCredentialProvider({
      stsEndpoint: s.workstation.stsEndpoint,
      accessKey: s.workstation.accessKey,
      secretKey: 'wrong-secret',
      roleArn: s.workstation.roleArn,
      roleSessionName: 'hcp-it',
      durationSeconds: 900,
      region: s.s3.region,
    });
    expect((await failure(p.get())).code).toBe('CLOUD_CREDENTIALS_FAILED');
  });

  it('a role the workstation may not assume is CLOUD_CREDENTIALS_FAILED', async () => {
    const s = sandbox();
    const p = assumeRoleCredentialProvider({
      stsEndpoint: s.workstation.stsEndpoint,
      accessKey: s.workstation.accessKey,
      secretKey: s.workstation.secretKey,
      roleArn: 'arn:aws:iam:::role/no-such-role',
      roleSessionName: 'hcp-it',
      durationSeconds: 900,
      region: s.s3.region,
    });
    expect((await failure(p.get())).code).toBe('CLOUD_CREDENTIALS_FAILED');
  });
});
