import { describe, expect, it } from 'vitest';
import { issueCertificate, createChain } from '../../support/test-ca';
import { verifyClinicianChain } from '../../../main/pki';
import { errorMessage } from '../../../common/i18n/messages';
import { DAY, KEYS, LEVELS, verifyChain } from './fixtures';

/** One test per rule, valid and invalid, for RSA and ECDSA chains of 1-3 levels below the root. */
describe.each(KEYS)('path validation with %s keys', (key) => {
  it.each(LEVELS)('accepts a valid chain of %i certificates, with chain subjects from the clinician up', (levels) => {
    const c = createChain({ levels, key });
    const r = verifyChain(c, { withCrls: true });
    expect(r).toMatchObject({ valid: true, code: 'OK', warnings: [] });
    expect(r.chain).toEqual([c.leaf.subject, ...c.intermediates.map((i) => i.subject).reverse(), c.root.subject]);
  });

  it.each(LEVELS)('rejects a bad signature on the clinician certificate (%i levels)', (levels) => {
    const c = createChain({ levels, key, leaf: { corruptSignature: true } });
    expect(verifyChain(c)).toMatchObject({
      valid: false,
      code: 'PKI_SIGNATURE_INVALID',
      details: { subject: c.leaf.subject },
    });
  });

  it('rejects a bad signature on an intermediate', () => {
    const c = createChain({ levels: 3, key, intermediate: { corruptSignature: true } });
    expect(verifyChain(c)).toMatchObject({
      valid: false,
      code: 'PKI_SIGNATURE_INVALID',
      details: { subject: c.intermediates[0]!.subject },
    });
  });

  it('rejects a certificate signed by a different key under the right issuer name', () => {
    const c = createChain({ levels: 3, key });
    const impostor = issueCertificate({ subject: c.intermediates[0]!.subject, ca: true, key: [key, 77] });
    const leaf = issueCertificate({ subject: 'CN=Mallory', issuer: impostor, key: [key, 78] });
    const r = verifyClinicianChain({
      leaf: leaf.cert,
      intermediates: [c.intermediates[0]!.cert],
      trustAnchors: [c.root.cert],
      policy: { revocation: 'off' },
    });
    expect(r).toMatchObject({ valid: false, code: 'PKI_SIGNATURE_INVALID' });
  });

  it('rejects an unknown issuer', () => {
    const c = createChain({ levels: 3, key });
    const r = verifyClinicianChain({ leaf: c.leaf.cert, trustAnchors: [c.root.cert], policy: { revocation: 'off' } });
    expect(r).toMatchObject({
      valid: false,
      code: 'PKI_NO_PATH_TO_TRUST_ANCHOR',
      details: { subject: c.intermediates[0]!.subject },
    });
  });

  it('applies validity periods to every certificate, with the clock-skew tolerance', () => {
    const now = Date.now();
    const expiredLeaf = createChain({ levels: 2, key, leaf: { notAfter: new Date(now - 600_000) } });
    expect(verifyChain(expiredLeaf)).toMatchObject({ valid: false, code: 'PKI_EXPIRED' });
    expect(verifyChain(expiredLeaf, { policy: { clockSkewSeconds: 900 } })).toMatchObject({ valid: true });
    const futureLeaf = createChain({ levels: 2, key, leaf: { notBefore: new Date(now + 600_000) } });
    expect(verifyChain(futureLeaf)).toMatchObject({ valid: false, code: 'PKI_NOT_YET_VALID' });
    expect(verifyChain(futureLeaf, { policy: { clockSkewSeconds: 900 } })).toMatchObject({ valid: true });
    const expiredIntermediate = createChain({
      levels: 3,
      key,
      intermediate: { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) },
    });
    expect(verifyChain(expiredIntermediate)).toMatchObject({
      valid: false,
      code: 'PKI_EXPIRED',
      details: { subject: expiredIntermediate.intermediates[0]!.subject },
    });
    const expiredRoot = createChain({
      levels: 2,
      key,
      root: { notBefore: new Date(now - 10 * DAY), notAfter: new Date(now - DAY) },
    });
    expect(verifyChain(expiredRoot)).toMatchObject({ valid: false, code: 'PKI_EXPIRED' });
  });

  it('verifies at a given time', () => {
    const c = createChain({ levels: 3, key });
    expect(verifyChain(c, { time: new Date(Date.now() + 400 * DAY) })).toMatchObject({ code: 'PKI_EXPIRED' });
    expect(verifyChain(c, { time: new Date(Date.now() - 2 * DAY) })).toMatchObject({ code: 'PKI_NOT_YET_VALID' });
  });

  it('requires basicConstraints cA on intermediates', () => {
    const missing = createChain({ levels: 3, key, intermediate: { basicConstraints: null } });
    expect(verifyChain(missing)).toMatchObject({ valid: false, code: 'PKI_NOT_A_CA' });
    const notCa = createChain({ levels: 3, key, intermediate: { basicConstraints: { ca: false } } });
    expect(verifyChain(notCa)).toMatchObject({ valid: false, code: 'PKI_NOT_A_CA' });
    // RFC 5280 §4.2.1.9: critical in a CA certificate whose key verifies certificate signatures.
    const nonCritical = createChain({
      levels: 3,
      key,
      intermediate: { basicConstraints: { ca: true, critical: false } },
    });
    expect(verifyChain(nonCritical)).toMatchObject({
      valid: false,
      code: 'PKI_PROFILE_VIOLATION',
      details: { rule: expect.stringContaining('§4.2.1.9') },
    });
  });

  it('enforces pathLenConstraint (root and intermediates)', () => {
    expect(verifyChain(createChain({ levels: 3, key, root: { pathLen: 0 } }))).toMatchObject({
      valid: false,
      code: 'PKI_PATH_LENGTH_EXCEEDED',
    });
    expect(verifyChain(createChain({ levels: 4, key, root: { pathLen: 1 } }))).toMatchObject({
      valid: false,
      code: 'PKI_PATH_LENGTH_EXCEEDED',
    });
    expect(verifyChain(createChain({ levels: 4, key, root: { pathLen: 2 } }))).toMatchObject({ valid: true });
    expect(verifyChain(createChain({ levels: 4, key, intermediate: { pathLen: 0 } }))).toMatchObject({
      valid: false,
      code: 'PKI_PATH_LENGTH_EXCEEDED',
    });
    expect(verifyChain(createChain({ levels: 3, key, intermediate: { pathLen: 0 } }))).toMatchObject({ valid: true });
  });

  it('requires keyCertSign on CAs and digitalSignature on the clinician certificate', () => {
    expect(
      verifyChain(createChain({ levels: 3, key, intermediate: { keyUsage: ['cRLSign', 'digitalSignature'] } })),
    ).toMatchObject({ valid: false, code: 'PKI_KEY_USAGE' });
    expect(verifyChain(createChain({ levels: 3, key, intermediate: { keyUsage: null } }))).toMatchObject({
      valid: true,
    });
    expect(verifyChain(createChain({ levels: 3, key, leaf: { keyUsage: ['keyEncipherment'] } }))).toMatchObject({
      valid: false,
      code: 'PKI_KEY_USAGE',
      details: { usage: 'digitalSignature' },
    });
    expect(verifyChain(createChain({ levels: 3, key, leaf: { keyUsage: null } }))).toMatchObject({ valid: true });
  });

  it('refuses a clinician certificate that is a CA (cA=TRUE) or may sign certificates (keyCertSign)', () => {
    const asCa = createChain({
      levels: 3,
      key,
      leaf: { basicConstraints: { ca: true }, keyUsage: ['digitalSignature'] },
    });
    expect(verifyChain(asCa)).toMatchObject({
      valid: false,
      code: 'PKI_CLINICIAN_IS_CA',
      details: { subject: asCa.leaf.subject, problem: 'cA=TRUE' },
    });
    const certSign = createChain({ levels: 3, key, leaf: { keyUsage: ['digitalSignature', 'keyCertSign'] } });
    expect(verifyChain(certSign)).toMatchObject({
      valid: false,
      code: 'PKI_CLINICIAN_IS_CA',
      details: { problem: 'keyCertSign' },
    });
    // Whatever the other rules say (revocation hard-fail with CRLs, any EKU), still refused.
    expect(verifyChain(asCa, { withCrls: true, policy: { eku: 'any' } })).toMatchObject({
      valid: false,
      code: 'PKI_CLINICIAN_IS_CA',
    });
    // An explicit cA=FALSE end entity is a clinician like any other.
    expect(verifyChain(createChain({ levels: 3, key, leaf: { basicConstraints: { ca: false } } }))).toMatchObject({
      valid: true,
    });
    // A CA "clinician" that issued a certificate of its own: neither signs in.
    const issued = issueCertificate({
      subject: 'CN=Dr Minted, O=Test Hospital, C=GR',
      issuer: asCa.leaf,
      key: [key, 99],
    });
    const r = verifyClinicianChain({
      leaf: issued.cert,
      intermediates: [asCa.leaf.cert, ...asCa.intermediates.map((c) => c.cert)],
      trustAnchors: [asCa.root.cert],
      policy: { revocation: 'off' },
    });
    expect(r.valid).toBe(false);
    expect(errorMessage({ code: 'PKI_CLINICIAN_IS_CA', details: { subject: 'CN=X', problem: 'cA=TRUE' } })).toContain(
      'certification authority',
    );
    expect(
      errorMessage({ code: 'PKI_CLINICIAN_IS_CA', details: { subject: 'CN=X', problem: 'cA=TRUE' } }, 'el'),
    ).toContain('αρχής πιστοποίησης');
  });

  it('requires the configured extended key usage (clientAuth by default, an OID, or any)', () => {
    const noEku = createChain({ levels: 2, key, leaf: { extKeyUsage: null } });
    expect(verifyChain(noEku)).toMatchObject({ valid: false, code: 'PKI_EXTENDED_KEY_USAGE' });
    expect(verifyChain(noEku, { policy: { eku: 'any' } })).toMatchObject({ valid: true });
    const serverOnly = createChain({ levels: 2, key, leaf: { extKeyUsage: ['1.3.6.1.5.5.7.3.1'] } });
    expect(verifyChain(serverOnly)).toMatchObject({ valid: false, code: 'PKI_EXTENDED_KEY_USAGE' });
    const custom = createChain({ levels: 2, key, leaf: { extKeyUsage: ['1.2.300.1.5'] } });
    expect(verifyChain(custom, { policy: { eku: '1.2.300.1.5' } })).toMatchObject({ valid: true });
    expect(verifyChain(custom)).toMatchObject({ valid: false, code: 'PKI_EXTENDED_KEY_USAGE' });
  });

  it('rejects unknown critical extensions and accepts unknown non-critical ones', () => {
    const value = Buffer.from([0x05, 0x00]);
    expect(
      verifyChain(createChain({ levels: 3, key, leaf: { extensions: [{ oid: '1.2.3.4.5', critical: true, value }] } })),
    ).toMatchObject({ valid: false, code: 'PKI_UNKNOWN_CRITICAL_EXTENSION' });
    expect(
      verifyChain(
        createChain({ levels: 3, key, intermediate: { extensions: [{ oid: '1.2.3.4.5', critical: true, value }] } }),
      ),
    ).toMatchObject({ valid: false, code: 'PKI_UNKNOWN_CRITICAL_EXTENSION' });
    expect(
      verifyChain(
        createChain({ levels: 3, key, leaf: { extensions: [{ oid: '1.2.3.4.5', critical: false, value }] } }),
      ),
    ).toMatchObject({ valid: true });
    const roleExt = createChain({
      levels: 2,
      key,
      leaf: { extensions: [{ oid: '1.2.3.4.6', critical: true, value }] },
    });
    expect(verifyChain(roleExt, { policy: { understoodExtensions: ['1.2.3.4.6'] } })).toMatchObject({ valid: true });
  });

  it('rejects SHA-1 signatures', () => {
    const c = createChain({ levels: 3, key, leaf: { hash: 'sha1' } });
    expect(verifyChain(c)).toMatchObject({ valid: false, code: 'PKI_WEAK_ALGORITHM' });
  });
});

