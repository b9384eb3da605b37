import { describe, expect, it } from 'vitest';
import {
  createChain,
  der,
  issueCertificate,
  issueCertificateDer,
  type IssueOptions,
  type TestCertificate,
} from '../../support/test-ca';
import { parseCertificate, verifyClinicianChain, type ChainResult } from '../../../main/pki';
import { profileViolation } from '../../../main/pki/profile';
import { errorMessage } from '../../../common/i18n/messages';

/**
 * RFC 5280 §4 certificate-profile rules (main/pki/profile.ts): for each rule a certificate that
 * keeps it and one that breaks it, checked on the certificate alone and through path validation.
 */
const DAY = 86_400_000;
const root = issueCertificate({
  subject: 'CN=Profile Root CA, O=Test PKI, C=GR',
  ca: true,
  key: ['p256', 500],
  notBefore: new Date(Date.now() - 10 * DAY),
  notAfter: new Date(Date.now() + 3650 * DAY),
});
const ca = issueCertificate({
  subject: 'CN=Profile Clinician CA, O=Test PKI, C=GR',
  ca: true,
  issuer: root,
  key: ['p256', 501],
});
let slot = 510;

const leaf = (o: Partial<IssueOptions> = {}): TestCertificate =>
  issueCertificate({
    subject: 'CN=Dr Profile, serialNumber=GR-MED-1, O=Test Hospital, C=GR',
    issuer: ca,
    key: ['p256', 502],
    ...o,
  });
const intermediate = (o: Partial<IssueOptions> = {}): TestCertificate =>
  issueCertificate({ subject: 'CN=Profile Sub CA, O=Test PKI, C=GR', ca: true, issuer: ca, key: ['p256', 503], ...o });
const anchor = (o: Partial<IssueOptions> = {}): TestCertificate =>
  issueCertificate({ subject: 'CN=Profile Other Root, O=Test PKI, C=GR', ca: true, key: ['p256', ++slot], ...o });

function verify(
  l: TestCertificate,
  intermediates: TestCertificate[] = [ca],
  anchors: TestCertificate[] = [root],
  time?: Date,
): ChainResult {
  return verifyClinicianChain({
    leaf: l.cert,
    intermediates: intermediates.map((c) => c.cert),
    trustAnchors: anchors.map((c) => c.cert),
    policy: { revocation: 'off' },
    ...(time ? { time } : {}),
  });
}
/** A clinician under a sub-CA made with `o`. */
function viaIntermediate(o: Partial<IssueOptions>): ChainResult {
  const i = intermediate(o);
  return verify(issueCertificate({ subject: 'CN=Dr Sub, O=Test Hospital, C=GR', issuer: i, key: ['p256', 504] }), [
    i,
    ca,
  ]);
}
/** A clinician (made with `o`) under the sub-CA `i`. */
function viaCa(i: TestCertificate, o: Partial<IssueOptions> = {}): ChainResult {
  return verify(
    issueCertificate({ subject: 'CN=Dr Sub, O=Test Hospital, C=GR', issuer: i, key: ['p256', 505], ...o }),
    [i, ca],
  );
}
const signer = { signsCertificates: true };
const endEntity = { signsCertificates: false };
const violation = (rule: string) => ({
  valid: false,
  code: 'PKI_PROFILE_VIOLATION',
  details: { rule: expect.stringContaining(rule) },
});

it('the reference chain keeps every rule', () => {
  expect(profileViolation(root.cert, signer)).toBeNull();
  expect(profileViolation(ca.cert, signer)).toBeNull();
  expect(profileViolation(leaf().cert, endEntity)).toBeNull();
  expect(verify(leaf())).toMatchObject({ valid: true });
});

