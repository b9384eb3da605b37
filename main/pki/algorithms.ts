import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { WorkstationError } from '../../common/errors';
import { Asn1Error, children, isContext, oid, sequence, smallInteger, toDerBuffer, type Asn1 } from './asn1';

/**
 * Signature algorithms. node-forge parses the AlgorithmIdentifier; the verification itself is
 * always done by Node's crypto (OpenSSL): one native code path for RSA PKCS#1 v1.5, RSA-PSS,
 * ECDSA and Ed25519, where node-forge could only do RSA, in slower JavaScript.
 */
export interface AlgorithmIdentifier {
  oid: string;
  /** DER of the parameters, or null when absent. */
  params: Asn1 | null;
  /** DER of the whole AlgorithmIdentifier (to compare the inner and outer copies). */
  der: Buffer;
}

export type HashName = 'sha256' | 'sha384' | 'sha512' | 'sha224';

export type SignatureScheme =
  | { kind: 'rsa-pkcs1'; hash: HashName; name: string }
  | { kind: 'rsa-pss'; hash: HashName; saltLength: number; name: string }
  | { kind: 'ecdsa'; hash: HashName; name: string }
  | { kind: 'ed25519'; name: string };

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaPss: '1.2.840.113549.1.1.10',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const RSA_PKCS1: Record<string, HashName | 'weak'> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.5': 'weak',
  '1.2.840.113549.1.1.4': 'weak',
  '1.2.840.113549.1.1.2': 'weak',
  '1.3.14.3.2.29': 'weak',
};
const ECDSA: Record<string, HashName | 'weak'> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.1': 'weak',
};
const WEAK_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.3.14.3.2.29': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
};
const HASHES: Record<string, HashName | 'weak'> = {
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
  [OID.sha224]: 'sha224',
  [OID.sha1]: 'weak',
  '1.2.840.113549.2.5': 'weak',
};
const HASH_LENGTH: Record<HashName, number> = { sha224: 28, sha256: 32, sha384: 48, sha512: 64 };

export function parseAlgorithmIdentifier(node: Asn1 | undefined, what = 'AlgorithmIdentifier'): AlgorithmIdentifier {
  const [o, params, ...rest] = sequence(node, what);
  if (rest.length) throw new Asn1Error(`${what}: extra fields`);
  return { oid: oid(o, what), params: params ?? null, der: toDerBuffer(node!) };
}

function isNullOrAbsent(p: Asn1 | null): boolean {
  return p === null || (p.type === 5 && p.tagClass === 0);
}

/** The scheme for a signature AlgorithmIdentifier; typed errors for weak and unknown ones. */
export function signatureScheme(alg: AlgorithmIdentifier): SignatureScheme {
  const weak = (name: string) => new WorkstationError('PKI_WEAK_ALGORITHM', { algorithm: name });
  const rsa = RSA_PKCS1[alg.oid];
  if (rsa === 'weak') throw weak(WEAK_NAMES[alg.oid] ?? alg.oid);
  if (rsa) {
    if (!isNullOrAbsent(alg.params))
      throw new WorkstationError('PKI_MALFORMED_CERTIFICATE', { subject: 'algorithm parameters' });
    return { kind: 'rsa-pkcs1', hash: rsa, name: `${rsa}WithRSAEncryption` };
  }
  const ec = ECDSA[alg.oid];
  if (ec === 'weak') throw weak(WEAK_NAMES[alg.oid] ?? alg.oid);
  if (ec) return { kind: 'ecdsa', hash: ec, name: `ecdsa-with-${ec.toUpperCase()}` };
  if (alg.oid === OID.ed25519) return { kind: 'ed25519', name: 'Ed25519' };
  if (alg.oid === OID.rsaPss) return pssScheme(alg.params);
  if (WEAK_NAMES[alg.oid]) throw weak(WEAK_NAMES[alg.oid]!);
  throw new WorkstationError('PKI_UNSUPPORTED_ALGORITHM', { algorithm: alg.oid });
}

