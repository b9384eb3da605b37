/**
 * `npm run bench:open` — the emergency open path on a sandbox of its own (real Ceph RGW, HRI
 * stand-in, STS role credentials), measured in one run:
 *
 *  1. Scan-to-summary, warm: scan -> break the glass -> HRI -> credentials (cached after the
 *     first) -> manifest -> ~1 MB IPS summary (a real sample padded with extra Observations in its
 *     Results section) -> decrypt, verify -> view model -> encrypted cache + audit. p50/p95 (target
 *     p95 < 300 ms).
 *  2. Cached reopen: the same patient with its cloud down (HRI answers, the endpoint refuses):
 *     the whole open falls back to the encrypted cache. p50/p95 (target p95 < 30 ms); and the
 *     cache read alone (find + decrypt + parse the view).
 *  3. Download + decrypt throughput of 25/50/500/1000 MB attachments with 1/5/10/50 concurrent
 *     clients, against raw S3 GETs of the same bytes with the same credentials, in the same run
 *     (ratio = decrypt aggregate MB/s / raw aggregate MB/s, target >= 0.9), beside the research
 *     paper's Table 1 (download 1.34-1.94 MB/s). Each client has its own connection pool, as
 *     separate workstations would. Each big object is uploaded once and deleted after its row (RGW's
 *     memstore holds objects in RAM).
 *
 * Options: --sizes 25,50 --clients 1,5 (a quicker run), --quick (= --sizes 25,50 --clients 1,5
 * --runs 20), --runs N (opens per latency measure, default 40), --reps N (rounds per throughput
 * cell, default 3 up to 50 MB and 1 above; each round runs raw then decrypt, the best of each is kept).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../main/config/index';
import { createWorkstation, type Workstation } from '../../main/workstation';
import { createCredentialProvider, createObjectStore, downloadAndDecrypt, type CredentialProvider, type ObjectStore, type PlaintextSink } from '../../main/cloud/index';
import { manifestObjectKey, objectAssociatedData, openManifest, type ManifestObject } from '../../main/record/index';
import { base64UrlDecode, sealHriLocation } from '../../main/crypto/index';
import { silentLogger } from '../../main/log';
import { createTrainingPki } from '../../test/support/test-ca/training';
import { hriTokenSha256, registerCitizen } from '../sandbox/hri-client';
import { startSandbox, type Sandbox, type SandboxState } from '../sandbox/index';
import { sandboxS3Client } from '../sandbox/provision';
import { SHARED_SAMPLES_DIR as DEFAULT_SAMPLES_DIR } from '../../test/support/samples';
import { seedPatients, type SeededPatient } from '../simulator/index';
import { trainingConfig } from '../training/config';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MiB = 1024 * 1024;
const PAPER_TABLE_1 = { downloadMBps: [1.34, 1.94] };
const REASON = { code: 'emergency-treatment' as const, text: 'benchmark' };

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    clients: { type: 'string' },
    runs: { type: 'string' },
    reps: { type: 'string' },
    quick: { type: 'boolean' },
  },
});
const list = (s: string) => s.split(',').map((x) => Number(x.trim())).filter((n) => Number.isFinite(n) && n > 0);
const SIZES_MB = list(values.sizes ?? (values.quick ? '25,50' : '25,50,500,1000'));
const CLIENTS = list(values.clients ?? (values.quick ? '1,5' : '1,5,10,50'));
const RUNS = Number(values.runs ?? (values.quick ? 20 : 40));
/** Rounds per throughput cell: small objects are cheap to repeat (best of 3); 500 MB and up once, to fit ~20 min on 2 vCPUs. */
const repsFor = (sizeMb: number) => (values.reps ? Number(values.reps) : sizeMb <= 50 ? 3 : 1);