describe('§4.1.2.2 serial number', () => {
  const serial = (hex: string) => leaf({ serialBytes: Buffer.from(hex, 'hex') });
  it('accepts a value of up to 20 octets, also one whose top bit needs a 21st (sign) octet in DER', () => {
    expect(verify(serial('7f' + 'ab'.repeat(19)))).toMatchObject({ valid: true });
    expect(verify(serial('00' + 'ff'.repeat(20)))).toMatchObject({ valid: true });
    expect(verify(serial('01'))).toMatchObject({ valid: true });
  });
  it('refuses a value longer than 20 octets (21 and 22 octets)', () => {
    expect(verify(serial('01' + 'ab'.repeat(20)))).toMatchObject(violation('§4.1.2.2'));
    expect(verify(serial('00' + 'ff'.repeat(21)))).toMatchObject(violation('§4.1.2.2'));
    expect(viaIntermediate({ serialBytes: Buffer.from('7f' + '00'.repeat(21), 'hex') })).toMatchObject(
      violation('§4.1.2.2'),
    );
    expect(viaIntermediate({ serialBytes: Buffer.from('7f' + '00'.repeat(19), 'hex') })).toMatchObject({ valid: true });
  });
  it('tolerates zero and negative serials (RFC 5280: users SHOULD handle them gracefully)', () => {
    expect(verify(serial('00'))).toMatchObject({ valid: true });
    expect(verify(serial('ff01'))).toMatchObject({ valid: true });
  });
});

describe('§4.1.2.4 issuer and §4.1.2.6 subject', () => {
  it('refuses an empty issuer name', () => {
    const self = issueCertificate({
      subject: '',
      issuerName: '',
      key: ['p256', 520],
      subjectAltNames: [{ email: 'dr@hospital.example' }],
      critical: { subjectAltNames: true },
    });
    expect(profileViolation(self.cert, endEntity)).toMatch(/§4\.1\.2\.4/);
    expect(verifyClinicianChain({ leaf: self.cert, trustAnchors: [self.cert] })).toMatchObject(violation('§4.1.2.4'));
    const named = issueCertificate({ subject: 'CN=Dr Named', key: ['p256', 520] });
    expect(verifyClinicianChain({ leaf: named.cert, trustAnchors: [named.cert] })).toMatchObject({ valid: true });
  });
  it('accepts an empty subject only with a critical subjectAltName', () => {
    const san = [{ email: 'dr@hospital.example' }];
    expect(verify(leaf({ subject: '', subjectAltNames: san, critical: { subjectAltNames: true } }))).toMatchObject({
      valid: true,
    });
    expect(verify(leaf({ subject: '', subjectAltNames: san }))).toMatchObject(
      violation('§4.1.2.6 empty subject with a non-critical subjectAltName'),
    );
    expect(verify(leaf({ subject: '' }))).toMatchObject(violation('§4.1.2.6 empty subject without subjectAltName'));
    // a critical SAN with a subject is allowed too
    expect(verify(leaf({ subjectAltNames: san, critical: { subjectAltNames: true } }))).toMatchObject({ valid: true });
  });
  it('refuses a CA with an empty subject', () => {
    const emptyCa = issueCertificate({
      subject: '',
      ca: true,
      issuer: ca,
      key: ['p256', 521],
      subjectAltNames: [{ dns: 'ca.example' }],
      critical: { subjectAltNames: true },
    });
    expect(profileViolation(emptyCa.cert, signer)).toMatch(/§4\.1\.2\.6 empty subject in a CA/);
    const emptyRoot = issueCertificate({
      subject: '',
      ca: true,
      key: ['p256', 522],
      subjectAltNames: [{ dns: 'root.example' }],
      critical: { subjectAltNames: true },
    });
    expect(profileViolation(emptyRoot.cert, signer)).toMatch(/§4\.1\.2\.4/); // self-signed: its issuer is empty too
  });
});

