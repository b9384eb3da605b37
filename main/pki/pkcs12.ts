import { createDecipheriv, createHmac, timingSafeEqual } from 'node:crypto';
import forge from 'node-forge';
import { WorkstationError } from '../../common/errors';
import {
  berOctets,
  children,
  integerBytes,
  isContext,
  isUniversal,
  oid,
  parseDer,
  sequence,
  smallInteger,
  toDerBuffer,
  Type,
  type Asn1,
} from './asn1';
import { parseAlgorithmIdentifier } from './algorithms';
import { bmpPassword, checkIterations, pbkdf2Key, type KdfHash } from './kdf';
import { pkcs12Kdf } from './kdf-pool';

/**
 * PKCS#12 (RFC 7292) reader. node-forge parses the ASN.1; the bags are walked here and handed
 * over as raw PKCS#8 and X.509 DER (Node's crypto imports RSA, EC and Ed25519 keys alike; forge's
 * own bag decoding only knows RSA). Key derivation never blocks the event loop (main/pki/kdf.ts):
 * PBKDF2 in Node's thread pool, the PKCS#12 KDF (MAC key, legacy PBE keys) in a worker thread
 * (main/pki/kdf-pool.ts); AES is
 * Node's, 3DES/RC2 (legacy, a few hundred bytes) node-forge's. Every iteration count is capped
 * (PKI_CREDENTIAL_ITERATIONS) before any work. The MAC is checked before anything is decrypted.
 */
