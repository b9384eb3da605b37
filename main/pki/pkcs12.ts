import { timingSafeEqual } from 'node:crypto';
import forge from 'node-forge';
import { WorkstationError } from '../../common/errors';
import { berOctets, children, integerBytes, isContext, oid, parseDer, sequence, smallInteger, toDerBuffer, type Asn1 } from './asn1';
import { parseAlgorithmIdentifier } from './algorithms';

/**
 * PKCS#12 (RFC 7292) reader. node-forge parses the ASN.1, derives the MAC key and decrypts
 * (PBES2/AES, PKCS#12 3DES/RC2), but its own bag decoding turns keys and certificates into
 * forge objects, which only exist for RSA. So the bags are walked here and handed over as raw
 * PKCS#8 and X.509 DER: Node's crypto imports RSA and EC keys alike.
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
};
const MAC_DIGESTS: Record<string, () => forge.md.MessageDigest> = {
  '1.3.14.3.2.26': () => forge.md.sha1.create(),
  '2.16.840.1.101.3.4.2.1': () => forge.md.sha256.create(),
  '2.16.840.1.101.3.4.2.2': () => forge.md.sha384.create(),
  '2.16.840.1.101.3.4.2.3': () => forge.md.sha512.create(),
};

export interface Pkcs12Contents {
  keys: { pkcs8: Buffer; localKeyId: string | null }[];
  certificates: { der: Buffer; localKeyId: string | null }[];
}

const unsupported = (problem: string, cause?: unknown) => new WorkstationError('PKI_CREDENTIAL_UNSUPPORTED_FORMAT', { problem }, { cause });
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

export function readPkcs12(bytes: Uint8Array, passphrase: string): Pkcs12Contents {
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
  verifyMac(macData, authSafe, passphrase);

  const out: Pkcs12Contents = { keys: [], certificates: [] };
  for (const info of sequence(parseDer(authSafe), 'AuthenticatedSafe')) {
    const [type, body] = sequence(info, 'ContentInfo');
    const t = oid(type);
    if (t === OIDS.data) readSafeContents(berOctets(children(body)[0]), passphrase, out);
    else if (t === OIDS.encryptedData) readSafeContents(decryptEncryptedData(children(body)[0]!, passphrase), passphrase, out);
    else throw unsupported(`content type ${t}`);
  }
  return out;
}

function verifyMac(macData: Asn1, authSafe: Buffer, passphrase: string): void {
  const [digestInfo, saltNode, iterNode] = sequence(macData, 'MacData');
  const [algNode, digestNode] = sequence(digestInfo, 'DigestInfo');
  const alg = parseAlgorithmIdentifier(algNode).oid;
  const makeMd = MAC_DIGESTS[alg];
  if (!makeMd) throw unsupported(`MAC digest ${alg}`);
  const expected = berOctets(digestNode);
  const iterations = iterNode ? integerBytes(iterNode).reduce((n, x) => n * 256 + x, 0) : 1;
  if (iterations < 1 || iterations > 10_000_000) throw unsupported('MAC iterations');
  const md = makeMd();
  const key = forge.pkcs12.generateKey(passphrase, forge.util.createBuffer(berOctets(saltNode).toString('binary')), 3, iterations, md.digestLength, md);
  const hmac = forge.hmac.create();
  hmac.start(makeMd(), key);
  hmac.update(authSafe.toString('binary'));
  const actual = Buffer.from(hmac.digest().getBytes(), 'binary');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw wrongPassphrase();
}

type PbeModule = { getCipher(oid: string, params: Asn1, password: string): forge.cipher.BlockCipher };

/**
 * PKCS#12 PBE takes the passphrase as a BMPString (forge converts the JS string). PBES2 takes
 * bytes: UTF-8 for OpenSSL and Windows; node-forge's own writer uses the string's low bytes, so
 * that form is tried second (the MAC has already proved the passphrase).
 */
function decrypt(algorithmNode: Asn1, encrypted: Buffer, passphrase: string): Buffer {
  const [algOid, params] = sequence(algorithmNode, 'encryption algorithm');
  const id = oid(algOid);
  const pbe = (forge.pki as unknown as { pbe: PbeModule }).pbe;
  const passwords = id === OIDS.pbes2 ? [...new Set([forge.util.encodeUtf8(passphrase), passphrase])] : [passphrase];
  for (const password of passwords) {
    let cipher: forge.cipher.BlockCipher;
    try {
      cipher = pbe.getCipher(id, params!, password);
    } catch (e) {
      throw unsupported(`encryption ${id}`, e);
    }
    cipher.update(forge.util.createBuffer(encrypted.toString('binary')));
    if (cipher.finish()) return Buffer.from(cipher.output.getBytes(), 'binary');
  }
  throw wrongPassphrase();
}

function decryptEncryptedData(node: Asn1, passphrase: string): Buffer {
  const [, encryptedContentInfo] = sequence(node, 'EncryptedData');
  const [contentType, algorithm, encrypted] = sequence(encryptedContentInfo, 'EncryptedContentInfo');
  if (oid(contentType) !== OIDS.data) throw unsupported('encrypted content type');
  if (!isContext(encrypted, 0)) throw unsupported('encrypted content missing');
  return decrypt(algorithm!, berOctets(encrypted), passphrase);
}

function localKeyIdOf(attrs: Asn1 | undefined): string | null {
  if (!attrs) return null;
  for (const attr of children(attrs)) {
    const [type, values] = sequence(attr);
    if (oid(type) === OIDS.localKeyId) return berOctets(children(values)[0]).toString('hex');
  }
  return null;
}

function readSafeContents(der: Buffer, passphrase: string, out: Pkcs12Contents): void {
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
        out.keys.push({ pkcs8: decrypt(algorithm!, berOctets(encrypted), passphrase), localKeyId });
        break;
      }
      case OIDS.certBag: {
        const [certType, certValue] = sequence(value, 'CertBag');
        if (oid(certType) === OIDS.x509Certificate) out.certificates.push({ der: berOctets(children(certValue)[0]), localKeyId });
        break;
      }
      case OIDS.safeContentsBag:
        readSafeContents(toDerBuffer(value), passphrase, out);
        break;
      default:
        break; // CRL and secret bags carry nothing a clinician credential needs
    }
  }
}