describe('algorithms and keys', () => {
  it('accepts RSA-PSS signatures (RSA keys and RSA-PSS keys) and mixed RSA/ECDSA chains', () => {
    expect(
      verifyChain(createChain({ levels: 3, key: 'rsa2048', leaf: { pss: true }, intermediate: { pss: true } })),
    ).toMatchObject({ valid: true });
    expect(verifyChain(createChain({ levels: 3, key: 'rsa-pss2048' }))).toMatchObject({ valid: true });
    const root = issueCertificate({ subject: 'CN=Mixed Root', ca: true, key: 'rsa2048' });
    const int = issueCertificate({ subject: 'CN=Mixed EC CA', ca: true, issuer: root, key: 'p384' });
    const leaf = issueCertificate({ subject: 'CN=Mixed leaf', issuer: int, key: 'p256' });
    expect(
      verifyClinicianChain({
        leaf: leaf.pem,
        intermediates: [int.pem],
        trustAnchors: [root.pem],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ valid: true });
  });

  it('rejects a bad PSS signature', () => {
    expect(
      verifyChain(createChain({ levels: 2, key: 'rsa2048', leaf: { pss: true, corruptSignature: true } })),
    ).toMatchObject({ code: 'PKI_SIGNATURE_INVALID' });
  });

  it('rejects RSA keys under 2048 bits, anywhere in the chain', () => {
    const weakLeaf = createChain({ levels: 2, key: 'rsa2048', leaf: { key: 'rsa1024' } });
    expect(verifyChain(weakLeaf)).toMatchObject({ valid: false, code: 'PKI_WEAK_KEY', details: { bits: 1024 } });
    const weakCa = createChain({ levels: 3, key: 'rsa2048', intermediate: { key: 'rsa1024' } });
    expect(verifyChain(weakCa)).toMatchObject({ valid: false, code: 'PKI_WEAK_KEY' });
  });

  it('rejects SHA-1 with ECDSA and PSS, and unsupported curves', () => {
    expect(verifyChain(createChain({ levels: 2, key: 'p256', leaf: { hash: 'sha1' } }))).toMatchObject({
      code: 'PKI_WEAK_ALGORITHM',
    });
    expect(verifyChain(createChain({ levels: 2, key: 'rsa2048', leaf: { hash: 'sha1', pss: true } }))).toMatchObject({
      code: 'PKI_WEAK_ALGORITHM',
    });
    expect(verifyChain(createChain({ levels: 2, key: 'p256', leaf: { key: 'secp256k1' } }))).toMatchObject({
      code: 'PKI_UNSUPPORTED_ALGORITHM',
    });
  });

  it('accepts SHA-384/512 signatures', () => {
    expect(verifyChain(createChain({ levels: 3, key: 'rsa2048', leaf: { hash: 'sha512' } }))).toMatchObject({
      valid: true,
    });
    expect(verifyChain(createChain({ levels: 3, key: 'p256', leaf: { hash: 'sha384' } }))).toMatchObject({
      valid: true,
    });
  });
});

describe('path building', () => {
  it('uses AKI/SKI to pick among CAs with the same name, and tries the next candidate on failure', () => {
    const root = issueCertificate({ subject: 'CN=Rollover Root', ca: true, key: ['p256', 200] });
    const oldCa = issueCertificate({ subject: 'CN=Rollover CA', ca: true, issuer: root, key: ['p256', 201] });
    const newCa = issueCertificate({ subject: 'CN=Rollover CA', ca: true, issuer: root, key: ['p256', 202] });
    const leaf = issueCertificate({ subject: 'CN=Dr New', issuer: newCa, key: ['p256', 203] });
    for (const order of [
      [oldCa, newCa],
      [newCa, oldCa],
    ]) {
      const r = verifyClinicianChain({
        leaf: leaf.cert,
        intermediates: order.map((c) => c.cert),
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      });
      expect(r.valid).toBe(true);
      expect(r.certificates[1]!.fingerprint).toBe(newCa.cert.fingerprint);
    }
    // Key identifiers only order the candidates: a CA whose SKI does not match the AKI is still tried by signature.
    const newCaOtherSki = issueCertificate({
      subject: 'CN=Rollover CA',
      ca: true,
      issuer: root,
      key: ['p256', 202],
      subjectKeyId: 'abcdef0123',
    });
    expect(
      verifyClinicianChain({
        leaf: leaf.cert,
        intermediates: [oldCa.cert, newCaOtherSki.cert],
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      }).valid,
    ).toBe(true);
    // Without key identifiers (RFC 5280 §4.2.1.1/§4.2.1.2 MUSTs) the path is refused, whatever the signatures say.
    const newCaNoSki = issueCertificate({
      subject: 'CN=Rollover CA',
      ca: true,
      issuer: root,
      key: ['p256', 202],
      subjectKeyId: false,
    });
    const leafNoAki = issueCertificate({
      subject: 'CN=Dr New',
      issuer: newCa,
      key: ['p256', 203],
      authorityKeyId: false,
    });
    expect(
      verifyClinicianChain({
        leaf: leafNoAki.cert,
        intermediates: [oldCa.cert, newCa.cert],
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ valid: false, code: 'PKI_PROFILE_VIOLATION' });
    expect(
      verifyClinicianChain({
        leaf: leaf.cert,
        intermediates: [newCaNoSki.cert],
        trustAnchors: [root.cert],
        policy: { revocation: 'off' },
      }),
    ).toMatchObject({ valid: false, code: 'PKI_PROFILE_VIOLATION' });
  });

  it('finds a valid path when another candidate path is invalid (expired cross-certificate)', () => {
    const root = issueCertificate({ subject: 'CN=Build Root', ca: true, key: ['p256', 210] });
    const expired = issueCertificate({
      subject: 'CN=Build CA',
      ca: true,
      issuer: root,
      key: ['p256', 211],
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const current = issueCertificate({ subject: 'CN=Build CA', ca: true, issuer: root, key: ['p256', 211] });
    const leaf = issueCertificate({ subject: 'CN=Dr Path', issuer: current, key: ['p256', 212] });
    const r = verifyClinicianChain({
      leaf: leaf.cert,
      intermediates: [expired.cert, current.cert],
      trustAnchors: [root.cert],
      policy: { revocation: 'off' },
    });
    expect(r.valid).toBe(true);
  });

  it('handles self-issued key-rollover certificates without counting them toward pathLen', () => {
    const root = issueCertificate({ subject: 'CN=SI Root', ca: true, key: ['p256', 220], pathLen: 0 });
    const caOld = issueCertificate({ subject: 'CN=SI Root', ca: true, key: ['p256', 221], issuer: root });
    const leaf = issueCertificate({ subject: 'CN=Dr SI', issuer: caOld, key: ['p256', 222] });
    const r = verifyClinicianChain({
      leaf: leaf.cert,
      intermediates: [caOld.cert],
      trustAnchors: [root.cert],
      policy: { revocation: 'off' },
    });
    expect(r).toMatchObject({ valid: true });
    expect(r.chain).toHaveLength(3);
  });

  it('matches names by RFC 5280 rules (case, spacing, string type) but not reordered RDNs', () => {
    const root = issueCertificate({ subject: 'CN=Name Root, O=Test PKI', ca: true, key: ['p256', 230] });
    const leafCase = issueCertificate({
      subject: 'CN=Dr Case',
      issuer: root,
      issuerName: 'CN=name   ROOT, O=test pki',
      key: ['p256', 231],
      nameEncoding: 'printable',
    });
    expect(
      verifyClinicianChain({ leaf: leafCase.cert, trustAnchors: [root.cert], policy: { revocation: 'off' } }).valid,
    ).toBe(true);
    const leafOrder = issueCertificate({
      subject: 'CN=Dr Order',
      issuer: root,
      issuerName: 'O=Test PKI, CN=Name Root',
      key: ['p256', 232],
    });
    expect(
      verifyClinicianChain({ leaf: leafOrder.cert, trustAnchors: [root.cert], policy: { revocation: 'off' } }),
    ).toMatchObject({ code: 'PKI_NO_PATH_TO_TRUST_ANCHOR' });
  });

  it('accepts a clinician certificate that is itself a trust anchor', () => {
    const self = issueCertificate({ subject: 'CN=Dr Self', key: ['p256', 240] });
    expect(verifyClinicianChain({ leaf: self.cert, trustAnchors: [self.cert] })).toMatchObject({
      valid: true,
      chain: [self.subject],
    });
  });

  it('reports a malformed certificate as PKI_MALFORMED_CERTIFICATE', () => {
    const c = createChain({ levels: 2, key: 'p256' });
    const garbage = Buffer.from('30820100' + '00'.repeat(20), 'hex');
    expect(verifyClinicianChain({ leaf: garbage, trustAnchors: [c.root.cert] })).toMatchObject({
      valid: false,
      code: 'PKI_MALFORMED_CERTIFICATE',
    });
  });
});
