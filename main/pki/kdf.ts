import { hash as digestOnce, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { WorkstationError } from '../../common/errors';

/**
 * Key derivation for credential files without blocking the main thread (in Electron, the
 * window's event loop). PBKDF2 (PBES2 in PKCS#12 and encrypted PKCS#8) runs in Node's native
 * thread pool (`crypto.pbkdf2`). The PKCS#12 KDF (RFC 7292 appendix B: the MAC key, and keys of
 * the legacy PKCS#12 PBE ciphers) has no native Node API: pkcs12KdfSync computes it with Node's
 * own digests (OpenSSL's), and main/pki/kdf-pool.ts runs it in a worker thread.
 */
export const MAX_KDF_ITERATIONS = 2_000_000;

/** PKI_CREDENTIAL_ITERATIONS before any work for a count over the cap (or not positive). */
export function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_KDF_ITERATIONS) {
    throw new WorkstationError('PKI_CREDENTIAL_ITERATIONS', {
      iterations: Number.isSafeInteger(iterations) ? iterations : 'too many',
      limit: MAX_KDF_ITERATIONS,
    });
  }
}

const pbkdf2Async = promisify(pbkdf2);

export type KdfHash = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** PBKDF2 in the thread pool. */
export async function pbkdf2Key(
  password: Buffer,
  salt: Buffer,
  iterations: number,
  keyLength: number,
  hash: KdfHash,
): Promise<Buffer> {
  checkIterations(iterations);
  return pbkdf2Async(password, salt, iterations, keyLength, hash);
}

const HASH = {
  sha1: { u: 20, v: 64 },
  sha224: { u: 28, v: 64 },
  sha256: { u: 32, v: 64 },
  sha384: { u: 48, v: 128 },
  sha512: { u: 64, v: 128 },
} as const;

/** The PKCS#12 passphrase encoding (RFC 7292 B.1): BMPString (UTF-16BE code units) and a two-byte zero terminator, as OpenSSL and node-forge write it. */
export function bmpPassword(passphrase: string): Buffer {
  const out = Buffer.alloc((passphrase.length + 1) * 2);
  for (let i = 0; i < passphrase.length; i++) out.writeUInt16BE(passphrase.charCodeAt(i), i * 2);
  return out;
}

function repeatTo(source: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = source[i % source.length]!;
  return out;
}

/**
 * RFC 7292 B.2, synchronously (it holds its thread for the whole derivation: call it in a worker,
 * main/pki/kdf-pool.ts). `id` 1 = key, 2 = IV, 3 = MAC key; `password` is the BMP encoding
 * (bmpPassword). Returns `length` bytes.
 */
export function pkcs12KdfSync(
  password: Uint8Array,
  salt: Uint8Array,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
  hash: KdfHash,
): Buffer {
  checkIterations(iterations);
  const { u, v } = HASH[hash];
  const D = Buffer.alloc(v, id);
  const S = salt.length ? repeatTo(salt, v * Math.ceil(salt.length / v)) : Buffer.alloc(0);
  const P = password.length ? repeatTo(password, v * Math.ceil(password.length / v)) : Buffer.alloc(0);
  const I = Buffer.concat([S, P]);
  const blocks = Math.ceil(length / u);
  const out: Buffer[] = [];
  for (let i = 0; i < blocks; i++) {
    const A = rehash(digestOnce(hash, Buffer.concat([D, I]), 'buffer'), iterations - 1, hash);
    out.push(A);
    if (i + 1 < blocks) {
      const B = repeatTo(A, v);
      for (let j = 0; j < I.length; j += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = I[j + k]! + B[k]! + carry;
          I[j + k] = sum & 0xff;
          carry = sum >> 8;
        }
      }
    }
  }
  return Buffer.concat(out).subarray(0, length);
}

/**
 * `digest` hashed `times` more times with Node's one-shot digest. The loop keeps one buffer and
 * takes each digest as a latin1 string written back into it: no allocation per iteration, about
 * a third of createHash().update().digest()'s cost per call (~0.35-0.5 µs against ~1.5 µs for a
 * 32-byte SHA-256), which is what keeps a 600,000-iteration MAC near OpenSSL's own time.
 */
function rehash(digest: Buffer, times: number, hash: KdfHash): Buffer {
  const buf = Buffer.from(digest);
  for (let i = 0; i < times; i++) buf.write(digestOnce(hash, buf, 'binary'), 0, 'latin1');
  return buf;
}
