/** The messages between the PKCS#12 KDF worker pool (kdf-pool.ts) and its worker (kdf-worker.ts). */
import type { ErrorInfo } from '../../common/errors';
import type { KdfHash } from './kdf';

export interface KdfRequest {
  job: number;
  /** The BMP-encoded passphrase (bmpPassword). */
  password: Uint8Array;
  salt: Uint8Array;
  id: 1 | 2 | 3;
  iterations: number;
  length: number;
  hash: KdfHash;
}

export type KdfResponse = { job: number; ok: true; key: Uint8Array } | { job: number; ok: false; error: ErrorInfo };
