import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { WorkstationError } from '../../common/errors';
import { Asn1Error, octets, parseDer, pemBlocks, sequence } from './asn1';
import { parseCertificate, type Certificate } from './certificate';
import { clinicianIdentity, type ClinicianIdentity, type IdentityOptions } from './identity';
import { decryptPbe, looksLikePkcs12, readPkcs12 } from './pkcs12';
import { describePublicKey } from './algorithms';
import { jwsSign, preferredJwsAlgorithm, type JwsAlgorithm } from './signing';

/**
 * A clinician's credential, in main-process memory only. The private key is a Node KeyObject
 * held in a private field: it is never serialised (toJSON, inspect and logging show only the
 * certificate) and `dispose()` drops it on sign-out or lock. After disposal every use throws
 * NOT_SIGNED_IN.
 */
export class ClinicianCredential {
  #key: KeyObject | null;
  readonly certificate: Certificate;
  /** Other certificates that came with the credential (its chain, as supplied). */
  readonly chain: readonly Certificate[];
  readonly format: 'pkcs12' | 'pem';
  /** The JOSE algorithm this key signs additions with (main/pki/signing.ts). */
  readonly signingAlgorithm: JwsAlgorithm;

  /** Throws PKI_WEAK_KEY / PKI_UNSUPPORTED_ALGORITHM / PKI_CREDENTIAL_CANNOT_SIGN for a key that could not sign an addition. */
  constructor(key: KeyObject, certificate: Certificate, chain: Certificate[], format: 'pkcs12' | 'pem') {
    describePublicKey(key);
    this.signingAlgorithm = preferredJwsAlgorithm(key);
    this.#key = key;
    this.certificate = certificate;
    this.chain = chain;
    this.format = format;
  }

  get disposed(): boolean {
    return this.#key === null;
  }

  identity(o: IdentityOptions = {}): ClinicianIdentity {
    return clinicianIdentity(this.certificate, o);
  }

  /** The key for TLS client authentication or signing; callers must not keep it. */
  privateKey(): KeyObject {
    if (!this.#key) throw new WorkstationError('NOT_SIGNED_IN');
    return this.#key;
  }

  /** Sign with the clinician's key as `signingAlgorithm` (JOSE form: raw r||s for ECDSA). */
  sign(data: Uint8Array): Buffer {
    return jwsSign(this.signingAlgorithm, this.privateKey(), data);
  }

  /** Drop the private key. Node cannot wipe a KeyObject's memory; dropping the only reference is what is possible. */
  dispose(): void {
    this.#key = null;
  }

  toJSON(): { subject: string; fingerprint: string; disposed: boolean } {
    return {
      subject: this.certificate.subject.text,
      fingerprint: this.certificate.fingerprint,
      disposed: this.disposed,
    };
  }

  [inspect.custom](): string {
    return `ClinicianCredential(${this.certificate.subject.text}${this.disposed ? ', disposed' : ''})`;
  }
}

/**
 * Load a PKCS#12 (.p12/.pfx) or PEM (certificate + private key, optionally encrypted) credential.
 * Async: the key derivation (PBKDF2, the PKCS#12 KDF) never blocks the event loop; iteration
 * counts over MAX_KDF_ITERATIONS are refused (PKI_CREDENTIAL_ITERATIONS) before any work.
 */
export async function loadClinicianCredential(bytes: Uint8Array, passphrase: string): Promise<ClinicianCredential> {
  const text = Buffer.from(bytes).toString('latin1');
  try {
    if (text.includes('-----BEGIN')) return await loadPem(text, passphrase);
    if (looksLikePkcs12(bytes)) return await loadPkcs12(bytes, passphrase);
  } catch (e) {
    if (e instanceof WorkstationError) throw e;
    throw new WorkstationError(
      'PKI_CREDENTIAL_UNSUPPORTED_FORMAT',
      { problem: e instanceof Asn1Error ? e.message : 'unreadable' },
      { cause: e },
    );
  }
  throw new WorkstationError('PKI_CREDENTIAL_UNSUPPORTED_FORMAT', { problem: 'neither PKCS#12 nor PEM' });
}

async function loadPkcs12(bytes: Uint8Array, passphrase: string): Promise<ClinicianCredential> {
  const contents = await readPkcs12(bytes, passphrase);
  if (contents.keys.length !== 1)
    throw new WorkstationError('PKI_CREDENTIAL_UNSUPPORTED_FORMAT', {
      problem: `${contents.keys.length} private keys`,
    });
  const entry = contents.keys[0]!;
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: entry.pkcs8, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new WorkstationError('PKI_CREDENTIAL_UNSUPPORTED_FORMAT', { problem: 'private key type' }, { cause: e });
  }
  const certs = contents.certificates.map((c) => ({ cert: parseCertificate(c.der), localKeyId: c.localKeyId }));
  return assemble(
    key,
    certs.map((c) => c.cert),
    'pkcs12',
  );
}