const OIDS = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
};
const MAC_DIGESTS: Record<string, KdfHash> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const DIGEST_LENGTH: Record<KdfHash, number> = { sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
const PBKDF2_PRF: Record<string, KdfHash> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.8': 'sha224',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const PBES2_CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};
/** PKCS#12 PBE (RFC 7292 appendix C), SHA-1 KDF: key length, cipher. */
const PKCS12_PBE: Record<string, { keyLength: number; cipher: 'des-ede3-cbc' | 'rc2' }> = {
  '1.2.840.113549.1.12.1.3': { keyLength: 24, cipher: 'des-ede3-cbc' },
  '1.2.840.113549.1.12.1.5': { keyLength: 16, cipher: 'rc2' },
  '1.2.840.113549.1.12.1.6': { keyLength: 5, cipher: 'rc2' },
};

export interface Pkcs12Contents {
  keys: { pkcs8: Buffer; localKeyId: string | null }[];
  certificates: { der: Buffer; localKeyId: string | null }[];
}

const unsupported = (problem: string, cause?: unknown) =>
  new WorkstationError('PKI_CREDENTIAL_UNSUPPORTED_FORMAT', { problem }, { cause });
const wrongPassphrase = () => new WorkstationError('PKI_CREDENTIAL_WRONG_PASSPHRASE');

/** Whether the bytes look like a PFX (SEQUENCE { INTEGER 3, ContentInfo, ... }). */
export function looksLikePkcs12(bytes: Uint8Array): boolean {
  try {
    const [version, authSafe] = sequence(parseDer(bytes));
    return smallInteger(version) === 3 && oid(sequence(authSafe)[0]) === OIDS.data;
  } catch {
    return false;
  }
}

export async function readPkcs12(bytes: Uint8Array, passphrase: string): Promise<Pkcs12Contents> {
  let pfx: Asn1[];
  try {
    pfx = sequence(parseDer(bytes), 'PFX');
  } catch (e) {
    throw unsupported('not DER', e);
  }
  const [versionNode, authSafeInfo, macData] = pfx;
  if (smallInteger(versionNode) !== 3) throw unsupported('PFX version');
  const [contentType, content] = sequence(authSafeInfo, 'authSafe');
  if (oid(contentType) !== OIDS.data) throw unsupported('public-key integrity mode');
  const authSafe = berOctets(children(content)[0], 'authSafe content');

  if (!macData) throw unsupported('no MAC: refusing an unauthenticated PKCS#12');
  // The MAC first (the PKCS#12 KDF, in the KDF worker), then the bags (PBKDF2, in the thread
  // pool, in parallel): nothing is decrypted from a file whose MAC fails.
  await verifyMac(macData, authSafe, passphrase);
  const out: Pkcs12Contents = { keys: [], certificates: [] };
  const parts: Promise<void>[] = [];
  for (const info of sequence(parseDer(authSafe), 'AuthenticatedSafe')) {
    const [type, body] = sequence(info, 'ContentInfo');
    const t = oid(type);
    if (t === OIDS.data) parts.push(readSafeContents(berOctets(children(body)[0]), passphrase, out));
    else if (t === OIDS.encryptedData)
      parts.push(
        decryptEncryptedData(children(body)[0]!, passphrase).then((der) => readSafeContents(der, passphrase, out)),
      );
    else throw unsupported(`content type ${t}`);
  }
  const settled = await Promise.allSettled(parts);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return out;
}

function iterationCount(node: Asn1 | undefined): number {
  if (!node) return 1;
  const b = integerBytes(node, 'iterations');
  if (b[0]! & 0x80) throw unsupported('negative iteration count');
  // Over 7 octets cannot be a safe integer: reported as over the cap.
  const n = b.length > 7 ? Number.MAX_SAFE_INTEGER + 1 : b.reduce((x, y) => x * 256 + y, 0);
  checkIterations(n);
  return n;
}

async function verifyMac(macData: Asn1, authSafe: Buffer, passphrase: string): Promise<void> {
  const [digestInfo, saltNode, iterNode] = sequence(macData, 'MacData');
  const [algNode, digestNode] = sequence(digestInfo, 'DigestInfo');
  const alg = parseAlgorithmIdentifier(algNode).oid;
  const hash = MAC_DIGESTS[alg];
  if (!hash) throw unsupported(`MAC digest ${alg}`);
  const expected = berOctets(digestNode);
  const iterations = iterationCount(iterNode);
  const key = await pkcs12Kdf(bmpPassword(passphrase), berOctets(saltNode), 3, iterations, DIGEST_LENGTH[hash], hash);
  const actual = createHmac(hash, key).update(authSafe).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw wrongPassphrase();
}

/**
 * Decrypt with a password-based scheme: PBES2 (PBKDF2 + AES-CBC / 3DES; RFC 8018) or the
 * PKCS#12 PBE (3DES, RC2). Used for PKCS#12 bags and for encrypted PKCS#8 (PEM).
 * PBES2 takes the passphrase as bytes: UTF-8 for OpenSSL and Windows; node-forge's own PKCS#12
 * writer uses the string's low bytes, so with `alsoLowBytes` that form is tried second (the
 * PKCS#12 MAC proves the passphrase either way). A wrong passphrase shows as bad padding.
 */
export async function decryptPbe(
  algorithmNode: Asn1,
  encrypted: Buffer,
  passphrase: string,
  o: { alsoLowBytes: boolean },
): Promise<Buffer> {
  const [algOid, params] = sequence(algorithmNode, 'encryption algorithm');
  const id = oid(algOid);
  if (id === OIDS.pbes2) {
    const [kdf, scheme] = sequence(params, 'PBES2-params');
    const [kdfOid, kdfParams] = sequence(kdf, 'keyDerivationFunc');
    if (oid(kdfOid) !== OIDS.pbkdf2) throw unsupported(`key derivation ${oid(kdfOid)}`);
    const [saltNode, iterNode, ...rest] = sequence(kdfParams, 'PBKDF2-params');
    if (!isUniversal(saltNode, Type.OCTETSTRING)) throw unsupported('PBKDF2 salt source');
    const iterations = iterationCount(iterNode);
    let keyLength: number | null = null;
    let prf: KdfHash = 'sha1';
    for (const field of rest) {
      if (isUniversal(field, Type.INTEGER)) keyLength = smallInteger(field, 'keyLength');
      else {
        const p = PBKDF2_PRF[parseAlgorithmIdentifier(field, 'prf').oid];
        if (!p) throw unsupported('PBKDF2 prf');
        prf = p;
      }
    }
    const [cipherOid, ivNode] = sequence(scheme, 'encryptionScheme');
    const cipher = PBES2_CIPHERS[oid(cipherOid)];
    if (!cipher) throw unsupported(`encryption ${oid(cipherOid)}`);
    if (keyLength !== null && keyLength !== cipher.keyLength) throw unsupported('PBES2 key length');
    const iv = berOctets(ivNode, 'IV');
    const passwords = [Buffer.from(passphrase, 'utf8')];
    const low = Buffer.from(passphrase, 'latin1');
    if (o.alsoLowBytes && !low.equals(passwords[0]!)) passwords.push(low);
    for (const password of passwords) {
      const key = await pbkdf2Key(password, berOctets(saltNode), iterations, cipher.keyLength, prf);
      const plain = cipher.name.startsWith('aes')
        ? aesCbc(cipher.name, key, iv, encrypted)
        : forgeCbc('3DES-CBC', key, iv, encrypted);
      if (plain) return plain;
    }
    throw wrongPassphrase();
  }
  const pbe = PKCS12_PBE[id];
  if (!pbe) throw unsupported(`encryption ${id}`);
  const [saltNode, iterNode] = sequence(params, 'pkcs-12PbeParams');
  const iterations = iterationCount(iterNode);
  const salt = berOctets(saltNode);
  const password = bmpPassword(passphrase);
  const [key, iv] = await Promise.all([
    pkcs12Kdf(password, salt, 1, iterations, pbe.keyLength, 'sha1'),
    pkcs12Kdf(password, salt, 2, iterations, 8, 'sha1'),
  ]);
  const plain = pbe.cipher === 'rc2' ? rc2Cbc(key, iv, encrypted) : forgeCbc('3DES-CBC', key, iv, encrypted);
  if (!plain) throw wrongPassphrase();
  return plain;
}

function aesCbc(name: string, key: Buffer, iv: Buffer, data: Buffer): Buffer | null {
  try {
    const d = createDecipheriv(name, key, iv);
    return Buffer.concat([d.update(data), d.final()]);
  } catch {
    return null; // bad padding: wrong key
  }
}

function forgeCbc(name: '3DES-CBC', key: Buffer, iv: Buffer, data: Buffer): Buffer | null {
  const d = forge.cipher.createDecipher(name, forge.util.createBuffer(key.toString('binary')));
  d.start({ iv: forge.util.createBuffer(iv.toString('binary')) });
  d.update(forge.util.createBuffer(data.toString('binary')));
  return d.finish() ? Buffer.from(d.output.getBytes(), 'binary') : null;
}

function rc2Cbc(key: Buffer, iv: Buffer, data: Buffer): Buffer | null {
  const d = forge.rc2.createDecryptionCipher(forge.util.createBuffer(key.toString('binary')), key.length * 8);
  d.start(forge.util.createBuffer(iv.toString('binary')));
  d.update(forge.util.createBuffer(data.toString('binary')));
  return d.finish() ? Buffer.from(d.output.getBytes(), 'binary') : null;
}

async function decryptEncryptedData(node: Asn1, passphrase: string): Promise<Buffer> {
  const [, encryptedContentInfo] = sequence(node, 'EncryptedData');
  const [contentType, algorithm, encrypted] = sequence(encryptedContentInfo, 'EncryptedContentInfo');
  if (oid(contentType) !== OIDS.data) throw unsupported('encrypted content type');
  if (!isContext(encrypted, 0)) throw unsupported('encrypted content missing');
  return decryptPbe(algorithm!, berOctets(encrypted), passphrase, { alsoLowBytes: true });
}

function localKeyIdOf(attrs: Asn1 | undefined): string | null {
  if (!attrs) return null;
  for (const attr of children(attrs)) {
    const [type, values] = sequence(attr);
    if (oid(type) === OIDS.localKeyId) return berOctets(children(values)[0]).toString('hex');
  }
  return null;
}

async function readSafeContents(der: Buffer, passphrase: string, out: Pkcs12Contents): Promise<void> {
  const pending: Promise<void>[] = [];
  for (const bag of sequence(parseDer(der), 'SafeContents')) {
    const [bagId, bagValue, attrs] = sequence(bag, 'SafeBag');
    const value = children(bagValue)[0]!;
    const localKeyId = localKeyIdOf(attrs);
    switch (oid(bagId)) {
      case OIDS.keyBag:
        out.keys.push({ pkcs8: toDerBuffer(value), localKeyId });
        break;
      case OIDS.shroudedKeyBag: {
        const [algorithm, encrypted] = sequence(value, 'EncryptedPrivateKeyInfo');
        pending.push(
          decryptPbe(algorithm!, berOctets(encrypted), passphrase, { alsoLowBytes: true }).then(
            (pkcs8) => void out.keys.push({ pkcs8, localKeyId }),
          ),
        );
        break;
      }
      case OIDS.certBag: {
        const [certType, certValue] = sequence(value, 'CertBag');
        if (oid(certType) === OIDS.x509Certificate)
          out.certificates.push({ der: berOctets(children(certValue)[0]), localKeyId });
        break;
      }
      case OIDS.safeContentsBag:
        pending.push(readSafeContents(toDerBuffer(value), passphrase, out));
        break;
      default:
        break; // CRL and secret bags carry nothing a clinician credential needs
    }
  }
  const settled = await Promise.allSettled(pending);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
