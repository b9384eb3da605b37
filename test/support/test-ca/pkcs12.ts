import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { bmp, ctx, der, fromDer, int, nul, octet, oid, seq, set, type Node } from './der';
import type { TestCertificate } from './certificates';

const OIDS = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  friendlyName: '1.2.840.113549.1.9.20',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacSha256: '1.2.840.113549.2.9',
  aes256cbc: '2.16.840.1.101.3.4.1.42',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
};

export interface Pkcs12Options {
  /** Extra certificates (the chain) to include. */
  chain?: TestCertificate[];
  /** Key encryption: PBES2/AES-256 (OpenSSL 3 default) or the legacy PKCS#12 3DES. */
  keyEncryption?: 'aes256' | '3des';
  /** Encrypt the certificate SafeContents too (PBES2/AES-256), as OpenSSL does. */
  encryptCertificates?: boolean;
  macHash?: 'sha1' | 'sha256';
  iterations?: number;
  /** Write this MAC iteration count instead of the one used (a file that claims more work than it took). */
  macIterationsField?: number;
  friendlyName?: string;
}

function contentInfoData(content: Buffer): Node {
  return seq(oid(OIDS.data), ctx(0, [octet(content)]));
}

function pbes2Encrypt(plain: Buffer, passphrase: string, iterations: number): { algorithm: Node; encrypted: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, iterations, 32, 'sha256');
  const c = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([c.update(plain), c.final()]);
  const algorithm = seq(
    oid(OIDS.pbes2),
    seq(
      seq(oid(OIDS.pbkdf2), seq(octet(salt), int(iterations), seq(oid(OIDS.hmacSha256), nul()))),
      seq(oid(OIDS.aes256cbc), octet(iv)),
    ),
  );
  return { algorithm, encrypted };
}

/**
 * A PKCS#12 file for any key type (node-forge's own writer only takes RSA keys): built with
 * forge.asn1, key bag encrypted with forge.pki.encryptPrivateKeyInfo, MAC with forge's
 * PKCS#12 key derivation.
 */
export function exportPkcs12(holder: TestCertificate, passphrase: string, o: Pkcs12Options = {}): Buffer {
  const iterations = o.iterations ?? 2048;
  const localKeyId = Buffer.from(holder.cert.fingerprint.slice(0, 40), 'hex');
  const attrs = set(
    seq(oid(OIDS.localKeyId), set(octet(localKeyId))),
    seq(oid(OIDS.friendlyName), set(bmp(o.friendlyName ?? 'clinician'))),
  );

  const keyInfo = fromDer(holder.key.pkcs8);
  const encryptedKey = forge.pki.encryptPrivateKeyInfo(
    keyInfo,
    o.keyEncryption === '3des' ? passphrase : forge.util.encodeUtf8(passphrase),
    {
      algorithm: o.keyEncryption ?? 'aes256',
      count: iterations,
      saltSize: 16,
      prfAlgorithm: 'sha256',
    } as forge.pki.EncryptionOptions,
  );
  const keyBag = seq(oid(OIDS.shroudedKeyBag), ctx(0, [encryptedKey]), attrs);

  const certBag = (c: TestCertificate, withAttrs: boolean) =>
    seq(oid(OIDS.certBag), ctx(0, [seq(oid(OIDS.x509Certificate), ctx(0, [octet(c.der)]))]), withAttrs ? attrs : null);
  const certContents = der(seq(certBag(holder, true), ...(o.chain ?? []).map((c) => certBag(c, false))));
  let certInfo: Node;
  if (o.encryptCertificates ?? true) {
    const { algorithm, encrypted } = pbes2Encrypt(certContents, passphrase, iterations);
    certInfo = seq(
      oid(OIDS.encryptedData),
      ctx(0, [seq(int(0), seq(oid(OIDS.data), algorithm, ctx(0, encrypted.toString('binary'))))]),
    );
  } else certInfo = contentInfoData(certContents);

  const authSafe = der(seq(certInfo, contentInfoData(der(seq(keyBag)))));
  const macHash = o.macHash ?? 'sha256';
  const macSalt = randomBytes(16);
  const md = macHash === 'sha1' ? forge.md.sha1.create() : forge.md.sha256.create();
  const macKey = forge.pkcs12.generateKey(
    passphrase,
    forge.util.createBuffer(macSalt.toString('binary')),
    3,
    iterations,
    macHash === 'sha1' ? 20 : 32,
    md,
  );
  const mac = createHmac(macHash, Buffer.from(macKey.getBytes(), 'binary')).update(authSafe).digest();
  const macData = seq(
    seq(seq(oid(macHash === 'sha1' ? OIDS.sha1 : OIDS.sha256), nul()), octet(mac)),
    octet(macSalt),
    int(o.macIterationsField ?? iterations),
  );
  return der(seq(int(3), contentInfoData(authSafe), macData));
}

/** node-forge's own PKCS#12 writer (RSA keys only): the format most forge-based tools produce. */
export function exportPkcs12WithForge(
  holder: TestCertificate,
  passphrase: string,
  chain: TestCertificate[] = [],
  algorithm: '3des' | 'aes256' = '3des',
): Buffer {
  const key = forge.pki.privateKeyFromPem(holder.key.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string);
  const certs = [holder, ...chain].map((c) => forge.pki.certificateFromPem(c.pem));
  const p12 = forge.pkcs12.toPkcs12Asn1(key, certs, passphrase, { algorithm, friendlyName: 'clinician' });
  return Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
}
