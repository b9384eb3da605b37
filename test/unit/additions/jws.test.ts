import { constants, createHash, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../main/audit/canonical';
import { buildAdditionBundle } from '../../../main/additions/fhir';
import { signDetachedJws, verifyDetachedJws, type JwsAlgorithm } from '../../../main/additions/jws';
import { signAddition, verifyAddition } from '../../../main/additions/signed';
import { createChain, issueCertificate } from '../../support/test-ca/certificates';
import { EVERY_FORM, PATIENT, testClinician } from './helpers';

const b64url = (s: string) => Buffer.from(s, 'base64url');

describe('RFC 8785 canonical JSON (the signed payload)', () => {
  // Vectors from RFC 8785 §3.2.2 (numbers, strings; the RFC writes 333333333.33333329, the same double) and §3.2.3 (sorting by UTF-16 code units).
  it('serialises numbers the ECMAScript way and escapes strings minimally', () => {
    expect(canonicalJson({ numbers: [333333333.3333333, 1e30, 4.5, 2e-3, 0.000000000000000000000000001], string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/', literals: [null, true, false] })).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    expect(canonicalJson(-0)).toBe('0');
  });
  it('sorts keys by UTF-16 code units', () => {
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(Object.values(JSON.parse(canonicalJson(input)) as Record<string, string>)).toEqual(['One', 'Carriage Return', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
    expect(canonicalJson(input)).toBe('{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}');
  });
});

describe.each([
  ['ES256', 'p256'],
  ['PS256', 'rsa2048'],
  ['RS256', 'rsa2048'],
] as const)('detached JWS %s', (alg: JwsAlgorithm, key) => {
  const { chain, certificates } = testClinician(key);
  const payload = Buffer.from('{"resourceType":"Bundle"}');
  const jws = signDetachedJws(payload, { privateKey: chain.leaf.key.privateKey, certificates, alg }, new Date('2026-03-01T10:00:00.123Z'));
  const [h, empty, s] = jws.split('.');

  it('is compact and detached, with {alg, typ, x5c, sigT} protected', () => {
    expect(empty).toBe('');
    const header = JSON.parse(b64url(h!).toString()) as Record<string, unknown>;
    expect(header).toEqual({ alg, typ: 'JOSE', x5c: certificates.map((c) => c.toString('base64')), sigT: '2026-03-01T10:00:00Z' });
  });

  it('signs ASCII(b64url(header) + "." + b64url(payload)), checked with Node directly', () => {
    const input = Buffer.from(`${h}.${payload.toString('base64url')}`);
    const sig = b64url(s!);
    const pub = chain.leaf.key.publicKey;
    if (alg === 'ES256') {
      expect(sig).toHaveLength(64); // JOSE r||s, not DER
      expect(verify('sha256', input, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    } else if (alg === 'PS256') {
      expect(verify('sha256', input, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);
      expect(verify('sha256', input, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sig)).toBe(false);
    } else {
      expect(verify('sha256', input, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sig)).toBe(true);
    }
  });

  it('verifies, and refuses a changed payload, header or signature', () => {
    expect(verifyDetachedJws(jws, payload).header.alg).toBe(alg);
    expect(() => verifyDetachedJws(jws, Buffer.from('{"resourceType":"Bundle" }'))).toThrow(/signature/);
    const header = JSON.parse(b64url(h!).toString()) as Record<string, unknown>;
    const reheader = (hh: Record<string, unknown>) => `${Buffer.from(JSON.stringify(hh)).toString('base64url')}..${s}`;
    expect(() => verifyDetachedJws(reheader({ ...header, sigT: '2026-03-01T11:00:00Z' }), payload)).toThrow(/signature/);
    expect(() => verifyDetachedJws(reheader({ ...header, alg: alg === 'ES256' ? 'RS256' : 'ES256' }), payload)).toThrow(/algorithm/);
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
  for (const [alg, key] of [['ES256', 'p256'], ['PS256', 'rsa2048'], ['RS256', 'rsa2048']] as const) {
    it(`${alg}: the signature sits in Provenance.signature and verifies with its chain`, () => {
      const c = testClinician(key);
      const bundle = buildAdditionBundle(EVERY_FORM, { patient: PATIENT, author: c.author, workstation: { id: 'ws-1' }, recorded });
      const signed = signAddition(bundle, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates, alg });
      expect(signed.additionId).toBe(createHash('sha256').update(signed.bytes).digest('hex'));
      expect(signed.bytes.toString()).toBe(canonicalJson(signed.bundle));
      const prov = signed.bundle.entry!.at(-1)!.resource as import('fhir/r4').Provenance;
      expect(prov.signature![0]).toMatchObject({ type: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.1' }], sigFormat: 'application/jose', when: recorded.toISOString() });
      const report = verifyAddition(signed.bytes, { trustAnchors: [c.chain.root.cert], policy: { revocation: 'off' }, expectedId: signed.additionId, expectedPatientReference: PATIENT.reference });
      expect(report).toMatchObject({ valid: true, code: 'OK', alg, checks: { integrity: true, structure: true, signature: true, chain: true } });
      expect(report.signer!.fingerprint).toBe(c.chain.leaf.cert.fingerprint);
      expect(report.chain).toHaveLength(3);
      expect(report.resources).toEqual({ DocumentReference: 2, Observation: 6, AllergyIntolerance: 1, Condition: 1, MedicationAdministration: 1, Procedure: 1 });
    });
  }

  it('a Practitioner that does not name the signing certificate is refused (signer binding)', () => {
    const c = testClinician('p256');
    const bundle = buildAdditionBundle(EVERY_FORM.slice(0, 1), { patient: PATIENT, author: { ...c.author, certFingerprint: '00'.repeat(32) }, workstation: { id: 'ws-1' }, recorded });
    const signed = signAddition(bundle, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates });
    expect(verifyAddition(signed.bytes, { trustAnchors: [c.chain.root.cert], policy: { revocation: 'off' } })).toMatchObject({ valid: false, code: 'ADDITION_SIGNATURE_INVALID', details: { reason: 'signer' } });
  });

  it('the chain is validated at the signing time; an untrusted root, an expired certificate at that time are refused', () => {
    const c = testClinician('p256');
    const bundle = buildAdditionBundle(EVERY_FORM.slice(0, 1), { patient: PATIENT, author: c.author, workstation: { id: 'ws-1' }, recorded });
    const signed = signAddition(bundle, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates });
    const other = createChain({ levels: 2, key: 'p256', slot: 5, prefix: 'Other' });
    expect(verifyAddition(signed.bytes, { trustAnchors: [other.root.cert], policy: { revocation: 'off' } })).toMatchObject({ valid: false, code: 'PKI_NO_PATH_TO_TRUST_ANCHOR', checks: { signature: true, chain: false } });

    const expired = issueCertificate({ subject: 'CN=Dr Expired, serialNumber=GR-MED-9, O=Test Hospital, C=GR', issuer: c.chain.intermediates[0]!, key: c.chain.leaf.key, notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const b2 = buildAdditionBundle(EVERY_FORM.slice(0, 1), { patient: PATIENT, author: { ...c.author, certFingerprint: expired.cert.fingerprint }, workstation: { id: 'ws-1' }, recorded });
    const s2 = signAddition(b2, { privateKey: c.chain.leaf.key.privateKey, certificates: [expired.der, c.chain.intermediates[0]!.der] });
    expect(verifyAddition(s2.bytes, { trustAnchors: [c.chain.root.cert], policy: { revocation: 'off' } })).toMatchObject({ valid: false, code: 'PKI_EXPIRED' });
  });

  it('a signing time in the future is refused', () => {
    const c = testClinician('p256');
    const bundle = buildAdditionBundle(EVERY_FORM.slice(0, 1), { patient: PATIENT, author: c.author, workstation: { id: 'ws-1' }, recorded: new Date(Date.now() + 3_600_000) });
    const signed = signAddition(bundle, { privateKey: c.chain.leaf.key.privateKey, certificates: c.certificates });
    expect(verifyAddition(signed.bytes, { trustAnchors: [c.chain.root.cert], policy: { revocation: 'off' } })).toMatchObject({ valid: false, code: 'ADDITION_SIGNATURE_INVALID', details: { reason: 'future' } });
  });
});
