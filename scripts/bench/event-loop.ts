/**
 * `npm run bench:event-loop` — does the main thread keep answering? The event-loop delay
 * (perf_hooks.monitorEventLoopDelay, 10 ms resolution) while the workstation does each of the
 * heavy things issue 17 found freezing it, one at a time, in this process as the main process
 * would run them (target: max delay < 100 ms):
 *
 *  1. Loading a clinician PKCS#12 protected with 600,000 iterations (loadClinicianCredential, as at
 *     sign-in and unlock: the MAC's PKCS#12 KDF in the KDF worker thread, PBKDF2 in the thread
 *     pool), beside the CPU and wall time `openssl pkcs12` needs for the same file (target: CPU
 *     ≤ 2 × OpenSSL's). The first round starts the worker (cold), later ones reuse it (as unlock does).
 *  2. The emergency view of a generated IPS whose one section holds 30,000 entries
 *     (buildEmergencyViewOffThread: parse + limits + view in a worker thread, the bytes
 *     transferred), as an open does; the worker already started, as after the first open.
 *  3. The largest submission allowed by default (attachments totalling SUBMISSION_MAX_BYTES, 10 × 10 MB):
 *     each file staged in 2 MiB base64 chunks as the editor sends them (`additions.stageAttachment`,
 *     AdditionsService.stage), then signed, encrypted and streamed into the outbox spool and committed
 *     (AdditionsService.submit on a real SQLite file), as `additions.submit` does.
 *
 *  4. The viewer's attachment route (main/viewer, as the app's hcp-attachment: scheme and the harness
 *     serve it) streaming a 256 MB attachment from the encrypted cache (a real SQLite file and sealed
 *     file), decrypted 64 KB segment by segment as the body is read.
 *
 * Prints one line per case and a Markdown table for docs/benchmarks.md. Options: --quick (one round
 * instead of three), --only pkcs12,ips,submission,attachment.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { STAGE_CHUNK_BYTES, SUBMISSION_MAX_BYTES, type AdditionFormInput } from '../../common/additions';
import { AdditionsService } from '../../main/additions/service';
import { openStorageWithOutbox } from '../../main/additions/recovery';
import { buildEmergencyViewOffThread, stopEmergencyViewWorkers } from '../../main/fhir/off-thread';
import { loadClinicianCredential, stopKdfWorkers } from '../../main/pki/index';
import { bmpPassword } from '../../main/pki/kdf';
import { pkcs12Kdf } from '../../main/pki/kdf-pool';
import { opensslTime } from '../../test/support/openssl-time';
import { FileKeyStore, openDatabase, RecordCache } from '../../main/cache/index';
import { serveAttachment, type AttachmentSource } from '../../main/viewer/index';
import { createChain } from '../../test/support/test-ca/certificates';
import { buildGenerated, largeSectionSpec } from '../../test/unit/fhir/generators';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
const ROUNDS = values.quick ? 1 : 3;
const ONLY = new Set((values.only ?? 'pkcs12,ips,submission,attachment').split(',').map((s) => s.trim()));
const TARGET_MS = 100;

interface Result {
  name: string;
  maxDelayMs: number;
  wallMs: number;
  /** Process CPU time (all threads: the main thread, workers, the thread pool) while the work ran. */
  cpuMs: number;
  note: string;
}

/** Max event-loop delay while `fn` runs (best of ROUNDS: other load on a shared machine only adds). */
async function measure(
  name: string,
  fn: () => Promise<unknown> | unknown,
  note: string | ((best: Result, rounds: Result[]) => string) = '',
): Promise<Result> {
  let best: Result | null = null;
  const rounds: Result[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    // A turn of the loop first, so the histogram's timer is running before the work starts.
    await new Promise((res) => setTimeout(res, 20));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // Let the histogram's timer fire once more: it records the delay the work caused.
    await new Promise((res) => setTimeout(res, 30));
    h.disable();
    const result = { name, maxDelayMs: h.max / 1e6, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, note: '' };
    rounds.push(result);
    if (!best || result.maxDelayMs < best.maxDelayMs) best = result;
  }
  const b = best!;
  b.note = typeof note === 'function' ? note(b, rounds) : note;
  console.log(
    `${b.name}: max event-loop delay ${b.maxDelayMs.toFixed(0)} ms (${b.maxDelayMs < TARGET_MS ? 'under' : 'OVER'} the ${TARGET_MS} ms target); the work took ${b.wallMs.toFixed(0)} ms (${b.cpuMs.toFixed(0)} ms CPU)${b.note ? `; ${b.note}` : ''}`,
  );
  return b;
}