function pssScheme(params: Asn1 | null): SignatureScheme {
  // RFC 4055 defaults are SHA-1 everywhere, which is refused as weak.
  let hashOid: string = OID.sha1;
  let mgfHashOid: string = OID.sha1;
  let saltLength = 20;
  if (params === null) throw new WorkstationError('PKI_WEAK_ALGORITHM', { algorithm: 'RSASSA-PSS/SHA-1' });
  for (const field of sequence(params, 'RSASSA-PSS-params')) {
    const inner = children(field)[0];
    if (isContext(field, 0)) hashOid = parseAlgorithmIdentifier(inner, 'PSS hash').oid;
    else if (isContext(field, 1)) {
      const mgf = parseAlgorithmIdentifier(inner, 'PSS mask generation');
      if (mgf.oid !== OID.mgf1 || !mgf.params)
        throw new WorkstationError('PKI_UNSUPPORTED_ALGORITHM', { algorithm: `RSASSA-PSS mask ${mgf.oid}` });
      mgfHashOid = parseAlgorithmIdentifier(mgf.params, 'MGF1 hash').oid;
    } else if (isContext(field, 2)) saltLength = smallInteger(inner, 'PSS salt length');
    else if (isContext(field, 3)) {
      if (smallInteger(inner, 'PSS trailer') !== 1)
        throw new WorkstationError('PKI_UNSUPPORTED_ALGORITHM', { algorithm: 'RSASSA-PSS trailer' });
    } else throw new Asn1Error('RSASSA-PSS-params: unexpected field');
  }
  const hash = HASHES[hashOid];
  const mgfHash = HASHES[mgfHashOid];
  if (hash === 'weak' || mgfHash === 'weak')
    throw new WorkstationError('PKI_WEAK_ALGORITHM', { algorithm: 'RSASSA-PSS/SHA-1' });
  if (!hash || hash !== mgfHash)
    throw new WorkstationError('PKI_UNSUPPORTED_ALGORITHM', { algorithm: `RSASSA-PSS ${hashOid}/${mgfHashOid}` });
  if (saltLength > HASH_LENGTH[hash] * 2)
    throw new WorkstationError('PKI_UNSUPPORTED_ALGORITHM', { algorithm: 'RSASSA-PSS salt length' });
  return { kind: 'rsa-pss', hash, saltLength, name: `RSASSA-PSS/${hash.toUpperCase()}` };
}

/** Verify `signature` over `data` with an issuer's public key. False on any mismatch of key and scheme. */
export function verifySignature(scheme: SignatureScheme, data: Buffer, signature: Buffer, key: KeyObject): boolean {
  const keyType = key.asymmetricKeyType;
  try {
    switch (scheme.kind) {
      case 'rsa-pkcs1':
        if (keyType !== 'rsa') return false;
        return cryptoVerify(scheme.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        if (keyType !== 'rsa' && keyType !== 'rsa-pss') return false;
        return cryptoVerify(
          scheme.hash,
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.saltLength },
          signature,
        );
      case 'ecdsa':
        if (keyType !== 'ec') return false;
        return cryptoVerify(scheme.hash, data, { key, dsaEncoding: 'der' }, signature);
      case 'ed25519':
        if (keyType !== 'ed25519') return false;
        return cryptoVerify(null, data, key, signature);
    }
  } catch {
    return false;
  }
}

export const MIN_RSA_BITS = 2048;
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/** Describe a public key and refuse weak or unsupported ones (typed errors). */
export function describePublicKey(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = d.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) throw new WorkstationError('PKI_WEAK_KEY', { bits });
      return `RSA-${bits}`;
    }
    case 'ec': {
      const curve = CURVES[d.namedCurve ?? ''];
      if (!curve)
        throw new WorkstationError('PKI_UNSUPPORTED_ALGORITHM', { algorithm: `EC ${d.namedCurve ?? 'unknown curve'}` });
      return `EC ${curve}`;
    }
    case 'ed25519':
      return 'Ed25519';
    default:
      throw new WorkstationError('PKI_UNSUPPORTED_ALGORITHM', { algorithm: key.asymmetricKeyType ?? 'unknown key' });
  }
}
