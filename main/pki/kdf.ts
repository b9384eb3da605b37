import { createHash, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { WorkstationError } from '../../common/errors';

/**
 * Key derivation for credential files without blocking the main thread (in Electron, the
 * window's event loop). PBKDF2 (PBES2 in PKCS#12 and encrypted PKCS#8) runs in Node's native
 * thread pool (`crypto.pbkdf2`). The PKCS#12 KDF (RFC 7292 appendix B: the MAC key, and keys of
 * the legacy PKCS#12 PBE ciphers) has no native Node API: it is computed here, a few milliseconds
 * at a time between turns of the event loop, with a specialised SHA-1 / SHA-256 for its inner
 * loop (re-hashing one digest; a general hash call costs ~5 µs, this ~0.3 µs). SHA-384/512 use
 * Node's hash per iteration (slower, still in slices).
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

/** Time between yields to the event loop, and the work done between two looks at the clock. */
const SLICE_MS = 8;
const CHUNK_FAST = 256;
const CHUNK_SLOW = 16;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `step(n)` for `total` units, yielding to the event loop every SLICE_MS (time-based: cold, unoptimised code runs slices as short as hot code). */
async function sliced(total: number, chunk: number, step: (n: number) => void): Promise<void> {
  let done = 0;
  while (done < total) {
    const until = performance.now() + SLICE_MS;
    do {
      const n = Math.min(chunk, total - done);
      step(n);
      done += n;
    } while (done < total && performance.now() < until);
    if (done < total) await yieldToLoop();
  }
}

/** The PKCS#12 passphrase encoding (RFC 7292 B.1): BMPString (UTF-16BE code units) and a two-byte zero terminator, as OpenSSL and node-forge write it. */
export function bmpPassword(passphrase: string): Buffer {
  const out = Buffer.alloc((passphrase.length + 1) * 2);
  for (let i = 0; i < passphrase.length; i++) out.writeUInt16BE(passphrase.charCodeAt(i), i * 2);
  return out;
}

function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = source[i % source.length]!;
  return out;
}

/**
 * RFC 7292 B.2: `id` 1 = key, 2 = IV, 3 = MAC key. `password` is the BMP encoding
 * (bmpPassword). Resolves with `length` bytes; yields to the event loop while it works.
 */
export async function pkcs12Kdf(
  password: Buffer,
  salt: Buffer,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
  hash: KdfHash,
): Promise<Buffer> {
  checkIterations(iterations);
  const { u, v } = HASH[hash];
  const D = Buffer.alloc(v, id);
  const S = salt.length ? repeatTo(salt, v * Math.ceil(salt.length / v)) : Buffer.alloc(0);
  const P = password.length ? repeatTo(password, v * Math.ceil(password.length / v)) : Buffer.alloc(0);
  const I = Buffer.concat([S, P]);
  const blocks = Math.ceil(length / u);
  const out: Buffer[] = [];
  for (let i = 0; i < blocks; i++) {
    const A = await rehash(createHash(hash).update(D).update(I).digest(), iterations - 1, hash);
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

/** `digest` hashed `times` more times with `hash`. */
async function rehash(digest: Buffer, times: number, hash: KdfHash): Promise<Buffer> {
  if (hash === 'sha256' || hash === 'sha1') {
    const state = new Int32Array(hash === 'sha256' ? 8 : 5);
    for (let i = 0; i < state.length; i++) state[i] = digest.readInt32BE(i * 4);
    const step = hash === 'sha256' ? sha256Rehash : sha1Rehash;
    await sliced(times, CHUNK_FAST, (n) => step(state, n));
    const out = Buffer.alloc(state.length * 4);
    for (let i = 0; i < state.length; i++) out.writeInt32BE(state[i]!, i * 4);
    return out;
  }
  let d = digest;
  await sliced(times, CHUNK_SLOW, (n) => {
    for (let k = 0; k < n; k++) d = createHash(hash).update(d).digest();
  });
  return d;
}

// prettier-ignore
const K256 = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV256 = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);
const W = new Int32Array(80);

/** state := SHA-256(state as 32 bytes), `n` times (one padded block per hash). */
function sha256Rehash(state: Int32Array, n: number): void {
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < 8; i++) W[i] = state[i]!;
    W[8] = 0x80000000 | 0;
    for (let i = 9; i < 15; i++) W[i] = 0;
    W[15] = 256;
    for (let i = 16; i < 64; i++) {
      const w15 = W[i - 15]!;
      const w2 = W[i - 2]!;
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
      W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
    }
    let a = IV256[0]!,
      b = IV256[1]!,
      c = IV256[2]!,
      d = IV256[3]!,
      e = IV256[4]!,
      f = IV256[5]!,
      g = IV256[6]!,
      h = IV256[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K256[i]! + W[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = (IV256[0]! + a) | 0;
    state[1] = (IV256[1]! + b) | 0;
    state[2] = (IV256[2]! + c) | 0;
    state[3] = (IV256[3]! + d) | 0;
    state[4] = (IV256[4]! + e) | 0;
    state[5] = (IV256[5]! + f) | 0;
    state[6] = (IV256[6]! + g) | 0;
    state[7] = (IV256[7]! + h) | 0;
  }
}

/** state := SHA-1(state as 20 bytes), `n` times. */
function sha1Rehash(state: Int32Array, n: number): void {
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < 5; i++) W[i] = state[i]!;
    W[5] = 0x80000000 | 0;
    for (let i = 6; i < 15; i++) W[i] = 0;
    W[15] = 160;
    for (let i = 16; i < 80; i++) {
      const x = W[i - 3]! ^ W[i - 8]! ^ W[i - 14]! ^ W[i - 16]!;
      W[i] = (x << 1) | (x >>> 31);
    }
    let a = 0x67452301,
      b = 0xefcdab89 | 0,
      c = 0x98badcfe | 0,
      d = 0x10325476,
      e = 0xc3d2e1f0 | 0;
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc | 0;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6 | 0;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + W[i]!) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    state[0] = (0x67452301 + a) | 0;
    state[1] = ((0xefcdab89 | 0) + b) | 0;
    state[2] = ((0x98badcfe | 0) + c) | 0;
    state[3] = (0x10325476 + d) | 0;
    state[4] = ((0xc3d2e1f0 | 0) + e) | 0;
  }
}