const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-loop-'));
const results: Result[] = [];
try {
  const chain = createChain({ levels: 3, key: 'p256', prefix: 'BENCH' });

  if (ONLY.has('pkcs12')) {
    const passphrase = 'bench-passphrase';
    writeFileSync(join(dir, 'key.pem'), chain.leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(join(dir, 'cert.pem'), chain.leaf.pem + chain.intermediates.map((c) => c.pem).join(''));
    const p12 = join(dir, 'clinician.p12');
    execFileSync(
      'openssl',
      [
        'pkcs12',
        '-export',
        '-inkey',
        join(dir, 'key.pem'),
        '-in',
        join(dir, 'cert.pem'),
        '-out',
        p12,
        '-passout',
        `pass:${passphrase}`,
        '-iter',
        '600000',
        '-macalg',
        'sha256',
      ],
      { stdio: 'ignore' },
    );
    // OpenSSL's best of ROUNDS too (CPU of the child; the load average only adds).
    const openssl = Array.from({ length: ROUNDS }, () =>
      opensslTime(['pkcs12', '-in', p12, '-nodes', '-passin', `pass:${passphrase}`]),
    ).reduce((a, b) => (b.cpuMs < a.cpuMs ? b : a));
    const bytes = readFileSync(p12);
    // The KDF worker started once, as at sign-in; the measured loads reuse it, as every unlock does.
    await stopKdfWorkers();
    const start0 = process.cpuUsage();
    const startT0 = performance.now();
    await pkcs12Kdf(bmpPassword(''), Buffer.alloc(8), 3, 1, 32, 'sha256');
    const startWallMs = performance.now() - startT0;
    const start = process.cpuUsage(start0);
    const startCpuMs = (start.user + start.system) / 1000;
    const fromSource = import.meta.url.endsWith('.ts');
    results.push(
      await measure(
        'PKCS#12, 600,000 iterations (loadClinicianCredential)',
        () => loadClinicianCredential(bytes, passphrase),
        (best, rounds) => {
          const cpu = Math.min(...rounds.map((r) => r.cpuMs));
          return (
            `openssl pkcs12: ${openssl.cpuMs.toFixed(0)} ms CPU, ${openssl.wallMs.toFixed(0)} ms wall; ` +
            `load CPU ${cpu.toFixed(0)} ms = ${(cpu / openssl.cpuMs).toFixed(2)} × OpenSSL's (target ≤ 2), the KDF worker ` +
            `running; starting it (once per process${fromSource ? ', from source through tsx' : ''}) took ` +
            `${startCpuMs.toFixed(0)} ms CPU, ${startWallMs.toFixed(0)} ms wall`
          );
        },
      ),
    );
    await stopKdfWorkers();
  }

  if (ONLY.has('ips')) {
    const text = Buffer.from(JSON.stringify(buildGenerated(largeSectionSpec(30_000)).bundle));
    await buildEmergencyViewOffThread('{}').catch(() => undefined);
    results.push(
      await measure(
        'IPS with 30,000 entries in one section (buildEmergencyViewOffThread)',
        () => buildEmergencyViewOffThread(Buffer.from(text), { transfer: true }),
        `${(text.length / 1024 / 1024).toFixed(1)} MB of JSON, built in a worker thread`,
      ),
    );
    await stopEmergencyViewWorkers();
  }

  if (ONLY.has('submission')) {
    const n = 10;
    const each = SUBMISSION_MAX_BYTES / n;
    // What the renderer sends: base64 slices of the file (encoded there, not here: one chunk reused).
    const chunk = randomBytes(STAGE_CHUNK_BYTES).toString('base64');
    const tail = randomBytes(each % STAGE_CHUNK_BYTES).toString('base64');
    let round = 0;
    results.push(
      await measure(
        `Largest allowed submission: ${n} × ${each / 1024 / 1024} MB attachments (stageAttachment + AdditionsService.submit)`,
        async () => {
          const data = join(dir, `submit-${round++}`);
          const { db, outbox } = openStorageWithOutbox({
            file: join(data, 'workstation.sqlite'),
            spoolDir: join(data, 'outbox'),
          });
          try {
            const service = new AdditionsService({
              outbox,
              sender: null,
              workstation: { id: 'bench' },
              stagingDir: join(data, 'staging'),
            });
            const forms: AdditionFormInput[] = [
              { kind: 'note', text: 'Benchmark: the largest submission allowed by default.' },
            ];
            const ctx = {
              credential: {
                privateKey: () => chain.leaf.key.privateKey,
                certificate: chain.leaf.cert,
                chain: chain.intermediates.map((c) => c.cert),
              },
              author: { name: 'Dr Bench', registration: 'GR-0', certFingerprint: chain.leaf.cert.fingerprint },
              citizenId: 'BENCHAAAAAAAAAAAAAAAAAAAAA',
              masterKey: Buffer.alloc(32, 7),
              patientRef: 'bench',
              patient: { reference: 'urn:uuid:00000000-0000-4000-8000-000000000001' },
              target: { endpoint: 'http://127.0.0.1:9', region: 'r', bucket: 'pending' },
            };
            for (let i = 0; i < n; i++) {
              const { stagingId } = await service.stage(
                { op: 'begin', recordId: 'bench', contentType: 'image/jpeg', size: each },
                ctx,
              );
              let index = 0;
              for (let left = each; left > 0; left -= STAGE_CHUNK_BYTES)
                await service.stage(
                  { op: 'chunk', stagingId, index: index++, dataBase64: left >= STAGE_CHUNK_BYTES ? chunk : tail },
                  null,
                );
              await service.stage({ op: 'end', stagingId }, null);
              forms.push({ kind: 'attachment', title: `Photo ${i + 1}`, contentType: 'image/jpeg', stagingId });
            }
            await service.submit(ctx, forms);
          } finally {
            db.close();
            rmSync(data, { recursive: true, force: true });
          }
        },
        `${(SUBMISSION_MAX_BYTES / 1024 / 1024).toFixed(0)} MB in total, staged in ${STAGE_CHUNK_BYTES / 1024 / 1024} MiB chunks`,
      ),
    );
  }
  if (ONLY.has('attachment')) {
    const size = 256 * 1024 * 1024;
    const { db } = openDatabase(join(dir, 'viewer.sqlite'));
    try {
      const cache = new RecordCache({
        db,
        keyStore: new FileKeyStore(join(dir, 'viewer.key')),
        attachmentsDir: join(dir, 'viewer-attachments'),
      });
      cache.put({
        recordId: 'bench',
        patientRef: 'bench',
        manifestVersion: 1,
        view: {},
        manifest: { version: 1 },
        ips: Buffer.from('{}'),
      });
      const segment = Buffer.alloc(1024 * 1024, 7);
      await cache.putAttachment(
        'bench',
        'scan',
        'application/pdf',
        (async function* () {
          for (let i = 0; i < size; i += segment.length) yield segment.subarray(0, Math.min(segment.length, size - i));
        })(),
        size,
      );
      const source: AttachmentSource = {
        access: () => ({
          session: 'unlocked',
          recordOpen: true,
          listed: { contentType: 'application/pdf', size },
          cached: cache.attachmentInfo('bench', 'scan'),
        }),
        read: (r, a, start, end) => cache.attachmentRange(r, a, start, end),
      };
      const ref = { recordId: 'bench', attachmentId: 'scan' };
      results.push(
        await measure(
          `Attachment route: a ${size / 1024 / 1024} MB cached attachment streamed to the viewer (serveAttachment)`,
          async () => {
            const res = serveAttachment({ method: 'GET', ref, range: null, ifRange: null }, source);
            const reader = res.body!.getReader();
            let n = 0;
            for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.length;
            if (n !== size) throw new Error(`served ${n} of ${size} bytes`);
          },
          (best) =>
            `decrypted from the encrypted cache in 64 KB segments as read, ${((size / 1024 / 1024 / best.wallMs) * 1000).toFixed(0)} MB/s; RSS ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB after`,
        ),
      );
    } finally {
      db.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\n${cpus().length} CPUs, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, Node ${process.version}, best of ${ROUNDS}\n`,
);
console.log('| work | max event-loop delay | under 100 ms | work took | CPU (all threads) | note |');
console.log('| --- | ---: | :---: | ---: | ---: | --- |');
for (const r of results)
  console.log(
    `| ${r.name} | ${r.maxDelayMs.toFixed(0)} ms | ${r.maxDelayMs < TARGET_MS ? 'yes' : '**no**'} | ${r.wallMs.toFixed(0)} ms | ${r.cpuMs.toFixed(0)} ms | ${r.note} |`,
  );
