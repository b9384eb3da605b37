import { describe, expect, it } from 'vitest';
import { createChain, issueCertificate, type TestCertificate } from '../../support/test-ca';
import { verifyClinicianChain } from '../../../main/pki';
import { verifyChain } from './fixtures';

const P1 = '1.3.6.1.4.1.99999.1.1';
const P2 = '1.3.6.1.4.1.99999.1.2';
const ANY = '2.5.29.32.0';

describe.each(['rsa2048', 'p256'] as const)('certificate policies (%s)', (key) => {
  it('requires the configured policy on every certificate of the path', () => {
    const good = createChain({
      levels: 3,
      key,
      root: { policies: [P1] },
      intermediate: { policies: [P1] },
      leaf: { policies: [P1] },
    });
    expect(verifyChain(good, { policy: { requiredPolicy: P1 } })).toMatchObject({ valid: true, policies: [P1] });
    expect(verifyChain(good, { policy: { requiredPolicy: P2 } })).toMatchObject({
      valid: false,
      code: 'PKI_POLICY_REQUIRED',
    });
    const leafMissing = createChain({ levels: 3, key, intermediate: { policies: [P1] } });
    expect(verifyChain(leafMissing, { policy: { requiredPolicy: P1 } })).toMatchObject({
      valid: false,
      code: 'PKI_POLICY_REQUIRED',
    });
    const caMissing = createChain({ levels: 3, key, leaf: { policies: [P1] } });
    expect(verifyChain(caMissing, { policy: { requiredPolicy: P1 } })).toMatchObject({
      valid: false,
      code: 'PKI_POLICY_REQUIRED',
    });
  });

  it('lets anyPolicy in a CA stand for the required policy, unless inhibitAnyPolicy', () => {
    const viaAny = createChain({ levels: 3, key, intermediate: { policies: [ANY] }, leaf: { policies: [P1] } });
    expect(verifyChain(viaAny, { policy: { requiredPolicy: P1 } })).toMatchObject({ valid: true });
    const root = issueCertificate({ subject: 'CN=Policy Root', ca: true, key: [key, 400] });
    const ca1 = issueCertificate({
      subject: 'CN=Policy CA 1',
      ca: true,
      issuer: root,
      key: [key, 401],
      policies: [ANY],
      inhibitAnyPolicy: 0,
    });
    const ca2 = issueCertificate({
      subject: 'CN=Policy CA 2',
      ca: true,
      issuer: ca1,
      key: [key, 402],
      policies: [ANY],
    });
    const leaf = issueCertificate({ subject: 'CN=Dr Policy', issuer: ca2, key: [key, 403], policies: [P1] });
    const run = (l: TestCertificate, cas: TestCertificate[], requiredPolicy: string | null) =>
      verifyClinicianChain({
        leaf: l.cert,
        intermediates: cas.map((c) => c.cert),
        trustAnchors: [root.cert],
        policy: { revocation: 'off', requiredPolicy },
      });
    expect(run(leaf, [ca1, ca2], P1)).toMatchObject({ valid: false, code: 'PKI_POLICY_REQUIRED' });
    // the anchor's own extensions are not part of policy processing (RFC 5280 §6.1)
    const leaf1 = issueCertificate({ subject: 'CN=Dr Policy', issuer: ca1, key: [key, 403], policies: [P1] });
    expect(run(leaf1, [ca1], P1)).toMatchObject({ valid: true });
  });

  it('needs no policy when none is required, unless a CA sets requireExplicitPolicy', () => {
    expect(verifyChain(createChain({ levels: 3, key }))).toMatchObject({ valid: true });
    const explicit = createChain({ levels: 3, key, intermediate: { policyConstraints: { requireExplicitPolicy: 0 } } });
    expect(verifyChain(explicit)).toMatchObject({ valid: false, code: 'PKI_POLICY_REQUIRED' });
    const explicitOk = createChain({
      levels: 3,
      key,
      intermediate: { policies: [P2], policyConstraints: { requireExplicitPolicy: 0 } },
      leaf: { policies: [P2] },
    });
    expect(verifyChain(explicitOk)).toMatchObject({ valid: true });
  });

  it('follows policy mappings, unless inhibited', () => {
    const simple = createChain({
      levels: 3,
      key,
      intermediate: { policies: [P1], policyMappings: [[P1, P2]] },
      leaf: { policies: [P2] },
    });
    expect(verifyChain(simple, { policy: { requiredPolicy: P1 } })).toMatchObject({ valid: true });
    const root = issueCertificate({ subject: 'CN=Mapping Root', ca: true, key: [key, 410] });
    const ca1 = issueCertificate({
      subject: 'CN=Mapping CA 1',
      ca: true,
      issuer: root,
      key: [key, 411],
      policies: [P1],
      policyConstraints: { inhibitPolicyMapping: 0 },
    });
    const ca2 = issueCertificate({
      subject: 'CN=Mapping CA 2',
      ca: true,
      issuer: ca1,
      key: [key, 412],
      policies: [P1],
      policyMappings: [[P1, P2]],
    });
    const leaf = issueCertificate({ subject: 'CN=Dr Mapped', issuer: ca2, key: [key, 413], policies: [P2] });
    const r = verifyClinicianChain({
      leaf: leaf.cert,
      intermediates: [ca1.cert, ca2.cert],
      trustAnchors: [root.cert],
      policy: { revocation: 'off', requiredPolicy: P1 },
    });
    expect(r).toMatchObject({ valid: false, code: 'PKI_POLICY_REQUIRED' });
    const mapsAny = createChain({
      levels: 3,
      key,
      intermediate: { policies: [P1], policyMappings: [[ANY, P2]] },
      leaf: { policies: [P2] },
    });
    expect(verifyChain(mapsAny)).toMatchObject({ valid: false, code: 'PKI_POLICY_REQUIRED' });
  });
});
