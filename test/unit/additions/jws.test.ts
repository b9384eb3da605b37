import { constants, createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../main/audit/canonical';
import { buildAdditionBundle } from '../../../main/additions/fhir';
import { signDetachedJws, verifyDetachedJws, type JwsAlgorithm } from '../../../main/additions/jws';
import { signAddition, verifyAddition } from '../../../main/additions/signed';
import { createChain, issueCertificate } from '../../support/test-ca/certificates';
import { testKey, type KeySpec } from '../../support/test-ca/keys';
import { EVERY_FORM, PATIENT, testClinician, STAGED_ATTACHMENTS } from './helpers';

const b64url = (s: string) => Buffer.from(s, 'base64url');

describe('RFC 8785 canonical JSON (the signed payload)', () => {
  // Vectors from RFC 8785 §3.2.2 (numbers, strings; the RFC writes 333333333.33333329, the same double) and §3.2.3 (sorting by UTF-16 code units).
  it('serialises numbers the ECMAScript way and escapes strings minimally', () => {
    expect(
      canonicalJson({
        numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
        literals: [null, true, false],
      }),
    ).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    expect(canonicalJson(-0)).toBe('0');
  });
  it('sorts keys by UTF-16 code units', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(Object.values(JSON.parse(canonicalJson(input)) as Record<string, string>)).toEqual([
      'One',
      'Carriage Return',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });
});

/** Every algorithm with a key of the kind that makes it; the CAs are P-256, the clinician's key varies. */
const CASES = [
  ['ES256', 'p256'],
  ['ES384', 'p384'],
  ['ES512', 'p521'],
  ['EdDSA', 'ed25519'],
  ['PS256', 'rsa2048'],
  ['PS384', 'rsa2048'],
  ['PS512', 'rsa2048'],
  ['RS256', 'rsa2048'],
  ['PS256', 'rsa-pss2048'],
  ['PS384', 'rsa-pss2048-sha384'],
  ['PS512', 'rsa-pss2048-sha512'],
] as const satisfies readonly (readonly [JwsAlgorithm, KeySpec])[];

function clinicianWith(key: KeySpec, slot = 0) {
  const chain = createChain({
    levels: 3,
    key: 'p256',
    slot: 40 + slot,
    prefix: `JWS ${key}`,
    leaf: { key: [key, 40 + slot] },
  });
  return {
    chain,
    certificates: [chain.leaf.der, ...chain.intermediates.map((c) => c.der)],
    author: {
      name: `Dr JWS ${key}`,
      registration: 'GR-MED-12345',
      certFingerprint: chain.leaf.cert.fingerprint,
      roleText: 'physician',
    },
  };
}

const HASH = {
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  RS256: 'sha256',
  EdDSA: null,
} as const;

describe.each(CASES)('detached JWS %s (%s key)', (alg: JwsAlgorithm, key) => {
  const { chain, certificates } = clinicianWith(key);
  const payload = Buffer.from('{"resourceType":"Bundle"}');
  const jws = signDetachedJws(
    payload,
    { privateKey: chain.leaf.key.privateKey, certificates, alg },
    new Date('2026-03-01T10:00:00.123Z'),
  );
  const [h, empty, s] = jws.split('.');

  it('is compact and detached, with {alg, typ, x5c, sigT} protected', () => {
    expect(empty).toBe('');
    const header = JSON.parse(b64url(h!).toString()) as Record<string, unknown>;
    expect(header).toEqual({
      alg,
      typ: 'JOSE',
      x5c: certificates.map((c) => c.toString('base64')),
      sigT: '2026-03-01T10:00:00Z',
    });
  });

  it('signs ASCII(b64url(header) + "." + b64url(payload)), checked with Node directly', () => {
    const input = Buffer.from(`${h}.${payload.toString('base64url')}`);
    const sig = b64url(s!);
    const pub = chain.leaf.key.publicKey;
    const hash = HASH[alg];
    if (alg === 'EdDSA') {
      expect(sig).toHaveLength(64);
      expect(verify(null, input, pub, sig)).toBe(true);
    } else if (alg.startsWith('ES')) {
      expect(sig).toHaveLength({ ES256: 64, ES384: 96, ES512: 132 }[alg as 'ES256']); // JOSE r||s, not DER
      expect(verify(hash, input, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    } else if (alg.startsWith('PS')) {
      const saltLength = { sha256: 32, sha384: 48, sha512: 64 }[hash!];
      expect(verify(hash, input, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, sig)).toBe(true);
      if (pub.asymmetricKeyType === 'rsa')
        expect(verify(hash, input, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sig)).toBe(false);
    } else {
      expect(verify('sha256', input, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sig)).toBe(true);
    }
  });

  it('verifies, and refuses a changed payload, header or signature', () => {
    expect(verifyDetachedJws(jws, payload).header.alg).toBe(alg);
    expect(() => verifyDetachedJws(jws, Buffer.from('{"resourceType":"Bundle" }'))).toThrow(/signature/);
    const header = JSON.parse(b64url(h!).toString()) as Record<string, unknown>;
    const reheader = (hh: Record<string, unknown>) => `${Buffer.from(JSON.stringify(hh)).toString('base64url')}..${s}`;
    expect(() => verifyDetachedJws(reheader({ ...header, sigT: '2026-03-01T11:00:00Z' }), payload)).toThrow(
      /signature/,
    );
    expect(() => verifyDetachedJws(reheader({ ...header, alg: alg === 'ES256' ? 'ES384' : 'ES256' }), payload)).toThrow(
      /algorithm/,
    );
    expect(() => verifyDetachedJws(reheader({ ...header, alg: alg === 'EdDSA' ? 'RS256' : 'EdDSA' }), payload)).toThrow(
      /algorithm/,
    );
    expect(() => verifyDetachedJws(reheader({ ...header, alg: 'none' }), payload)).toThrow(/algorithm/);
    expect(() => verifyDetachedJws(reheader({ ...header, crit: ['exp'] }), payload)).toThrow(/crit/);
    const flipped = b64url(s!);
    flipped[5]! ^= 1;
    expect(() => verifyDetachedJws(`${h}..${flipped.toString('base64url')}`, payload)).toThrow(/signature/);
    expect(() => verifyDetachedJws(`${h}.${payload.toString('base64url')}.${s}`, payload)).toThrow(/not-detached/);
  });
});

describe('signed additions', () => {
  const recorded = new Date(Date.now() - 60_000);
  for (const [alg, key] of CASES) {
    it(`${alg} (${key} key): the signature sits in Provenance.signature and verifies with its chain`, () => {
      const c = clinicianWith(key);
      const bundle = buildAdditionBundle(EVERY_FORM, {
        attachments: STAGED_ATTACHMENTS,
        patient: PATIENT,
        author: c.author,
        workstation: { id: 'ws-1' },
        recorded,
      });
      const signed = signAddition(bundle, {
        privateKey: c.chain.leaf.key.privateKey,
        certificates: c.certificates,
        alg,
      });
      expect(signed.additionId).toBe(createHash('sha256').update(signed.bytes).digest('hex'));
      expect(signed.bytes.toString()).toBe(canonicalJson(signed.bundle));
      const prov = signed.bundle.entry!.at(-1)!.resource as import('fhir/r4').Provenance;
      expect(prov.signature![0]).toMatchObject({
        type: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.1' }],
        sigFormat: 'application/jose',
        when: recorded.toISOString(),
      });
      const report = verifyAddition(signed.bytes, {
        trustAnchors: [c.chain.root.cert],
        policy: { revocation: 'off' },
        expectedId: signed.additionId,
        expectedPatientReference: PATIENT.reference,
      });
      expect(report).toMatchObject({
        valid: true,
        code: 'OK',
        alg,
        checks: { integrity: true, structure: true, signature: true, chain: true },
      });
      expect(report.signer!.fingerprint).toBe(c.chain.leaf.cert.fingerprint);
      expect(report.chain).toHaveLength(3);
      expect(report.resources).toEqual({
        DocumentReference: 2,
        Observation: 6,
        AllergyIntolerance: 1,
        Condition: 1,
        MedicationAdministration: 1,
        Procedure: 1,
      });
    });
  }

  it('a Practitioner that does not name the signing certificate is refused (signer binding)', () => {
    const c = testClinician('p256');
    const bundle = buildAdditionBundle(EVERY_FORM.slice(0, 1), {
      patient: PATIENT,
      author: { ...c.author, certFingerprint: '00'.repeat(32) },
      workstation: { id: 'ws-1' },
      recorded,
    });
    const signed = signAddition(bundle, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates });
    expect(
      verifyAddition(signed.bytes, { trustAnchors: [c.chain.root.cert], policy: { revocation: 'off' } }),
    ).toMatchObject({ valid: false, code: 'ADDITION_SIGNATURE_INVALID', details: { reason: 'signer' } });
  });

  it('the chain is validated at the signing time; an untrusted root, an expired certificate at that time are refused', () => {
    const c = testClinician('p256');
    const bundle = buildAdditionBundle(EVERY_FORM.slice(0, 1), {
      patient: PATIENT,
      author: c.author,
      workstation: { id: 'ws-1' },
      recorded,
    });
    const signed = signAddition(bundle, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates });
    const other = createChain({ levels: 2, key: 'p256', slot: 5, prefix: 'Other' });
    expect(
      verifyAddition(signed.bytes, { trustAnchors: [other.root.cert], policy: { revocation: 'off' } }),
    ).toMatchObject({ valid: false, code: 'PKI_NO_PATH_TO_TRUST_ANCHOR', checks: { signature: true, chain: false } });

    const expired = issueCertificate({
      subject: 'CN=Dr Expired, serialNumber=GR-MED-9, O=Test Hospital, C=GR',
      issuer: c.chain.intermediates[0]!,
      key: c.chain.leaf.key,
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const b2 = buildAdditionBundle(EVERY_FORM.slice(0, 1), {
      patient: PATIENT,
      author: { ...c.author, certFingerprint: expired.cert.fingerprint },
      workstation: { id: 'ws-1' },
      recorded,
    });
    const s2 = signAddition(b2, {
      privateKey: c.chain.leaf.key.privateKey,
      certificates: [expired.der, c.chain.intermediates[0]!.der],
    });
    expect(
      verifyAddition(s2.bytes, { trustAnchors: [c.chain.root.cert], policy: { revocation: 'off' } }),
    ).toMatchObject({ valid: false, code: 'PKI_EXPIRED' });
  });

  it('a signing time in the future is refused', () => {
    const c = testClinician('p256');
    const bundle = buildAdditionBundle(EVERY_FORM.slice(0, 1), {
      patient: PATIENT,
      author: c.author,
      workstation: { id: 'ws-1' },
      recorded: new Date(Date.now() + 3_600_000),
    });
    const signed = signAddition(bundle, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates });
    expect(
      verifyAddition(signed.bytes, { trustAnchors: [c.chain.root.cert], policy: { revocation: 'off' } }),
    ).toMatchObject({ valid: false, code: 'ADDITION_SIGNATURE_INVALID', details: { reason: 'future' } });
  });
});

describe('the algorithm follows the key', () => {
  const payload = Buffer.from('{}');
  const at = new Date('2026-03-01T10:00:00Z');
  const algOf = (jws: string) => (JSON.parse(b64url(jws.split('.')[0]!).toString()) as { alg: string }).alg;

  it.each([
    ['p256', 'ES256'],
    ['p384', 'ES384'],
    ['p521', 'ES512'],
    ['ed25519', 'EdDSA'],
    ['rsa2048', 'PS256'],
    ['rsa-pss2048', 'PS256'],
    ['rsa-pss2048-sha384', 'PS384'],
    ['rsa-pss2048-sha512', 'PS512'],
  ] as const)('a %s key signs %s by default, and the verifier accepts it', (key, alg) => {
    const c = clinicianWith(key, 1);
    const jws = signDetachedJws(payload, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates }, at);
    expect(algOf(jws)).toBe(alg);
    expect(verifyDetachedJws(jws, payload).header.alg).toBe(alg);
  });

  it('an RSA-PSS key restricted to SHA-384 never signs PS256/PS512/RS256, and a PS256 header on its certificate is refused', () => {
    const c = clinicianWith('rsa-pss2048-sha384', 1);
    for (const alg of ['PS256', 'PS512', 'RS256', 'ES256'] as const) {
      expect(() =>
        signDetachedJws(payload, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates, alg }, at),
      ).toThrow(expect.objectContaining({ code: 'PKI_CREDENTIAL_CANNOT_SIGN' }));
    }
    const good = signDetachedJws(
      payload,
      { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates },
      at,
    );
    const [h, , s] = good.split('.');
    const header = JSON.parse(b64url(h!).toString()) as Record<string, unknown>;
    expect(() =>
      verifyDetachedJws(
        `${Buffer.from(JSON.stringify({ ...header, alg: 'PS256' })).toString('base64url')}..${s}`,
        payload,
      ),
    ).toThrow(/algorithm/);
  });

  it.each(['rsa-pss2048-sha256-mgf1-sha1', 'rsa-pss2048-sha256-salt64', 'secp256k1', 'ed448', 'rsa1024'] as const)(
    'a %s key cannot make a JOSE signature: PKI_CREDENTIAL_CANNOT_SIGN',
    (key) => {
      const k = testKey(key, 41);
      expect(() =>
        signDetachedJws(payload, { privateKey: k.privateKey, certificates: [Buffer.from([0x30, 0x00])] }, at),
      ).toThrow(expect.objectContaining({ code: 'PKI_CREDENTIAL_CANNOT_SIGN' }));
    },
  );
});