describe('§4.1.2.5 validity encoding', () => {
  it('either Time type is processed (the UTCTime/GeneralizedTime choice binds CAs, not relying parties); fractional seconds are refused', () => {
    expect(verify(leaf({ validityEncoding: { notBefore: 'utc', notAfter: 'utc' } }))).toMatchObject({ valid: true });
    const y2051 = leaf({ notAfter: new Date('2051-01-01T00:00:00Z') });
    expect(y2051.cert.validityEncoding.notAfter.type).toBe('GeneralizedTime');
    expect(verify(y2051)).toMatchObject({ valid: true });
    // "Conforming applications MUST be able to process validity dates that are encoded in either UTCTime or GeneralizedTime."
    const generalized = leaf({ validityEncoding: { notBefore: 'generalized', notAfter: 'generalized' } });
    expect(generalized.cert.validityEncoding.notBefore.type).toBe('GeneralizedTime');
    expect(verify(generalized)).toMatchObject({ valid: true });
    expect(
      verify(
        leaf({ notAfter: new Date('2051-01-01T00:00:00Z'), validityEncoding: { notAfter: 'generalized-fraction' } }),
      ),
    ).toMatchObject(violation('§4.1.2.5.2 notAfter has fractional seconds'));
    expect(verify(leaf({ validityEncoding: { notBefore: 'generalized-fraction' } }))).toMatchObject(
      violation('§4.1.2.5.2 notBefore'),
    );
  });
  it('validity is to the second: notAfter holds through its second, notBefore starts at it', () => {
    const nb = new Date(Math.floor(Date.now() / 1000) * 1000 - DAY);
    const na = new Date(nb.getTime() + 2 * DAY);
    const l = leaf({ notBefore: nb, notAfter: na });
    const at = (ms: number) =>
      verifyClinicianChain({
        leaf: l.cert,
        intermediates: [ca.cert],
        trustAnchors: [root.cert],
        time: new Date(ms),
        policy: { revocation: 'off', clockSkewSeconds: 0 },
      });
    expect(at(na.getTime())).toMatchObject({ valid: true });
    expect(at(na.getTime() + 5)).toMatchObject({ valid: true });
    expect(at(na.getTime() + 1000)).toMatchObject({ code: 'PKI_EXPIRED' });
    expect(at(nb.getTime())).toMatchObject({ valid: true });
    expect(at(nb.getTime() - 1)).toMatchObject({ code: 'PKI_NOT_YET_VALID' });
  });
});

