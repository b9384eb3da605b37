import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { bits, der, fromDer, int, nul, oid, seq, ctx, type Node } from './der';

export type KeySpec =
  | 'rsa1024'
  | 'rsa2048'
  | 'rsa3072'
  | 'rsa-pss2048'
  /** RSA-PSS keys whose SubjectPublicKeyInfo restricts them (RFC 4055 §3.1): hash, MGF1 hash, minimum salt. */
  | 'rsa-pss2048-sha384'
  | 'rsa-pss2048-sha512'
  | 'rsa-pss2048-sha256-mgf1-sha1'
  | 'rsa-pss2048-sha256-salt64'
  | 'p256'
  | 'p384'
  | 'p521'
  | 'secp256k1'
  | 'ed25519'
  | 'ed448';
export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface TestKey {
  spec: KeySpec;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SubjectPublicKeyInfo DER. */
  spki: Buffer;
  /** Unencrypted PKCS#8 DER. */
  pkcs8: Buffer;
}

/** An RSA-PSS key with parameters in its SPKI (@types/node types saltLength as a string; it is a number). */
function restrictedPss(hashAlgorithm: string, mgf1HashAlgorithm: string, saltLength: number) {
  return generateKeyPairSync('rsa-pss', {
    modulusLength: 2048,
    hashAlgorithm,
    mgf1HashAlgorithm,
    saltLength: saltLength as unknown as string,
  });
}

export function generateTestKey(spec: KeySpec): TestKey {
  const pair = (() => {
    switch (spec) {
      case 'rsa1024':
        return generateKeyPairSync('rsa', { modulusLength: 1024 });
      case 'rsa2048':
        return generateKeyPairSync('rsa', { modulusLength: 2048 });
      case 'rsa3072':
        return generateKeyPairSync('rsa', { modulusLength: 3072 });
      case 'rsa-pss2048':
        return generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
      case 'rsa-pss2048-sha384':
        return restrictedPss('sha384', 'sha384', 48);
      case 'rsa-pss2048-sha512':
        return restrictedPss('sha512', 'sha512', 64);
      case 'rsa-pss2048-sha256-mgf1-sha1':
        return restrictedPss('sha256', 'sha1', 32);
      case 'rsa-pss2048-sha256-salt64':
        return restrictedPss('sha256', 'sha256', 64);
      case 'p256':
        return generateKeyPairSync('ec', { namedCurve: 'P-256' });
      case 'p384':
        return generateKeyPairSync('ec', { namedCurve: 'P-384' });
      case 'p521':
        return generateKeyPairSync('ec', { namedCurve: 'P-521' });
      case 'secp256k1':
        return generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
      case 'ed25519':
        return generateKeyPairSync('ed25519');
      case 'ed448':
        return generateKeyPairSync('ed448');
    }
  })();
  return {
    spec,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    spki: pair.publicKey.export({ format: 'der', type: 'spki' }),
    pkcs8: pair.privateKey.export({ format: 'der', type: 'pkcs8' }),
  };
}

const pool = new Map<string, TestKey>();

/** A memoised key (RSA generation is slow): the same spec and slot give the same key in one process. */
export function testKey(spec: KeySpec, slot = 0): TestKey {
  const id = `${spec}#${slot}`;
  let k = pool.get(id);
  if (!k) {
    k = generateTestKey(spec);
    pool.set(id, k);
  }
  return k;
}

export function keyFromPkcs8(pkcs8: Buffer, spec: KeySpec): TestKey {
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey);
  return { spec, privateKey, publicKey, spki: publicKey.export({ format: 'der', type: 'spki' }), pkcs8 };
}

const HASH_OID: Record<HashName, string> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const RSA_SIG: Record<HashName, string> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};
const EC_SIG: Record<HashName, string> = {
  sha1: '1.2.840.10045.4.1',
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};
const SALT: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

export interface SignOptions {
  hash?: HashName;
  /** RSA-PSS with an RSA key (always PSS for rsa-pss keys). */
  pss?: boolean;
}

export function defaultHash(key: TestKey): HashName {
  const restricted = key.privateKey.asymmetricKeyDetails?.hashAlgorithm;
  if (restricted) return restricted as HashName;
  if (key.spec === 'p384') return 'sha384';
  if (key.spec === 'p521') return 'sha512';
  return 'sha256';
}

/** The AlgorithmIdentifier a signature by `key` will carry. */
export function signatureAlgorithm(key: TestKey, opts: SignOptions = {}): Node {
  const hash = opts.hash ?? defaultHash(key);
  const type = key.privateKey.asymmetricKeyType;
  if (type === 'rsa-pss' || (type === 'rsa' && opts.pss)) {
    const h = seq(oid(HASH_OID[hash]), nul());
    return seq(
      oid('1.2.840.113549.1.1.10'),
      seq(ctx(0, [h]), ctx(1, [seq(oid('1.2.840.113549.1.1.8'), h)]), ctx(2, [int(SALT[hash])])),
    );
  }
  if (type === 'rsa') return seq(oid(RSA_SIG[hash]), nul());
  if (type === 'ec') return seq(oid(EC_SIG[hash]));
  if (type === 'ed25519') return seq(oid('1.3.101.112'));
  throw new Error(`cannot sign with ${type}`);
}

export function signBytes(key: TestKey, data: Buffer, opts: SignOptions = {}): Buffer {
  const hash = opts.hash ?? defaultHash(key);
  const type = key.privateKey.asymmetricKeyType;
  if (type === 'rsa-pss' || (type === 'rsa' && opts.pss)) {
    return cryptoSign(hash, data, {
      key: key.privateKey,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: SALT[hash],
    });
  }
  if (type === 'ed25519') return cryptoSign(null, data, key.privateKey);
  return cryptoSign(hash, data, key.privateKey);
}

/** SEQUENCE { tbs, algorithm, BIT STRING signature } — certificates and CRLs alike. */
export function signStructure(
  tbs: Node,
  key: TestKey,
  opts: SignOptions & { corruptSignature?: boolean } = {},
): Buffer {
  const tbsDer = der(tbs);
  const sig = signBytes(key, tbsDer, opts);
  if (opts.corruptSignature) sig[sig.length - 5]! ^= 0x01;
  return der(seq(fromDer(tbsDer), signatureAlgorithm(key, opts), bits(sig)));
}