const log = (line = '') => process.stdout.write(line + '\n');
const ms = (n: number) => n.toFixed(1).padStart(7);
const mbps = (bytes: number, millis: number) => (bytes / MiB / (millis / 1000));

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** A real IPS sample with extra Observations in its Results section, until it is about `targetBytes`. */
function paddedIps(targetBytes: number): { json: string; observations: number } {
  const bundle = JSON.parse(readFileSync(join(DEFAULT_SAMPLES_DIR, 'IPS_IG-bundle-01.json'), 'utf8')) as {
    entry: { fullUrl: string; resource: Record<string, unknown> & { resourceType: string } }[];
  };
  const composition = bundle.entry[0]!.resource as unknown as { section: { code: { coding: { code: string }[] }; entry?: { reference: string }[] }[] };
  const results = composition.section.find((s) => s.code.coding[0]?.code === '30954-2')!;
  const template = bundle.entry.find((e) => e.resource.resourceType === 'Observation' && 'valueQuantity' in e.resource) ?? bundle.entry.find((e) => e.resource.resourceType === 'Observation')!;
  let observations = 0;
  while (JSON.stringify(bundle).length < targetBytes) {
    const id = createHash('sha256').update(`pad-${observations}`).digest('hex');
    const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`;
    const day = new Date(Date.UTC(2017, 0, 1) + observations * 3_600_000).toISOString();
    const resource = { ...structuredClone(template.resource), id: uuid, effectiveDateTime: day } as Record<string, unknown>;
    if ('valueQuantity' in resource) resource.valueQuantity = { ...(resource.valueQuantity as object), value: 5 + (observations % 40) / 10 };
    bundle.entry.push({ fullUrl: `urn:uuid:${uuid}`, resource: resource as { resourceType: string } });
    (results.entry ??= []).push({ reference: `urn:uuid:${uuid}` });
    observations++;
  }
  return { json: JSON.stringify(bundle), observations };
}

async function timeIt<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await work();
  return { ms: performance.now() - t, value };
}

/** Scan -> open -> close, timed to the moment the summary is ready (close is not counted). */
async function scanToSummary(ws: Workstation, qrText: string): Promise<{ ms: number; source: string }> {
  const t = performance.now();
  const preview = ws.emergency.scan(qrText, 'wedge');
  const record = await ws.emergency.open(preview.scanId, REASON);
  const elapsed = performance.now() - t;
  ws.emergency.close(record.recordId);
  return { ms: elapsed, source: record.source };
}

async function latency(label: string, target: number, measure: () => Promise<number>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < 3; i++) await measure(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) samples.push(await measure());
  const p50 = percentile(samples, 0.5);
  const p95 = percentile(samples, 0.95);
  log(`${label.padEnd(44)} p50 ${ms(p50)} ms   p95 ${ms(p95)} ms   (n=${RUNS}, target p95 < ${target} ms) ${p95 < target ? 'OK' : 'MISSED'}`);
  return { p50, p95 };
}

/** Verified plaintext counted and dropped: the throughput of download + decrypt + verify alone. */
function discardSink(): PlaintextSink<number> {
  let n = 0;
  return {
    begin() {},
    write(p) {
      n += p.length;
    },
    async commit() {
      return n;
    },
    async abort() {},
  };
}

async function rawGet(store: ObjectStore, bucket: string, key: string): Promise<number> {
  let n = 0;
  for await (const chunk of await store.getObject(bucket, key)) n += (chunk as Buffer).length;
  return n;
}

interface Cell {
  sizeMb: number;
  clients: number;
  rawMBps: number;
  decMBps: number;
  perClientDecMBps: number;
  rawCpuMsPerMiB: number;
  decCpuMsPerMiB: number;
}

/** c clients at once, each fetching the whole object; aggregate MB/s (all bytes / wall time) and the slowest client's MB/s. */
async function concurrent(clients: ObjectStore[], fetch: (store: ObjectStore) => Promise<number>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const each = await Promise.all(clients.map((store) => timeIt(() => fetch(store))));
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  const bytes = each.reduce((sum, r) => sum + r.value, 0);
  return { aggregate: mbps(bytes, wall), slowest: Math.min(...each.map((r) => mbps(r.value, r.ms))), cpuMsPerMiB: (used.user + used.system) / 1000 / (bytes / MiB) };
}

interface Measured {
  aggregate: number;
  slowest: number;
  /** CPU time of this (client) process per MiB fetched: what the client side costs, whatever else loads the machine. */
  cpuMsPerMiB: number;
}

async function throughputRow(sandbox: SandboxState, provider: CredentialProvider, patient: SeededPatient, sizeMb: number): Promise<Cell[]> {
  const manifestKey = manifestObjectKey(patient.prefix);
  const masterKey = base64UrlDecode(patient.masterKey)!;
  const rawStore = createObjectStore({ endpoint: sandbox.s3.endpoint, region: sandbox.s3.region, credentials: provider, timeoutMs: 60_000 });
  const manifestBytes = Buffer.concat(await (async () => {
    const chunks: Buffer[] = [];
    for await (const c of await rawStore.getObject(patient.bucket, manifestKey)) chunks.push(c as Buffer);
    return chunks;
  })());
  rawStore.close();
  const { manifest } = openManifest(manifestBytes, { masterKey, citizenId: patient.citizenId });
  const entry = manifest.objects.find((o) => o.role === 'imaging') as ManifestObject;
  const key = patient.objects.find((o) => o.id === entry.id)!.key;

  const rows: Cell[] = [];
  for (const c of CLIENTS) {
    const stores = Array.from({ length: c }, () => createObjectStore({ endpoint: sandbox.s3.endpoint, region: sandbox.s3.region, credentials: provider, timeoutMs: 60_000 }));
    let raw: Measured = { aggregate: 0, slowest: 0, cpuMsPerMiB: 0 };
    let dec: Measured = { aggregate: 0, slowest: 0, cpuMsPerMiB: 0 };
    for (let r = 0; r < repsFor(sizeMb); r++) {
      const rr = await concurrent(stores, (s) => rawGet(s, patient.bucket, key));
      const dr = await concurrent(stores, (s) =>
        downloadAndDecrypt({
          store: s,
          bucket: patient.bucket,
          key,
          keyParams: { masterKey, purpose: 'object', associatedData: objectAssociatedData(patient.citizenId, entry.id) },
          expected: { sha256: entry.sha256, size: entry.size, contentType: entry.contentType, id: entry.id },
          sink: discardSink(),
        }).then((d) => d.value),
      );
      if (rr.aggregate > raw.aggregate) raw = rr;
      if (dr.aggregate > dec.aggregate) dec = dr;
    }
    stores.forEach((s) => s.close());
    const cell = { sizeMb, clients: c, rawMBps: raw.aggregate, decMBps: dec.aggregate, perClientDecMBps: dec.slowest, rawCpuMsPerMiB: raw.cpuMsPerMiB, decCpuMsPerMiB: dec.cpuMsPerMiB };
    rows.push(cell);
    printCell(cell);
  }
  return rows;
}

function printCell(c: Cell): void {
  const ratio = c.decMBps / c.rawMBps;
  const paper = c.perClientDecMBps / PAPER_TABLE_1.downloadMBps[1]!;
  log(
    `${String(c.sizeMb).padStart(7)} MB | ${String(c.clients).padStart(7)} | ${c.rawMBps.toFixed(0).padStart(12)} | ${c.decMBps.toFixed(0).padStart(16)} | ${ratio.toFixed(2).padStart(5)} ${ratio >= 0.9 ? 'OK    ' : 'MISSED'} | ${c.perClientDecMBps.toFixed(1).padStart(15)} | ${paper.toFixed(0).padStart(6)}x | ${c.rawCpuMsPerMiB.toFixed(2).padStart(5)} / ${c.decCpuMsPerMiB.toFixed(2).padStart(5)}`,
  );
}

function peakRss(): { stop: () => number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

async function main(): Promise<void> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-open-'));
  let sandbox: Sandbox | null = null;
  let ws: Workstation | null = null;
  const cleanup = async () => {
    await ws?.close().catch(() => {});
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    sandbox = await startSandbox({ dir: join(dir, 'sandbox') });
    const s = sandbox.state;
    log(`node ${process.version}, ${process.platform}/${process.arch}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; sandbox RGW ${s.s3.endpoint} (memstore), HRI ${s.hri.url}; started in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const pki = createTrainingPki(join(dir, 'pki'));
    const ips = paddedIps(MiB);
    const ipsFile = join(dir, 'IPS_padded-1MB.json');
    writeFileSync(ipsFile, ips.json);
    const seeded = await seedPatients({ sandbox: s, outDir: join(dir, 'patients'), samples: [ipsFile], documents: false });
    const patient = seeded.patients[0]!;
    log(`IPS summary: ${(ips.json.length / MiB).toFixed(2)} MiB (IPS_IG-bundle-01 + ${ips.observations} Observations in Results)`);

    const rel = (p: string) => relative(dir, p);
    const config = trainingConfig(s, { root: rel(pki.files.root), intermediate: rel(pki.files.intermediate), crl: rel(pki.files.crl) });
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const loaded = loadConfig({ defaultsFile: join(REPO, 'resources/config/defaults.json'), machineFile: configFile, machineFileRequired: true });
    if (loaded.problems.length) throw new Error(`config: ${JSON.stringify(loaded.problems)}`);
    ws = createWorkstation({ loaded, dataDir: join(dir, 'data'), version: 'bench', background: false, logger: silentLogger });
    await ws.session.signIn(readFileSync(pki.files.clinician), pki.passphrase);
    const workstation = ws;

    log('');
    log('## latency');
    await latency('scan-to-summary, ~1 MB IPS, warm (cloud)', 300, async () => {
      const r = await scanToSummary(workstation, patient.qrText);
      if (r.source !== 'cloud') throw new Error(`expected the cloud, got ${r.source}`);
      return r.ms;
    });

    // Cloud down: the HRI still answers, with an endpoint that refuses connections.
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const sealed = sealHriLocation(base64UrlDecode(patient.masterKey)!, { v: 1, citizenId: patient.citizenId, endpoint: dead, region: s.s3.region, bucket: patient.bucket, prefix: patient.prefix, issuedAt: new Date().toISOString() });
    await registerCitizen(s.hri.url, s.hri.registrationToken, patient.citizenId, { hriTokenSha256: hriTokenSha256(patient.hriToken), sealed });
    await latency('cached reopen, cloud down (whole open)', 30, async () => {
      const r = await scanToSummary(workstation, patient.qrText);
      if (r.source !== 'cache') throw new Error(`expected the cache, got ${r.source}`);
      return r.ms;
    });
    const patientRef = workstation.cache.patientRef(patient.citizenId);
    await latency('cache read alone (find + decrypt + view)', 30, async () => {
      const t = performance.now();
      const cached = workstation.cache.findByPatientRef(patientRef);
      if (!cached?.view) throw new Error('not cached');
      return performance.now() - t;
    });
    await ws.close();
    ws = null;

    log('');
    log('## download + decrypt throughput (same STS role credentials; each client its own connection pool)');
    log(`paper Table 1: download ${PAPER_TABLE_1.downloadMBps[0]}-${PAPER_TABLE_1.downloadMBps[1]} MB/s per client; "x paper" = slowest client's decrypt MB/s / ${PAPER_TABLE_1.downloadMBps[1]}`);
    log(`MB = MiB; best of ${values.reps ?? '3 (<= 50 MB) / 1 (larger)'} interleaved round(s) per cell; ratio = decrypt aggregate / raw GET aggregate (target >= 0.9)`);
    log('   size    | clients | raw GET MB/s | download+decrypt | ratio        | per client MB/s | x paper | client CPU ms/MiB raw / decrypt');
    const provider = createCredentialProvider(config.cloud.credentials, { mode: 'training', region: s.s3.region, roleSessionName: 'hcp-bench-open', timeoutMs: 10_000 });
    const rss = peakRss();
    const cells: Cell[] = [];
    for (const sizeMb of SIZES_MB) {
      const t = performance.now();
      const big = await seedPatients({ sandbox: s, outDir: join(dir, `big-${sizeMb}`), samples: [join(DEFAULT_SAMPLES_DIR, 'IPS_IG_bundle-minimal.json')], attachmentsMb: [sizeMb], documents: false });
      const bp = big.patients[0]!;
      log(`   (${sizeMb} MB object encrypted and uploaded in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
      try {
        cells.push(...(await throughputRow(s, provider, bp, sizeMb)));
      } finally {
        const owner = sandboxS3Client(s.s3.endpoint, s.patient, s.s3.region);
        for (const o of bp.objects) await owner.removeObject(bp.bucket, o.key).catch(() => {});
        await owner.removeObject(bp.bucket, bp.manifestKey).catch(() => {});
      }
    }
    const peak = rss.stop();
    const ratios = cells.map((c) => c.decMBps / c.rawMBps);
    log('');
    log(`summary: ratio min ${Math.min(...ratios).toFixed(2)}, median ${percentile(ratios, 0.5).toFixed(2)} (target >= 0.9); slowest client ${Math.min(...cells.map((c) => c.perClientDecMBps)).toFixed(1)} MB/s vs paper ${PAPER_TABLE_1.downloadMBps.join('-')} MB/s; bench process peak RSS ${(peak / MiB).toFixed(0)} MB`);
    log(`total ${((Date.now() - started) / 60_000).toFixed(1)} min; load average now ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other jobs share these 2 vCPUs)`);
  } finally {
    await cleanup();
  }
}

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench:open failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