async function loadPem(text: string, passphrase: string): Promise<ClinicianCredential> {
  const certs = pemBlocks(text, ['CERTIFICATE']).map((b) => parseCertificate(b.der));
  const keyBlocks = pemBlocks(text, ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
  if (keyBlocks.length !== 1)
    throw new WorkstationError('PKI_CREDENTIAL_UNSUPPORTED_FORMAT', { problem: `${keyBlocks.length} private keys` });
  const block = keyBlocks[0]!;
  const encrypted = block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/i.test(block.headers);
  const pem = text.slice(
    text.indexOf(`-----BEGIN ${block.label}-----`),
    text.indexOf(`-----END ${block.label}-----`) + `-----END ${block.label}-----`.length,
  );
  let key: KeyObject;
  if (block.label === 'ENCRYPTED PRIVATE KEY') {
    // PKCS#8 EncryptedPrivateKeyInfo: derived off the main thread, decrypted, then imported.
    const [algorithm, data] = sequence(parseDer(block.der), 'EncryptedPrivateKeyInfo');
    const pkcs8 = await decryptPbe(algorithm!, octets(data, 'encryptedData'), passphrase, { alsoLowBytes: false });
    try {
      key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    } catch (e) {
      // Decrypted with good padding by chance under a wrong passphrase, or not a key.
      throw new WorkstationError('PKI_CREDENTIAL_WRONG_PASSPHRASE', undefined, { cause: e });
    }
  } else {
    // Unencrypted, or legacy "Proc-Type: 4,ENCRYPTED" PEM (EVP_BytesToKey, one MD5 round: no work to move).
    try {
      key = createPrivateKey(encrypted ? { key: pem, format: 'pem', passphrase } : { key: pem, format: 'pem' });
    } catch (e) {
      if (encrypted) throw new WorkstationError('PKI_CREDENTIAL_WRONG_PASSPHRASE', undefined, { cause: e });
      throw new WorkstationError(
        'PKI_CREDENTIAL_UNSUPPORTED_FORMAT',
        { problem: 'private key unreadable' },
        { cause: e },
      );
    }
  }
  return assemble(key, certs, 'pem');
}

/** The certificate is the one whose public key matches the private key; the rest is its chain. */
function assemble(key: KeyObject, certs: Certificate[], format: 'pkcs12' | 'pem'): ClinicianCredential {
  if (!certs.length) throw new WorkstationError('PKI_CREDENTIAL_UNSUPPORTED_FORMAT', { problem: 'no certificate' });
  const publicDer = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const own = certs.find((c) => c.publicKey && c.publicKey.export({ format: 'der', type: 'spki' }).equals(publicDer));
  if (!own) throw new WorkstationError('PKI_CREDENTIAL_KEY_MISMATCH', { subject: certs[0]!.subject.text });
  return new ClinicianCredential(
    key,
    own,
    certs.filter((c) => c !== own),
    format,
  );
}
