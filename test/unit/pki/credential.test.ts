import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createChain,
  exportPkcs12,
  exportPkcs12WithForge,
  issueCertificate,
  makeTempDir,
  writePkiFiles,
  createTrainingPki,
} from '../../support/test-ca';
import {
  jwsVerify,
  loadClinicianCredential,
  verifyClinicianChain,
  parseCertificates,
  parseCrls,
} from '../../../main/pki';
import { buildAdditionBundle } from '../../../main/additions/fhir';
import { signAddition, verifyAddition } from '../../../main/additions/signed';
import { errorMessage } from '../../../common/i18n/messages';
import type { WorkstationError } from '../../../common/errors';

const PASS = 'correct horse ©';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.each(['rsa2048', 'p256', 'p384'] as const)('clinician credential (%s)', (key) => {
  const c = createChain({ levels: 3, key, slot: 7 });
  const int = c.intermediates[0]!;

  it.each([
    ['PBES2/AES-256, MAC SHA-256, encrypted certificates', {}],
    [
      'PKCS#12 3DES key, MAC SHA-1, plain certificates',
      { keyEncryption: '3des' as const, macHash: 'sha1' as const, encryptCertificates: false },
    ],
  ])('loads a PKCS#12 file: %s', async (_name, options) => {
    const p12 = exportPkcs12(c.leaf, PASS, { chain: [int], ...options });
    const cred = await loadClinicianCredential(p12, PASS);
    expect(cred.format).toBe('pkcs12');
    expect(cred.certificate.fingerprint).toBe(c.leaf.cert.fingerprint);
    expect(cred.chain.map((x) => x.fingerprint)).toEqual([int.cert.fingerprint]);
    const sig = cred.sign(Buffer.from('addition'));
    const pub = createPublicKey({ key: c.leaf.cert.spki, format: 'der', type: 'spki' });
    const hash = key === 'p384' ? 'sha384' : 'sha256';
    const ok =
      pub.asymmetricKeyType === 'rsa'
        ? verify(hash, Buffer.from('addition'), { key: pub, padding: 6, saltLength: 32 }, sig)
        : verify(hash, Buffer.from('addition'), { key: pub, dsaEncoding: 'ieee-p1363' }, sig);
    expect(ok).toBe(true);
    expect(cred.signingAlgorithm).toBe({ rsa2048: 'PS256', p256: 'ES256', p384: 'ES384' }[key]);
  });

  it('refuses a wrong passphrase', async () => {
    const p12 = exportPkcs12(c.leaf, PASS);
    await expect(loadClinicianCredential(p12, 'nope')).rejects.toThrow(
      expect.objectContaining({ code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE' }),
    );
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const other = issueCertificate({ subject: 'CN=Other', issuer: int, key: [key, 71] });
    const mixed = { ...c.leaf, key: other.key };
    await expect(loadClinicianCredential(exportPkcs12(mixed, PASS), PASS)).rejects.toThrow(
      expect.objectContaining({ code: 'PKI_CREDENTIAL_KEY_MISMATCH' }),
    );
    const pem = c.leaf.pem + (other.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    await expect(loadClinicianCredential(Buffer.from(pem), '')).rejects.toThrow(
      expect.objectContaining({ code: 'PKI_CREDENTIAL_KEY_MISMATCH' }),
    );
  });

  it('loads PEM: plain PKCS#8, encrypted PKCS#8 and legacy encrypted PEM; the chain comes along', async () => {
    const k = c.leaf.key.privateKey;
    const plain = k.export({ format: 'pem', type: 'pkcs8' }) as string;
    const encrypted = k.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASS }) as string;
    const legacy = k.export({
      format: 'pem',
      type: k.asymmetricKeyType === 'rsa' ? 'pkcs1' : 'sec1',
      cipher: 'aes-128-cbc',
      passphrase: PASS,
    }) as string;
    expect(legacy).toMatch(/Proc-Type: 4,ENCRYPTED/);
    for (const keyPem of [plain, encrypted, legacy]) {
      const cred = await loadClinicianCredential(Buffer.from(int.pem + keyPem + c.leaf.pem), PASS);
      expect(cred.format).toBe('pem');
      expect(cred.certificate.fingerprint).toBe(c.leaf.cert.fingerprint);
      expect(cred.chain).toHaveLength(1);
    }
    await expect(loadClinicianCredential(Buffer.from(c.leaf.pem + encrypted), 'wrong')).rejects.toThrow(
      expect.objectContaining({ code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE' }),
    );
    await expect(loadClinicianCredential(Buffer.from(c.leaf.pem + legacy), 'wrong')).rejects.toThrow(
      expect.objectContaining({ code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE' }),
    );
  });

  it('keeps the private key out of logs and drops it on dispose', async () => {
    const cred = await loadClinicianCredential(exportPkcs12(c.leaf, PASS), PASS);
    const shown = JSON.stringify(cred) + inspect(cred, { depth: 10, showHidden: true }) + String(cred);
    expect(shown).not.toMatch(/PRIVATE KEY|privateKey|KeyObject/);
    expect(shown).toContain(c.leaf.subject.split(',')[0]);
    cred.dispose();
    expect(cred.disposed).toBe(true);
    expect(() => cred.privateKey()).toThrow(expect.objectContaining({ code: 'NOT_SIGNED_IN' }));
    expect(() => cred.sign(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'NOT_SIGNED_IN' }));
  });
});

describe('credential formats', () => {
  it('loads an RSA PKCS#12 written by node-forge itself (3DES and AES)', async () => {
    const c = createChain({ levels: 3, key: 'rsa2048', slot: 8 });
    for (const alg of ['3des', 'aes256'] as const) {
      const cred = await loadClinicianCredential(exportPkcs12WithForge(c.leaf, PASS, [c.intermediates[0]!], alg), PASS);
      expect(cred.certificate.fingerprint).toBe(c.leaf.cert.fingerprint);
      expect(cred.chain).toHaveLength(1);
    }
  });

  it('refuses files that are not credentials', async () => {
    const c = createChain({ levels: 2, key: 'p256', slot: 8 });
    for (const bytes of [
      Buffer.from('hello'),
      c.leaf.der,
      Buffer.from(c.leaf.pem),
      Buffer.alloc(0),
      Buffer.from([0x30, 0x03, 0x02, 0x01, 0x03]),
    ]) {
      await expect(loadClinicianCredential(bytes, PASS)).rejects.toThrow(
        expect.objectContaining({ code: 'PKI_CREDENTIAL_UNSUPPORTED_FORMAT' }),
      );
    }
  });

  it.runIf(hasOpenssl())('loads PKCS#12 files written by OpenSSL (EC and RSA, modern and legacy)', async () => {
    const dir = makeTempDir();
    for (const key of ['p256', 'rsa2048'] as const) {
      const c = createChain({ levels: 2, key, slot: 9 });
      const f = writePkiFiles(dir, {
        [`${key}.crt`]: c.leaf.pem,
        [`${key}.key`]: c.leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
      });
      for (const legacy of [false, true]) {
        const out = join(dir, `${key}-${legacy}.p12`);
        const args = [
          'pkcs12',
          '-export',
          '-in',
          f[`${key}.crt`]!,
          '-inkey',
          f[`${key}.key`]!,
          '-passout',
          'pass:pw',
          '-out',
          out,
        ];
        if (legacy) args.push('-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1');
        execFileSync('openssl', args);
        expect((await loadClinicianCredential(readFileSync(out), 'pw')).certificate.fingerprint).toBe(
          c.leaf.cert.fingerprint,
        );
      }
    }
  });
});

describe('training PKI', () => {
  it('writes a working clinician PKCS#12 and a revoked one', async () => {
    const t = createTrainingPki(makeTempDir());
    const anchors = parseCertificates(readFileSync(t.files.root));
    const intermediates = parseCertificates(readFileSync(t.files.intermediate));
    const crls = parseCrls(readFileSync(t.files.crl));
    expect(crls).toHaveLength(2);
    const good = await loadClinicianCredential(readFileSync(t.files.clinician), t.passphrase);
    expect(good.identity()).toMatchObject({ role: 'physician', registrationNumber: 'GR-MED-000001' });
    expect(verifyClinicianChain({ leaf: good.certificate, intermediates, trustAnchors: anchors, crls })).toMatchObject({
      valid: true,
    });
    const revoked = await loadClinicianCredential(readFileSync(t.files.revokedClinician), 'training');
    expect(
      verifyClinicianChain({ leaf: revoked.certificate, intermediates, trustAnchors: anchors, crls }),
    ).toMatchObject({ valid: false, code: 'PKI_REVOKED' });
  });
});

describe('sign-in accepts only keys that can sign an addition', () => {
  const root = issueCertificate({ subject: 'CN=Keys Root CA, O=Test PKI, C=GR', ca: true, key: ['p256', 60] });
  const ca = issueCertificate({
    subject: 'CN=Keys Clinician CA, O=Test PKI, C=GR',
    ca: true,
    issuer: root,
    key: ['p256', 61],
  });
  const recorded = new Date(Date.now() - 60_000);
  const patient = { reference: 'urn:uuid:11111111-2222-4333-8444-555555555555' };

  it.each([
    ['p256', 'ES256'],
    ['p384', 'ES384'],
    ['p521', 'ES512'],
    ['ed25519', 'EdDSA'],
    ['rsa2048', 'PS256'],
    ['rsa-pss2048', 'PS256'],
    ['rsa-pss2048-sha384', 'PS384'],
    ['rsa-pss2048-sha512', 'PS512'],
  ] as const)(
    'a %s clinician (PKCS#12 from the test CA) signs in, signs %s additions, and verify-addition accepts them',
    async (key, alg) => {
      const leaf = issueCertificate({
        subject: `CN=Dr Keys ${key}, serialNumber=GR-MED-7, O=Test Hospital, C=GR`,
        issuer: ca,
        key: [key, 62],
      });
      const cred = await loadClinicianCredential(exportPkcs12(leaf, PASS, { chain: [ca] }), PASS);
      expect(cred.signingAlgorithm).toBe(alg);
      expect(
        verifyClinicianChain({
          leaf: cred.certificate,
          intermediates: [...cred.chain],
          trustAnchors: [root.cert],
          policy: { revocation: 'off' },
        }),
      ).toMatchObject({ valid: true });
      const identity = cred.identity();
      const bundle = buildAdditionBundle([{ kind: 'note', text: 'signed with every key type' }], {
        patient,
        author: {
          name: identity.name,
          registration: identity.registrationNumber ?? '',
          certFingerprint: identity.fingerprint,
        },
        workstation: { id: 'ws-keys' },
        recorded,
      });
      const signed = signAddition(bundle, {
        privateKey: cred.privateKey(),
        certificates: [cred.certificate.der, ...cred.chain.map((c) => c.der)],
      });
      expect(
        verifyAddition(signed.bytes, {
          trustAnchors: [root.cert],
          policy: { revocation: 'off' },
          expectedId: signed.additionId,
        }),
      ).toMatchObject({ valid: true, alg });
      expect(jwsVerify(alg, leaf.key.publicKey, Buffer.from('x'), cred.sign(Buffer.from('x')))).toBe(true);
    },
  );

  it.each([
    ['rsa-pss2048-sha256-mgf1-sha1', 'PKI_CREDENTIAL_CANNOT_SIGN'],
    ['rsa-pss2048-sha256-salt64', 'PKI_CREDENTIAL_CANNOT_SIGN'],
    ['ed448', 'PKI_UNSUPPORTED_ALGORITHM'],
    ['secp256k1', 'PKI_UNSUPPORTED_ALGORITHM'],
    ['rsa1024', 'PKI_WEAK_KEY'],
  ] as const)(
    'a %s clinician is refused when the credential is loaded (%s), never after sign-in',
    async (key, code) => {
      const leaf = issueCertificate({
        subject: `CN=Dr Keys ${key}, O=Test Hospital, C=GR`,
        issuer: ca,
        key: [key, 63],
      });
      for (const bytes of [
        exportPkcs12(leaf, PASS, { chain: [ca] }),
        Buffer.from(leaf.pem + (leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string)),
      ]) {
        await expect(loadClinicianCredential(bytes, PASS)).rejects.toThrow(expect.objectContaining({ code }));
      }
      if (code === 'PKI_CREDENTIAL_CANNOT_SIGN') {
        const error = (await loadClinicianCredential(exportPkcs12(leaf, PASS), PASS).then(
          () => {
            throw new Error('loaded');
          },
          (e: unknown) => e,
        )) as WorkstationError;
        expect(errorMessage(error)).toContain('cannot sign additions');
        expect(errorMessage(error)).toContain('RSA-PSS-2048 sha256');
        expect(errorMessage(error, 'el')).toContain('δεν μπορεί να υπογράψει');
      }
    },
  );
});
