import { describe, expect, it } from 'vitest';
import { createChain, issueCertificate, type GeneralNameSpec } from '../../support/test-ca';
import { verifyClinicianChain } from '../../../main/pki';
import { verifyChain } from './fixtures';

function withConstraints(
  nc: { permitted?: GeneralNameSpec[]; excluded?: GeneralNameSpec[] },
  leaf: { subject?: string; subjectAltNames?: GeneralNameSpec[] },
  key: 'rsa2048' | 'p256' = 'p256',
) {
  return verifyChain(
    createChain({
      levels: 3,
      key,
      intermediate: { nameConstraints: nc },
      leaf: { subject: leaf.subject ?? 'CN=Dr Ann, O=General Hospital, C=GR', subjectAltNames: leaf.subjectAltNames },
    }),
  );
}

describe('name constraints', () => {
  it('directoryName: permitted subtree', () => {
    const nc = { permitted: [{ dn: 'O=General Hospital, C=GR' }] };
    expect(withConstraints(nc, { subject: 'CN=Dr Ann, O=General Hospital, C=GR' })).toMatchObject({ valid: true });
    expect(withConstraints(nc, { subject: 'CN=Dr Ann, O=Other Hospital, C=GR' })).toMatchObject({
      valid: false,
      code: 'PKI_NAME_CONSTRAINTS',
    });
    expect(withConstraints(nc, { subject: 'CN=Dr Ann, O=general   hospital, C=GR' })).toMatchObject({ valid: true });
  });

  it('directoryName: excluded subtree', () => {
    const nc = { excluded: [{ dn: 'OU=Suspended, O=General Hospital, C=GR' }] };
    expect(withConstraints(nc, { subject: 'CN=Dr Ann, OU=Suspended, O=General Hospital, C=GR' })).toMatchObject({
      code: 'PKI_NAME_CONSTRAINTS',
    });
    expect(withConstraints(nc, { subject: 'CN=Dr Ann, OU=Emergency, O=General Hospital, C=GR' })).toMatchObject({
      valid: true,
    });
  }, 20_000);

  it('rfc822Name: host, domain and mailbox forms, in SAN and in the subject emailAddress', () => {
    expect(
      withConstraints({ permitted: [{ email: 'hospital.gr' }] }, { subjectAltNames: [{ email: 'ann@hospital.gr' }] }),
    ).toMatchObject({ valid: true });
    expect(
      withConstraints(
        { permitted: [{ email: 'hospital.gr' }] },
        { subjectAltNames: [{ email: 'ann@mail.hospital.gr' }] },
      ),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    expect(
      withConstraints(
        { permitted: [{ email: '.hospital.gr' }] },
        { subjectAltNames: [{ email: 'ann@mail.hospital.gr' }] },
      ),
    ).toMatchObject({ valid: true });
    expect(
      withConstraints(
        { permitted: [{ email: 'ann@hospital.gr' }] },
        { subjectAltNames: [{ email: 'bob@hospital.gr' }] },
      ),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    expect(
      withConstraints({ excluded: [{ email: 'evil.example' }] }, { subjectAltNames: [{ email: 'x@evil.example' }] }),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    expect(
      withConstraints(
        { permitted: [{ email: 'hospital.gr' }] },
        { subject: 'CN=Dr Ann, emailAddress=ann@elsewhere.gr, O=General Hospital, C=GR' },
      ),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    expect(
      withConstraints(
        { permitted: [{ email: 'hospital.gr' }] },
        { subject: 'CN=Dr Ann, emailAddress=ann@hospital.gr, O=General Hospital, C=GR' },
      ),
    ).toMatchObject({ valid: true });
  }, 20_000);

  it('dNSName: permitted and excluded subtrees on label boundaries', () => {
    expect(
      withConstraints({ permitted: [{ dns: 'hospital.gr' }] }, { subjectAltNames: [{ dns: 'ws1.hospital.gr' }] }),
    ).toMatchObject({ valid: true });
    expect(
      withConstraints({ permitted: [{ dns: 'hospital.gr' }] }, { subjectAltNames: [{ dns: 'evilhospital.gr' }] }),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    expect(
      withConstraints({ excluded: [{ dns: 'lab.hospital.gr' }] }, { subjectAltNames: [{ dns: 'a.lab.hospital.gr' }] }),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    // a permitted dNSName subtree does not constrain a name of another form
    expect(
      withConstraints({ permitted: [{ dns: 'hospital.gr' }] }, { subjectAltNames: [{ email: 'ann@anywhere.gr' }] }),
    ).toMatchObject({ valid: true });
  }, 20_000);

  it('URI and IP address subtrees', () => {
    expect(
      withConstraints(
        { permitted: [{ uri: '.hospital.gr' }] },
        { subjectAltNames: [{ uri: 'https://id.hospital.gr/ann' }] },
      ),
    ).toMatchObject({ valid: true });
    expect(
      withConstraints({ permitted: [{ uri: 'hospital.gr' }] }, { subjectAltNames: [{ uri: 'https://other.gr/ann' }] }),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    expect(
      withConstraints({ permitted: [{ uri: 'hospital.gr' }] }, { subjectAltNames: [{ uri: 'urn:uuid:1234' }] }),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
    expect(
      withConstraints({ permitted: [{ ip: '10.1.0.0/16' }] }, { subjectAltNames: [{ ip: '10.1.2.3' }] }),
    ).toMatchObject({ valid: true });
    expect(
      withConstraints({ permitted: [{ ip: '10.1.0.0/16' }] }, { subjectAltNames: [{ ip: '10.2.2.3' }] }),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS' });
  }, 20_000);

  it('applies constraints of the root and of every CA above (intersection), for RSA too', () => {
    const c = createChain({
      levels: 4,
      key: 'rsa2048',
      root: { nameConstraints: { permitted: [{ dn: 'C=GR' }] } },
      intermediate: { subject: 'CN=NC CA, O=General Hospital, C=GR' },
      leaf: { subject: 'CN=Dr Ann, O=General Hospital, C=CY' },
    });
    expect(verifyChain(c)).toMatchObject({ valid: false, code: 'PKI_NAME_CONSTRAINTS' });
  });

  it('constrains CA certificates below the constraining CA', () => {
    const root = issueCertificate({
      subject: 'CN=NC Root, C=GR',
      ca: true,
      key: ['p256', 300],
      nameConstraints: { permitted: [{ dn: 'O=Allowed, C=GR' }] },
    });
    const ca = issueCertificate({ subject: 'CN=Rogue CA, O=Rogue, C=GR', ca: true, issuer: root, key: ['p256', 301] });
    const leaf = issueCertificate({ subject: 'CN=Dr X, O=Allowed, C=GR', issuer: ca, key: ['p256', 302] });
    expect(
      verifyClinicianChain({
        leaf: leaf.cert,
        intermediates: [ca.cert],
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ code: 'PKI_NAME_CONSTRAINTS', details: { subject: ca.subject } });
  });
});