describe('§4.1.2.1/§4.1.2.8/§4.1.2.9 version, unique identifiers, extensions', () => {
  it('unique identifiers are allowed in v2/v3 and refused in v1', () => {
    const v1 = leaf({ version: 1, uniqueIds: true });
    expect(v1.cert.version).toBe(1);
    expect(profileViolation(v1.cert, endEntity)).toMatch(/§4\.1\.2\.8/);
    expect(profileViolation(leaf({ version: 2, uniqueIds: true, authorityKeyId: false }).cert, endEntity)).not.toMatch(
      /§4\.1\.2\.8/,
    );
    expect(profileViolation(leaf({ uniqueIds: true }).cert, endEntity)).toBeNull();
  });
  it('extensions only in v3, each at most once, never an empty list (the parser refuses the certificate)', () => {
    const dupSan = { oid: '2.5.29.17', value: der.der(der.seq(der.ctx(2, 'a.example'))) };
    expect(() =>
      parseCertificate(
        issueCertificateDer({ subject: 'CN=Dr Dup', issuer: ca, key: ['p256', 530], extensions: [dupSan, dupSan] }),
      ),
    ).toThrow(expect.objectContaining({ code: 'PKI_MALFORMED_CERTIFICATE' }));
    expect(() =>
      parseCertificate(
        issueCertificateDer({ subject: 'CN=Dr Dup', issuer: ca, key: ['p256', 530], extensions: [dupSan] }),
      ),
    ).not.toThrow();
    expect(() =>
      parseCertificate(
        issueCertificateDer({
          subject: 'CN=Dr V1',
          issuer: ca,
          key: ['p256', 530],
          version: 1,
          extensionsInAnyVersion: true,
        }),
      ),
    ).toThrow(expect.objectContaining({ code: 'PKI_MALFORMED_CERTIFICATE' }));
    const v2 = issueCertificateDer({
      subject: 'CN=Dr V2',
      issuer: ca,
      key: ['p256', 530],
      version: 2,
      extensionsInAnyVersion: true,
    });
    expect(
      verifyClinicianChain({
        leaf: v2,
        intermediates: [ca.cert],
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ valid: false, code: 'PKI_MALFORMED_CERTIFICATE' });
  });
  it('§4.1.1.2 signatureAlgorithm must equal tbsCertificate.signature', () => {
    const mismatch = issueCertificateDer({ subject: 'CN=Dr Alg', issuer: ca, key: ['p256', 531], innerHash: 'sha384' });
    expect(
      verifyClinicianChain({
        leaf: mismatch,
        intermediates: [ca.cert],
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ valid: false, code: 'PKI_MALFORMED_CERTIFICATE' });
    const same = issueCertificateDer({ subject: 'CN=Dr Alg', issuer: ca, key: ['p256', 531], innerHash: 'sha256' });
    expect(
      verifyClinicianChain({
        leaf: same,
        intermediates: [ca.cert],
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ valid: true });
  });
});

describe('§4.2 criticality', () => {
  const aia = (critical: boolean) => ({
    oid: '1.3.6.1.5.5.7.1.1',
    critical,
    value: der.der(der.seq(der.seq(der.oid('1.3.6.1.5.5.7.48.2'), der.ctx(6, 'http://ca.example/ca.crt')))),
  });
  it('§4.2.1.1 authorityKeyIdentifier MUST be non-critical', () => {
    expect(verify(leaf({ critical: { authorityKeyId: true } }))).toMatchObject(
      violation('§4.2.1.1 authorityKeyIdentifier is critical'),
    );
    expect(verify(leaf(), [ca], [anchor({ critical: { authorityKeyId: true } })])).toMatchObject({ valid: false });
    expect(profileViolation(anchor({ critical: { authorityKeyId: true } }).cert, signer)).toMatch(/§4\.2\.1\.1/);
  });
  it('§4.2.1.2 subjectKeyIdentifier MUST be non-critical', () => {
    expect(verify(leaf({ critical: { subjectKeyId: true } }))).toMatchObject(
      violation('§4.2.1.2 subjectKeyIdentifier is critical'),
    );
    const r = anchor({ critical: { subjectKeyId: true } });
    const l = issueCertificate({ subject: 'CN=Dr Ski', issuer: r, key: ['p256', 540] });
    expect(verify(l, [], [r])).toMatchObject(violation('§4.2.1.2'));
  });
  it('§4.2.1.9 basicConstraints MUST be critical in a CA certificate that signs certificates (anchor included), MAY be either in an end entity', () => {
    expect(viaIntermediate({ basicConstraints: { ca: true, critical: false } })).toMatchObject(
      violation('§4.2.1.9 basicConstraints is not critical'),
    );
    const r = anchor({ basicConstraints: { ca: true, critical: false } });
    expect(verify(issueCertificate({ subject: 'CN=Dr Bc', issuer: r, key: ['p256', 541] }), [], [r])).toMatchObject(
      violation('§4.2.1.9 basicConstraints is not critical'),
    );
    expect(verify(leaf({ basicConstraints: { ca: false, critical: false } }))).toMatchObject({ valid: true });
    expect(verify(leaf({ basicConstraints: { ca: false, critical: true } }))).toMatchObject({ valid: true });
  });
  it('§4.2.1.10 nameConstraints MUST be critical', () => {
    const permitted = [{ email: 'hospital.example' }];
    const good = intermediate({ nameConstraints: { permitted } });
    expect(
      verify(
        issueCertificate({ subject: 'CN=Dr Nc, emailAddress=dr@hospital.example', issuer: good, key: ['p256', 542] }),
        [good, ca],
      ),
    ).toMatchObject({ valid: true });
    const nonCritical = intermediate({ nameConstraints: { permitted, critical: false } });
    expect(
      verify(
        issueCertificate({
          subject: 'CN=Dr Nc, emailAddress=dr@hospital.example',
          issuer: nonCritical,
          key: ['p256', 542],
        }),
        [nonCritical, ca],
      ),
    ).toMatchObject(violation('§4.2.1.10 nameConstraints is not critical'));
  });
  it('§4.2.1.11 policyConstraints and §4.2.1.14 inhibitAnyPolicy MUST be critical', () => {
    const sub = (o: Partial<IssueOptions>) => {
      const i = intermediate(o);
      return verify(issueCertificate({ subject: 'CN=Dr Pc', issuer: i, key: ['p256', 543] }), [i, ca]);
    };
    expect(sub({ policyConstraints: { inhibitPolicyMapping: 0 } })).toMatchObject({ valid: true });
    expect(
      sub({ policyConstraints: { inhibitPolicyMapping: 0 }, critical: { policyConstraints: false } }),
    ).toMatchObject(violation('§4.2.1.11'));
    expect(sub({ inhibitAnyPolicy: 0 })).toMatchObject({ valid: true });
    expect(sub({ inhibitAnyPolicy: 0, critical: { inhibitAnyPolicy: false } })).toMatchObject(violation('§4.2.1.14'));
  });
  it('§4.2.2.1 authorityInfoAccess MUST be non-critical', () => {
    expect(verify(leaf({ extensions: [aia(false)] }))).toMatchObject({ valid: true });
    expect(verify(leaf({ extensions: [aia(true)] }))).toMatchObject(violation('§4.2.2.1'));
  });
  it('an unrecognised critical extension is refused in the clinician, an intermediate and the trust anchor', () => {
    const unknown = { oid: '1.3.6.1.4.1.55738.666.1', critical: true, value: Buffer.from([0x05, 0x00]) };
    expect(verify(leaf({ extensions: [unknown] }))).toMatchObject({ code: 'PKI_UNKNOWN_CRITICAL_EXTENSION' });
    const r = anchor({ extensions: [unknown] });
    expect(verify(issueCertificate({ subject: 'CN=Dr Unk', issuer: r, key: ['p256', 544] }), [], [r])).toMatchObject({
      code: 'PKI_UNKNOWN_CRITICAL_EXTENSION',
    });
    const r2 = anchor({ extensions: [{ ...unknown, critical: false }] });
    expect(verify(issueCertificate({ subject: 'CN=Dr Unk', issuer: r2, key: ['p256', 544] }), [], [r2])).toMatchObject({
      valid: true,
    });
  });
});

describe('§4.2.1.1/§4.2.1.2 key identifiers', () => {
  it('authorityKeyIdentifier keyIdentifier is required except in a self-signed certificate', () => {
    expect(verify(leaf({ authorityKeyId: false }))).toMatchObject(
      violation('§4.2.1.1 authorityKeyIdentifier (keyIdentifier) missing'),
    );
    expect(verify(leaf({ authorityKeyIdWithoutKeyId: true }))).toMatchObject(violation('§4.2.1.1'));
    expect(viaIntermediate({ authorityKeyId: false })).toMatchObject(violation('§4.2.1.1'));
    const selfSigned = anchor({ authorityKeyId: false });
    expect(profileViolation(selfSigned.cert, signer)).toBeNull();
    expect(
      verify(issueCertificate({ subject: 'CN=Dr Aki', issuer: selfSigned, key: ['p256', 550] }), [], [selfSigned]),
    ).toMatchObject({ valid: true });
    // self-issued (same name) but signed by another key: not self-signed, so the AKI is required
    const rollover = issueCertificate({
      subject: root.subject,
      ca: true,
      issuer: root,
      key: ['p256', 551],
      authorityKeyId: false,
    });
    expect(rollover.cert.selfIssued).toBe(true);
    expect(profileViolation(rollover.cert, signer)).toMatch(/§4\.2\.1\.1/);
  });
  it('subjectKeyIdentifier is required in CA certificates (anchor included), not in end entities', () => {
    expect(verify(leaf({ subjectKeyId: false }))).toMatchObject({ valid: true });
    const noSki = intermediate({ subjectKeyId: false });
    expect(
      verify(issueCertificate({ subject: 'CN=Dr Ski', issuer: noSki, key: ['p256', 552] }), [noSki, ca]),
    ).toMatchObject(violation('§4.2.1.2 subjectKeyIdentifier missing'));
    const r = anchor({ subjectKeyId: false });
    expect(verify(issueCertificate({ subject: 'CN=Dr Ski', issuer: r, key: ['p256', 553] }), [], [r])).toMatchObject(
      violation('§4.2.1.2'),
    );
  });
});

describe('§4.2.1.3 keyUsage and §4.2.1.9 basicConstraints consistency', () => {
  it('at least one keyUsage bit', () => {
    expect(verify(leaf({ keyUsage: [] }))).toMatchObject(violation('§4.2.1.3 keyUsage with no bit set'));
    const r = anchor({ keyUsage: [] });
    expect(verify(issueCertificate({ subject: 'CN=Dr Ku', issuer: r, key: ['p256', 560] }), [], [r])).toMatchObject(
      violation('§4.2.1.3'),
    );
  });
  it('keyCertSign only with cA=TRUE', () => {
    expect(profileViolation(leaf({ keyUsage: ['digitalSignature', 'keyCertSign'] }).cert, endEntity)).toMatch(
      /§4\.2\.1\.3 keyCertSign without/,
    );
    expect(
      profileViolation(
        leaf({ basicConstraints: { ca: false }, keyUsage: ['digitalSignature', 'keyCertSign'] }).cert,
        endEntity,
      ),
    ).toMatch(/§4\.2\.1\.3/);
    expect(profileViolation(intermediate().cert, signer)).toBeNull();
    // As a clinician such a certificate is refused in so many words (PKI_CLINICIAN_IS_CA).
    expect(verify(leaf({ keyUsage: ['digitalSignature', 'keyCertSign'] }))).toMatchObject({
      code: 'PKI_CLINICIAN_IS_CA',
    });
  });
  it('a CA (trust anchor included) whose keyUsage lacks keyCertSign does not sign certificates', () => {
    const r = anchor({ keyUsage: ['cRLSign', 'digitalSignature'] });
    expect(verify(issueCertificate({ subject: 'CN=Dr Ku', issuer: r, key: ['p256', 561] }), [], [r])).toMatchObject({
      code: 'PKI_KEY_USAGE',
      details: { usage: 'keyCertSign' },
    });
    const noKu = anchor({ keyUsage: null });
    expect(
      verify(issueCertificate({ subject: 'CN=Dr Ku', issuer: noKu, key: ['p256', 562] }), [], [noKu]),
    ).toMatchObject({ valid: true });
  });
  it('a v3 trust anchor without basicConstraints cA does not sign certificates; a v1 anchor is a CA by configuration', () => {
    const r = anchor({ basicConstraints: null });
    expect(verify(issueCertificate({ subject: 'CN=Dr Bc', issuer: r, key: ['p256', 563] }), [], [r])).toMatchObject({
      code: 'PKI_NOT_A_CA',
    });
    const v1 = anchor({ version: 1 });
    expect(v1.cert.version).toBe(1);
    expect(
      verify(issueCertificate({ subject: 'CN=Dr V1 root', issuer: v1, key: ['p256', 564] }), [], [v1]),
    ).toMatchObject({ valid: true });
  });
  it('pathLenConstraint only with cA and keyCertSign', () => {
    expect(profileViolation(leaf({ basicConstraints: { ca: false, pathLen: 0 } }).cert, endEntity)).toMatch(
      /§4\.2\.1\.9 pathLenConstraint/,
    );
    expect(verify(leaf({ basicConstraints: { ca: false, pathLen: 0 } }))).toMatchObject(
      violation('§4.2.1.9 pathLenConstraint'),
    );
    const noCertSign = intermediate({ pathLen: 0, keyUsage: ['cRLSign'] });
    expect(profileViolation(noCertSign.cert, signer)).toMatch(/§4\.2\.1\.9 pathLenConstraint/);
    expect(
      verify(issueCertificate({ subject: 'CN=Dr Pl', issuer: noCertSign, key: ['p256', 565] }), [noCertSign, ca]),
    ).toMatchObject({ valid: false });
    const good = intermediate({ pathLen: 0 });
    expect(
      verify(issueCertificate({ subject: 'CN=Dr Pl', issuer: good, key: ['p256', 566] }), [good, ca]),
    ).toMatchObject({ valid: true });
    const noKu = intermediate({ pathLen: 0, keyUsage: null });
    expect(
      verify(issueCertificate({ subject: 'CN=Dr Pl', issuer: noKu, key: ['p256', 567] }), [noKu, ca]),
    ).toMatchObject({ valid: true });
  });
  it('§4.2.1.10 name constraints only in a CA certificate', () => {
    expect(verify(leaf({ nameConstraints: { permitted: [{ dns: 'hospital.example' }] } }))).toMatchObject(
      violation('§4.2.1.10 nameConstraints in a certificate that is not a CA'),
    );
  });
});

describe('§4.2.1.6 subjectAltName name forms, §4.2.1.10 iPAddress constraints, §4.2.1.13 distribution points', () => {
  const sanExt = (...names: ReturnType<typeof der.ctx>[]) => ({ oid: '2.5.29.17', value: der.der(der.seq(...names)) });
  it('accepts well-formed names and refuses empty rfc822Name/dNSName, a relative URI, an iPAddress of neither 4 nor 16 octets', () => {
    expect(
      verify(
        leaf({
          subjectAltNames: [
            { email: 'dr@hospital.example' },
            { dns: 'ws.hospital.example' },
            { uri: 'urn:uuid:0a1b' },
            { ip: '10.0.0.1' },
            { ip: '2001:db8::1' },
          ],
        }),
      ),
    ).toMatchObject({ valid: true });
    expect(verify(leaf({ extensions: [sanExt(der.ctx(1, ''))] }))).toMatchObject(
      violation('§4.2.1.6 empty rfc822Name'),
    );
    expect(verify(leaf({ extensions: [sanExt(der.ctx(2, ' '))] }))).toMatchObject(violation('§4.2.1.6 empty dNSName'));
    expect(verify(leaf({ extensions: [sanExt(der.ctx(6, '/relative/path'))] }))).toMatchObject(
      violation('§4.2.1.6 uniformResourceIdentifier'),
    );
    expect(verify(leaf({ extensions: [sanExt(der.ctx(7, '\x0a\x00\x00'))] }))).toMatchObject(
      violation('§4.2.1.6 iPAddress of 3 octets'),
    );
  });
  it('an iPAddress name constraint is 8 or 32 octets', () => {
    const ncExt = (ip: string) => ({
      oid: '2.5.29.30',
      critical: true,
      value: der.der(der.seq(der.ctx(0, [der.seq(der.ctx(7, ip))]))),
    });
    const good = intermediate({ extensions: [ncExt('\x0a\x00\x00\x00\xff\x00\x00\x00')] });
    expect(viaCa(good, { subjectAltNames: [{ ip: '10.1.2.3' }] })).toMatchObject({ valid: true });
    const bad = intermediate({ extensions: [ncExt('\x0a\x00\x00\x00')] });
    expect(viaCa(bad, { subjectAltNames: [{ ip: '10.1.2.3' }] })).toMatchObject(
      violation('§4.2.1.10 iPAddress constraint of 4 octets'),
    );
  });
  it('a distribution point names where (distributionPoint or cRLIssuer), not only reasons', () => {
    const onlyReasons = { oid: '2.5.29.31', value: der.der(der.seq(der.seq(der.ctx(1, '\x07\x80')))) };
    expect(verify(leaf({ extensions: [onlyReasons] }))).toMatchObject(violation('§4.2.1.13'));
    expect(verify(leaf({ crlDistributionPoints: ['http://crl.hospital.example/ca.crl'] }))).toMatchObject({
      valid: true,
    });
  });
});

it('the refusal is a clear message in English and Greek', () => {
  const r = verify(leaf({ critical: { authorityKeyId: true } }));
  expect(errorMessage({ code: r.code as 'PKI_PROFILE_VIOLATION', details: r.details })).toBe(
    'A certificate breaks the X.509 certificate profile (RFC 5280, §4.2.1.1 authorityKeyIdentifier is critical: CN=Dr Profile, serialNumber=GR-MED-1, O=Test Hospital, C=GR).',
  );
  expect(errorMessage({ code: r.code as 'PKI_PROFILE_VIOLATION', details: r.details }, 'el')).toContain(
    'RFC 5280, §4.2.1.1',
  );
});

it('createChain defaults keep the profile for every key type', () => {
  for (const key of ['rsa2048', 'p256', 'p384', 'ed25519'] as const) {
    const c = createChain({ levels: 4, key, slot: 50 });
    expect(
      verifyClinicianChain({
        leaf: c.leaf.cert,
        intermediates: c.intermediates.map((x) => x.cert),
        trustAnchors: [c.root.cert],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ valid: true });
  }
});
