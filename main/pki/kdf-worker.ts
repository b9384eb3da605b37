/**
 * The worker thread of main/pki/kdf-pool.ts: the PKCS#12 KDF (pkcs12KdfSync, the one
 * implementation) for one request at a time, so a 600,000-iteration MAC key never holds the main
 * process's event loop. Bundled as its own entry (out/main/pkcs12-kdf-worker.js,
 * out/cli/pkcs12-kdf-worker.js); run from source through tsx.
 */
import { parentPort } from 'node:worker_threads';
import { isWorkstationError } from '../../common/errors';
import { pkcs12KdfSync } from './kdf';
import type { KdfRequest, KdfResponse } from './kdf-protocol';

const port = parentPort;
if (!port) throw new Error('pkcs12-kdf-worker must run as a worker thread');

port.on('message', (req: KdfRequest) => {
  let res: KdfResponse;
  try {
    const key = pkcs12KdfSync(req.password, req.salt, req.id, req.iterations, req.length, req.hash);
    res = { job: req.job, ok: true, key: new Uint8Array(key) };
  } catch (e) {
    res = {
      job: req.job,
      ok: false,
      error: isWorkstationError(e) ? e.toInfo() : { code: 'PKI_KDF_WORKER_FAILED', details: { reason: 'derivation' } },
    };
  } finally {
    req.password.fill(0);
  }
  port.postMessage(res, res.ok ? [res.key.buffer as ArrayBuffer] : []);
});
