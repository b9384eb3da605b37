/**
 * `npm run bench:open` — the emergency open path on a sandbox of its own (real Ceph RGW, HRI
 * stand-in, the emergency-access endpoint, STS role credentials), on a modelled network
 * (../shared/notes/network-model.md, docs/benchmarks.md):
 *
 *  --link 1gbit,10gbit --rtt 2,30: one run per link x RTT. As root each run gets a network
 *  namespace of its own (`ip netns add`), the client's hop on its `lo` (the relay's ports) shaped
 *  to the link's rate by `tc` htb (a plain tbf on lo would count the relay's second hop too); the
 *  sandbox, a delaying TCP relay (scripts/bench/relay.ts: RTT/2 per direction, no netem on this
 *  kernel) and the clients all run inside it (`ip netns exec`) and talk only to its 127.0.0.1;
 *  the namespace is removed at the end, also on failure and Ctrl-C. Without root it says so and
 *  runs on plain loopback (no rate shaping, the relay still adds the RTT). Every run pins RGW and
 *  the relay to core 0 and this client to core 1 (`taskset`) and says so.
 *
 *  1. Scan-to-summary, cold (a fresh workstation, sign-in, first open: HRI, STS, manifest, IPS)
 *     and warm, p50/p95 for a ~1 MB IPS (a real sample padded with Observations), with per-step
 *     timings (hri, credentials, manifest, summary, view, cache: main/open-record diagnostics
 *     channel) naming the slowest step, and TCP connects / TLS handshakes per open per host
 *     (counted by the relay: connections accepted, and those whose first byte is a TLS record).
 *  2. Cached reopen with the cloud down (target p95 < 30 ms).
 *  3. Download + decrypt vs raw S3 GET of the same bytes (same credentials, same run), sizes x
 *     clients, with client CPU ms/MiB for each, beside the research paper's Table 1.
 *  4. Figures: docs/benchmarks/open[-quick].json (every figure) and SVG charts beside it. The last
 *     line is `summary: ratio min R1 (link L), median R2; warm p95 T1 ms, cold p95 T2 ms (rtt X ms)`.
 *
 * TLS (default; --plain-http turns it off): the sandbox's https endpoints (RGW beast ssl_endpoint,
 * the HRI and the access endpoint, certificates from the sandbox CA the configuration trusts), so
 * handshakes and record-layer crypto are in the figures; the relay counts TCP connects and TLS
 * handshakes per open (keep-alive pools: a warm open makes none).
 *
 * Options: --quick (sizes 10,25, clients 1,4, 20 warm / 4 cold opens), --latency-only (no upload, no
 * throughput), --cell-budget-mb N|none (throughput cells moving more than N MB per side at 1 Gbit/s,
 * 2N faster, are skipped and listed; default 2500), --sizes, --clients, --runs, --cold-runs, --reps,
 * --out DIR. It prints an estimate of its duration first. Internal: --inner RESULT.json --inner-link L
 * --inner-rtt MS.
 */
import { Readable } from 'node:stream';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent as HttpAgent } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../main/config/index';
import { createWorkstation, type Workstation } from '../../main/workstation';
import {
  createCredentialProvider,
  createObjectStore,
  downloadAndDecrypt,
  type CredentialProvider,
  type ObjectStore,
  type PlaintextSink,
} from '../../main/cloud/index';
import { manifestObjectKey, objectAssociatedData, openManifest, type ManifestObject } from '../../main/record/index';
import { base64UrlDecode, sealHriLocation } from '../../main/crypto/index';
import { OPEN_STEP_CHANNEL } from '../../main/open-record/open-record';
import { pendingObjectKey } from '../../main/additions/pending';
import { silentLogger } from '../../main/log';
import { ConnectionPool } from '../../main/net/index';
import { createTrainingPki, type TrainingPki } from '../../test/support/test-ca/training';
import { hriTokenSha256, registerCitizen } from '../sandbox/hri-client';
import { startSandbox, type Sandbox, type SandboxState } from '../sandbox/index';
import { sandboxS3Client } from '../sandbox/provision';
import { SHARED_SAMPLES_DIR as DEFAULT_SAMPLES_DIR } from '../../test/support/samples';
import { seedPatients, type SeededPatient } from '../simulator/index';
import { trainingConfig } from '../training/config';
import {
  barChartSvg,
  cdfChartSvg,
  estimateSeconds,
  parseBenchArgs,
  percentile,
  shapingCommands,
  summaryLine,
  throughputPlan,
  uploadRoundsOf,
  type BenchArgs,
  type Link,
} from './report';
import type { RelayStats } from './relay';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SELF = fileURLToPath(import.meta.url);
const RELAY = fileURLToPath(new URL('./relay.ts', import.meta.url));
const MiB = 1024 * 1024;
const PAPER_TABLE_1 = { downloadMBps: [1.34, 1.94] };
const REASON = { code: 'emergency-treatment' as const, text: 'benchmark' };
const STEPS = ['hri', 'credentials', 'manifest', 'summary', 'view', 'cache'] as const;

const args: BenchArgs = parseBenchArgs(process.argv.slice(2));

const log = (line = '') => process.stdout.write(line + '\n');
const ms = (n: number) => n.toFixed(1).padStart(7);
const mbps = (bytes: number, millis: number) => bytes / MiB / (millis / 1000);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

/** A real IPS sample with extra Observations in its Results section, until it is about `targetBytes`. */
function paddedIps(targetBytes: number): { json: string; observations: number } {
  const bundle = JSON.parse(readFileSync(join(DEFAULT_SAMPLES_DIR, 'IPS_IG-bundle-01.json'), 'utf8')) as {
    entry: { fullUrl: string; resource: Record<string, unknown> & { resourceType: string } }[];
  };
  const composition = bundle.entry[0]!.resource as unknown as {
    section: { code: { coding: { code: string }[] }; entry?: { reference: string }[] }[];
  };
  const results = composition.section.find((s) => s.code.coding[0]?.code === '30954-2')!;
  const template =
    bundle.entry.find((e) => e.resource.resourceType === 'Observation' && 'valueQuantity' in e.resource) ??
    bundle.entry.find((e) => e.resource.resourceType === 'Observation')!;
  let observations = 0;
  while (JSON.stringify(bundle).length < targetBytes) {
    const id = createHash('sha256').update(`pad-${observations}`).digest('hex');
    const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-8${id.slice(17, 20)}-${id.slice(20, 32)}`;
    const day = new Date(Date.UTC(2017, 0, 1) + observations * 3_600_000).toISOString();
    const resource = { ...structuredClone(template.resource), id: uuid, effectiveDateTime: day } as Record<
      string,
      unknown
    >;
    if ('valueQuantity' in resource)
      resource.valueQuantity = { ...(resource.valueQuantity as object), value: 5 + (observations % 40) / 10 };
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

// ---- the relay child (its CPU is not this process's) ----

interface RelayChild {
  ports: Record<string, number>;
  pid: number;
  stats(): Promise<Record<string, RelayStats>>;
  stop(): void;
}

async function startRelayChild(
  delayMs: number,
  targets: Record<string, number>,
  basePort: number,
): Promise<RelayChild> {
  const child = spawn(process.execPath, [...process.execArgv, RELAY], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const waiting: { res: (line: string) => void; rej: (e: Error) => void }[] = [];
  lines.on('line', (line) => waiting.shift()?.res(line));
  child.once('exit', (code) => waiting.splice(0).forEach((w) => w.rej(new Error(`relay exited (${code})`))));
  const ask = (line: string) =>
    new Promise<string>((res, rej) => {
      if (child.exitCode !== null) return rej(new Error(`relay exited (${child.exitCode})`));
      waiting.push({ res, rej });
      child.stdin!.write(line + '\n');
    });
  const { ports } = JSON.parse(await ask(JSON.stringify({ delayMs, targets, basePort }))) as {
    ports: Record<string, number>;
  };
  return {
    ports,
    pid: child.pid!,
    stats: async () => (JSON.parse(await ask('stats')) as { stats: Record<string, RelayStats> }).stats,
    stop: () => {
      child.stdin!.end();
      child.kill();
    },
  };
}

const portOf = (url: string) => Number(new URL(url).port);
const viaRelay = (url: string, port: number) => {
  const u = new URL(url);
  u.port = String(port);
  return u.toString().replace(/\/$/, '');
};

/** Median of 5 small keep-alive HTTP(S) requests to `url` (after one warm-up): the RTT we really got. */
async function requestRtt(url: string, ca?: string): Promise<number> {
  const secure = url.startsWith('https:');
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...(ca ? { ca } : {}) })
    : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const request = secure ? httpsRequest : httpRequest;
  const once = () =>
    new Promise<number>((res, rej) => {
      const t = performance.now();
      request(url, { agent }, (r) => {
        r.resume();
        r.on('end', () => res(performance.now() - t));
      })
        .on('error', rej)
        .end();
    });
  await once();
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) samples.push(await once());
  agent.destroy();
  return percentile(samples, 0.5);
}

function pin(pid: number, core: number): boolean {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
  return r.status === 0;
}

// ---- latency, with steps and connections ----

interface OpenSample {
  ms: number;
  steps: Partial<Record<(typeof STEPS)[number], number>>;
  connects: Record<string, number>;
  tlsHandshakes: Record<string, number>;
}

async function measuredOpen(
  ws: Workstation,
  qrText: string,
  relay: RelayChild,
  expect: 'cloud' | 'cache',
): Promise<OpenSample> {
  const steps: OpenSample['steps'] = {};
  const onStep = (m: unknown) => {
    const { step, ms: took } = m as { step: (typeof STEPS)[number]; ms: number };
    steps[step] = (steps[step] ?? 0) + took;
  };
  const before = await relay.stats();
  subscribe(OPEN_STEP_CHANNEL, onStep);
  const t = performance.now();
  let took: number;
  try {
    const preview = ws.emergency.scan(qrText, 'wedge');
    const record = await ws.emergency.open(preview.scanId, REASON);
    took = performance.now() - t;
    if (record.source !== expect) throw new Error(`expected the ${expect}, got ${record.source}`);
    ws.emergency.close(record.recordId);
  } finally {
    unsubscribe(OPEN_STEP_CHANNEL, onStep);
  }
  const after = await relay.stats();
  const delta = (f: keyof RelayStats) =>
    Object.fromEntries(Object.keys(after).map((h) => [h, after[h]![f] - (before[h]?.[f] ?? 0)]));
  return { ms: took, steps, connects: delta('connects'), tlsHandshakes: delta('tlsHandshakes') };
}

interface LatencyFigure {
  n: number;
  p50: number;
  p95: number;
  samples: number[];
  steps: Record<string, { p50: number; p95: number }>;
  slowestStep: string;
  connectsPerOpen: Record<string, number>;
  tlsHandshakesPerOpen: Record<string, number>;
}

function latencyFigure(label: string, target: number, samples: OpenSample[]): LatencyFigure {
  const totals = samples.map((s) => s.ms);
  const p50 = percentile(totals, 0.5);
  const p95 = percentile(totals, 0.95);
  const steps: LatencyFigure['steps'] = {};
  for (const name of STEPS) {
    const v = samples.map((s) => s.steps[name]).filter((x): x is number => x !== undefined);
    if (v.length) steps[name] = { p50: percentile(v, 0.5), p95: percentile(v, 0.95) };
  }
  const slowestStep = Object.entries(steps).sort((a, b) => b[1].p50 - a[1].p50)[0]?.[0] ?? '-';
  const hosts = Object.keys(samples[0]?.connects ?? {});
  const mean = (f: 'connects' | 'tlsHandshakes') =>
    Object.fromEntries(hosts.map((h) => [h, samples.reduce((sum, s) => sum + (s[f][h] ?? 0), 0) / samples.length]));
  const fig = {
    n: samples.length,
    p50,
    p95,
    samples: totals,
    steps,
    slowestStep,
    connectsPerOpen: mean('connects'),
    tlsHandshakesPerOpen: mean('tlsHandshakes'),
  };
  log(
    `${label.padEnd(44)} p50 ${ms(p50)} ms   p95 ${ms(p95)} ms   (n=${samples.length}, target p95 < ${target} ms) ${p95 < target ? 'OK' : 'MISSED'}`,
  );
  log(
    `   steps p50/p95 ms: ${Object.entries(steps)
      .map(([k, v]) => `${k} ${v.p50.toFixed(1)}/${v.p95.toFixed(1)}`)
      .join(', ')}; slowest: ${slowestStep}`,
  );
  log(
    `   per open: TCP connects ${hosts.map((h) => `${h} ${fig.connectsPerOpen[h]!.toFixed(2)}`).join(', ')}; TLS handshakes ${hosts.map((h) => `${h} ${fig.tlsHandshakesPerOpen[h]!.toFixed(2)}`).join(', ')}`,
  );
  return fig;
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
  return {
    aggregate: mbps(bytes, wall),
    slowest: Math.min(...each.map((r) => mbps(r.value, r.ms))),
    cpuMsPerMiB: (used.user + used.system) / 1000 / (bytes / MiB),
  };
}

interface Measured {
  aggregate: number;
  slowest: number;
  /** CPU time of this (client) process per MiB fetched: what the client side costs, whatever else loads the machine. */
  cpuMsPerMiB: number;
}

/** The workstation's view of S3: its endpoint (https through the relay in TLS runs) and the CA it trusts. */
interface S3Target {
  endpoint: string;
  region: string;
  ca: string[] | undefined;
}

async function throughputRow(
  target: S3Target,
  provider: CredentialProvider,
  patient: SeededPatient,
  sizeMb: number,
  link: Link | null,
): Promise<Cell[]> {
  const manifestKey = manifestObjectKey(patient.prefix);
  const masterKey = base64UrlDecode(patient.masterKey)!;
  const storeOf = () =>
    createObjectStore({
      endpoint: target.endpoint,
      region: target.region,
      credentials: provider,
      timeoutMs: 60_000,
      ca: target.ca,
    });
  const rawStore = storeOf();
  const manifestBytes = Buffer.concat(
    await (async () => {
      const chunks: Buffer[] = [];
      for await (const c of await rawStore.getObject(patient.bucket, manifestKey)) chunks.push(c as Buffer);
      return chunks;
    })(),
  );
  rawStore.close();
  const { manifest } = openManifest(manifestBytes, { masterKey, citizenId: patient.citizenId });
  const entry = manifest.objects.find((o) => o.role === 'imaging') as ManifestObject;
  const key = patient.objects.find((o) => o.id === entry.id)!.key;

  const rows: Cell[] = [];
  for (const planned of throughputPlan(args, link).filter((p) => p.sizeMb === sizeMb)) {
    const c = planned.clients;
    if (planned.skipped) {
      log(
        `${String(sizeMb).padStart(7)} MB | ${String(c).padStart(7)} | skipped: ${sizeMb * c} MB per side is past this link's cell budget (--cell-budget-mb)`,
      );
      continue;
    }
    const stores = Array.from({ length: c }, storeOf);
    let raw: Measured = { aggregate: 0, slowest: 0, cpuMsPerMiB: 0 };
    let dec: Measured = { aggregate: 0, slowest: 0, cpuMsPerMiB: 0 };
    for (let r = 0; r < planned.reps; r++) {
      const rr = await concurrent(stores, (s) => rawGet(s, patient.bucket, key));
      const dr = await concurrent(stores, (s) =>
        downloadAndDecrypt({
          store: s,
          bucket: patient.bucket,
          key,
          keyParams: {
            masterKey,
            purpose: 'object',
            associatedData: objectAssociatedData(patient.citizenId, entry.id),
          },
          expected: { sha256: entry.sha256, size: entry.size, contentType: entry.contentType, id: entry.id },
          sink: discardSink(),
        }).then((d) => d.value),
      );
      if (rr.aggregate > raw.aggregate) raw = rr;
      if (dr.aggregate > dec.aggregate) dec = dr;
    }
    stores.forEach((s) => s.close());
    const cell = {
      sizeMb,
      clients: c,
      rawMBps: raw.aggregate,
      decMBps: dec.aggregate,
      perClientDecMBps: dec.slowest,
      rawCpuMsPerMiB: raw.cpuMsPerMiB,
      decCpuMsPerMiB: dec.cpuMsPerMiB,
    };
    rows.push(cell);
    printCell(cell);
  }
  return rows;
}

/**
 * One upload size: an addition with one attachment of that size (sign + outbox spool + commit +
 * streamed/multipart upload of the attachment object, then the bundle) vs a raw PUT of the same
 * plaintext bytes, streamed (multipart above the client's part size, 64 MiB), with the same STS role
 * credentials. The attachment is staged first as the editor does it (2 MiB slices, each encrypted
 * into the pending container on arrival): untimed, since it happens while the clinician fills in
 * the form; its time is printed beside.
 */
interface UploadCell {
  sizeMb: number;
  attachments: number;
  sealedBytes: number;
  additionMBps: number;
  rawMBps: number;
  ratio: number;
  additionCpuMsPerMiB: number;
  rawCpuMsPerMiB: number;
  stageMs: number;
}

async function cpuTimed(work: () => Promise<void>): Promise<{ ms: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - t, cpuMs: (used.user + used.system) / 1000 };
}

/** The attachment limits the upload rows configure (the defaults stop at 100 MB; the issue asks 500 MB). */
const BENCH_ADDITION_LIMITS = { attachmentMaxBytes: 1024 * MiB, submissionMaxBytes: 1024 * MiB };

async function uploadRow(
  ws: Workstation,
  recordId: string,
  rawStore: ObjectStore,
  reader: ReturnType<typeof sandboxS3Client>,
  sizeMb: number,
): Promise<UploadCell | null> {
  const total = sizeMb * MiB;
  if (total > ws.additions.limits.attachmentMaxBytes) {
    log(`${String(sizeMb).padStart(7)} MB | above the configured attachment limit (additions.attachmentMaxBytes)`);
    return null;
  }
  // One PDF-typed attachment of incompressible bytes.
  const bytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(total - 9)]);
  const ctx = ws.emergency.submissionContext(recordId);
  let best: UploadCell | null = null;
  for (let r = 0; r < uploadRoundsOf(sizeMb, args.quick); r++) {
    const t0 = performance.now();
    const stagingId = await ws.additions.stageBuffer(ctx, 'application/pdf', bytes);
    const stageMs = performance.now() - t0;
    const keys: string[] = [];
    const addition = await cpuTimed(async () => {
      const { item } = await ws.additions.submit(ctx, [
        { kind: 'attachment', title: `bench ${sizeMb} MB`, contentType: 'application/pdf', stagingId },
      ]);
      await ws.outboxSender.sendDue();
      const after = ws.additions.list().items.find((i) => i.id === item.id);
      if (after?.status !== 'sent')
        throw new Error(`the addition was not sent: ${after?.status ?? 'gone'} ${after?.lastError ?? ''}`);
      keys.push(pendingObjectKey(ctx.citizenId, item.additionId, ws.loaded.config.hospital.workstationId));
    });
    // What it sent (listed with the patient side's keys: the role only writes there).
    const folder = keys[0]!.slice(0, keys[0]!.lastIndexOf('/') + 1);
    let sealedBytes = 0;
    for await (const o of reader.listObjectsV2(ctx.target.bucket, folder, true) as AsyncIterable<{
      name?: string;
      size?: number;
    }>) {
      if (!o.name) continue;
      sealedBytes += o.size ?? 0;
      keys.push(o.name);
    }
    const rawKey = pendingKeyOf(ws, ctx.citizenId);
    const raw = await cpuTimed(async () => {
      const body = Readable.from(
        (function* () {
          for (let off = 0; off < bytes.length; off += MiB) yield bytes.subarray(off, off + MiB);
        })(),
        { objectMode: false },
      );
      await rawStore.put(ctx.target.bucket, rawKey, body, {
        size: bytes.length,
        contentType: 'application/octet-stream',
      });
    });
    for (const k of new Set([...keys, rawKey])) await reader.removeObject(ctx.target.bucket, k).catch(() => {});
    const mib = bytes.length / MiB;
    const cell: UploadCell = {
      sizeMb,
      attachments: 1,
      sealedBytes,
      additionMBps: mib / (addition.ms / 1000),
      rawMBps: mib / (raw.ms / 1000),
      ratio: raw.ms / addition.ms,
      additionCpuMsPerMiB: addition.cpuMs / mib,
      rawCpuMsPerMiB: raw.cpuMs / mib,
      stageMs,
    };
    if (!best || cell.ratio > best.ratio) best = cell;
  }
  const b = best!;
  log(
    `${String(sizeMb).padStart(7)} MB | ${String(b.attachments).padStart(11)} | ${(b.sealedBytes / MiB).toFixed(1).padStart(10)} | ${b.rawMBps.toFixed(0).padStart(12)} | ${b.additionMBps.toFixed(0).padStart(13)} | ${b.ratio.toFixed(2).padStart(5)} ${b.ratio >= 0.9 ? 'OK    ' : 'MISSED'} | ${b.rawCpuMsPerMiB.toFixed(2).padStart(5)} / ${b.additionCpuMsPerMiB.toFixed(2).padStart(5)} | ${(b.stageMs / 1000).toFixed(1).padStart(5)} s`,
  );
  return b;
}

/** A pending-bucket key of the product's own layout, for a baseline object (a fresh addition id each time). */
function pendingKeyOf(ws: Workstation, citizenId: string): string {
  return pendingObjectKey(citizenId, randomBytes(32).toString('hex'), ws.loaded.config.hospital.workstationId);
}

function printCell(c: Cell): void {
  const ratio = c.decMBps / c.rawMBps;
  const paper = c.perClientDecMBps / PAPER_TABLE_1.downloadMBps[1]!;
  log(
    `${String(c.sizeMb).padStart(7)} MB | ${String(c.clients).padStart(7)} | ${c.rawMBps.toFixed(0).padStart(12)} | ${c.decMBps.toFixed(0).padStart(16)} | ${ratio.toFixed(2).padStart(5)} ${ratio >= 0.9 ? 'OK    ' : 'MISSED'} | ${c.perClientDecMBps.toFixed(1).padStart(15)} | ${paper.toFixed(0).padStart(6)}x | ${c.rawCpuMsPerMiB.toFixed(2).padStart(5)} / ${c.decCpuMsPerMiB.toFixed(2).padStart(5)}`,
  );
}

/** What one run (one link x RTT) measured; written as JSON for the parent. */
interface RunResult {
  link: string;
  bitsPerSecond: number;
  namespace: boolean;
  rttMs: number;
  measuredRttMs: number;
  pinned: string;
  tls: boolean;
  loadAverage: { start: string; end: string };
  cold: LatencyFigure;
  warm: LatencyFigure;
  cachedReopen: { p50: number; p95: number };
  throughput: (Cell & { ratio: number })[];
  upload: UploadCell[];
}

function workstationFor(dir: string, config: unknown, name: string): Workstation {
  const configFile = join(dir, `${name}.config.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const loaded = loadConfig({
    defaultsFile: join(REPO, 'resources/config/defaults.json'),
    machineFile: configFile,
    machineFileRequired: true,
  });
  if (loaded.problems.length) throw new Error(`config: ${JSON.stringify(loaded.problems)}`);
  return createWorkstation({
    loaded,
    dataDir: join(dir, `${name}.data`),
    version: 'bench',
    background: false,
    logger: silentLogger,
  });
}

async function signedIn(dir: string, config: unknown, name: string, pki: TrainingPki): Promise<Workstation> {
  const ws = workstationFor(dir, config, name);
  await ws.session.signIn(readFileSync(pki.files.clinician), pki.passphrase);
  return ws;
}

/** One link x RTT, in this process (already inside the namespace, or on loopback). */
async function innerMain(inner: NonNullable<BenchArgs['inner']>): Promise<void> {
  const started = Date.now();
  const startLoad = load();
  const dir = mkdtempSync(join(tmpdir(), 'hcp-bench-open-'));
  let sandbox: Sandbox | null = null;
  let relay: RelayChild | null = null;
  const open = new Set<Workstation>();
  const cleanup = async () => {
    for (const ws of open) await ws.close().catch(() => {});
    relay?.stop();
    await sandbox?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    sandbox = await startSandbox({ dir: join(dir, 'sandbox'), tls: args.tls });
    const direct = sandbox.state;
    const tls = args.tls ? direct.tls : undefined;
    if (args.tls && !tls) throw new Error('the sandbox did not start its https endpoints');
    const caPem = tls ? readFileSync(tls.caFile, 'utf8') : undefined;
    // The relay sits in front of what the workstation talks to: the https endpoints in TLS runs.
    const targets: Record<string, number> = {
      s3: portOf(tls?.s3Endpoint ?? direct.s3.endpoint),
      hri: portOf(tls?.hriUrl ?? direct.hri.url),
    };
    const accessUrl = tls ? tls.accessUrl : direct.access?.url;
    if (accessUrl) targets.access = portOf(accessUrl);
    relay = await startRelayChild(inner.rttMs / 2, targets, inner.relayBasePort);
    const pinnedOk = pin(direct.pids.rgw, 0) && pin(relay.pid, 0) && pin(process.pid, 1);
    const pinned = pinnedOk
      ? 'RGW and the relay on core 0, this client on core 1 (taskset)'
      : 'not pinned (taskset failed)';
    // The workstation sees the sandbox through the relay only: over https (TLS runs: the seeding uses
    // the direct http endpoints and seals the relayed https one into the HRI location) or http.
    const s: SandboxState = structuredClone(direct);
    if (tls) {
      s.tls = {
        ...tls,
        s3Endpoint: viaRelay(tls.s3Endpoint, relay.ports.s3!),
        hriUrl: viaRelay(tls.hriUrl, relay.ports.hri!),
        accessUrl: tls.accessUrl && relay.ports.access ? viaRelay(tls.accessUrl, relay.ports.access) : null,
      };
    } else {
      s.s3.endpoint = viaRelay(direct.s3.endpoint, relay.ports.s3!);
      s.workstation.stsEndpoint = viaRelay(direct.workstation.stsEndpoint, relay.ports.s3!);
      s.hri.url = viaRelay(direct.hri.url, relay.ports.hri!);
      if (s.access && relay.ports.access) s.access.url = viaRelay(direct.access!.url, relay.ports.access);
    }
    const hriSeen = s.tls?.hriUrl ?? s.hri.url;
    const hriDirect = tls?.hriUrl ?? direct.hri.url;
    const measuredRttMs = Math.max(
      0,
      (await requestRtt(`${hriSeen}/v1/health`, caPem)) - (await requestRtt(`${hriDirect}/v1/health`, caPem)),
    );
    const s3: S3Target = {
      endpoint: s.tls?.s3Endpoint ?? s.s3.endpoint,
      region: s.s3.region,
      ca: caPem ? [caPem] : undefined,
    };
    const locationEndpoint = s.tls ? { locationEndpoint: s.tls.s3Endpoint } : {};
    const where = inner.link
      ? `network namespace, the client's hop on lo shaped to ${inner.link.text} (tc htb on the relay's ports)`
      : 'plain loopback (not root: no namespace, no rate shaping)';
    log(
      `node ${process.version}, ${process.platform}/${process.arch}, load average ${startLoad}; ${where}; relay RTT ${inner.rttMs} ms (measured ${measuredRttMs.toFixed(1)} ms); ${pinned}; ${tls ? 'TLS: the HRI, S3/STS and the access endpoint over https (sandbox CA in tls.trustedCas, certificates and host names verified)' : 'plain http (--plain-http)'}`,
    );
    log(
      `sandbox RGW ${tls?.s3Endpoint ?? direct.s3.endpoint} (memstore), HRI ${tls?.hriUrl ?? direct.hri.url}${accessUrl ? `, access endpoint ${accessUrl}` : ''}; started in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    const pki = createTrainingPki(join(dir, 'pki'));
    const ips = paddedIps(MiB);
    const ipsFile = join(dir, 'IPS_padded-1MB.json');
    writeFileSync(ipsFile, ips.json);
    const seeded = await seedPatients({
      sandbox: tls ? direct : s,
      outDir: join(dir, 'patients'),
      samples: [ipsFile],
      documents: false,
      ...locationEndpoint,
    });
    const patient = seeded.patients[0]!;
    log(
      `IPS summary: ${(ips.json.length / MiB).toFixed(2)} MiB (IPS_IG-bundle-01 + ${ips.observations} Observations in Results)`,
    );
    const rel = (p: string) => relative(dir, p);
    const config = {
      ...trainingConfig(
        s,
        { root: rel(pki.files.root), intermediate: rel(pki.files.intermediate), crl: rel(pki.files.crl) },
        { tls: !!tls },
      ),
      additions: BENCH_ADDITION_LIMITS,
    };

    log('');
    log('## latency (scan -> summary ready)');
    const coldSamples: OpenSample[] = [];
    for (let i = 0; i < args.coldRuns; i++) {
      const ws = await signedIn(dir, config, `cold-${i}`, pki);
      open.add(ws);
      coldSamples.push(await measuredOpen(ws, patient.qrText, relay, 'cloud'));
      await ws.close();
      open.delete(ws);
    }
    const cold = latencyFigure('cold: fresh workstation, first open', 600, coldSamples);
    const ws = await signedIn(dir, config, 'warm', pki);
    open.add(ws);
    for (let i = 0; i < 3; i++) await measuredOpen(ws, patient.qrText, relay, 'cloud'); // warm-up
    const warmSamples: OpenSample[] = [];
    for (let i = 0; i < args.runs; i++) warmSamples.push(await measuredOpen(ws, patient.qrText, relay, 'cloud'));
    const warm = latencyFigure('warm: same session, ~1 MB IPS', 300, warmSamples);

    const benchConnections = new ConnectionPool({ ca: caPem ? [caPem] : undefined });
    const provider = createCredentialProvider(config.cloud.credentials, {
      mode: 'training',
      region: s.s3.region,
      roleSessionName: 'hcp-bench-open',
      timeoutMs: 10_000,
      connections: benchConnections,
    });
    const upload: UploadCell[] = [];
    if (!args.latencyOnly) {
      log('');
      log(
        '## upload: an addition with one attachment (sign + outbox spool + commit + streamed upload of its objects; the file encrypted while staged) vs a raw streamed PUT of the same bytes',
      );
      log(
        `attachment limit configured to ${BENCH_ADDITION_LIMITS.attachmentMaxBytes / MiB} MB (additions.attachmentMaxBytes); both multipart above 64 MiB; best of ${args.quick ? 2 : '3 (<= 50 MB) / 1 (larger)'} rounds; ratio = raw PUT time / addition time (target >= 0.9); staging (editor -> main, encrypting as it arrives; untimed) beside`,
      );
      log(
        '   size    | attachments | sealed MiB | raw PUT MB/s | addition MB/s | ratio       | client CPU ms/MiB raw / addition | staged in',
      );
      {
        const record = await ws.emergency.open(ws.emergency.scan(patient.qrText, 'wedge').scanId, REASON);
        const rawStore = createObjectStore({
          endpoint: s3.endpoint,
          region: s3.region,
          credentials: provider,
          timeoutMs: 60_000,
          ca: s3.ca,
        });
        const reader = sandboxS3Client(s.s3.endpoint, s.patient, s.s3.region);
        try {
          for (const sizeMb of args.uploadSizesMb) {
            const cell = await uploadRow(ws, record.recordId, rawStore, reader, sizeMb);
            if (cell) upload.push(cell);
          }
        } finally {
          rawStore.close();
          ws.emergency.close(record.recordId);
        }
      }
    }

    // Cloud down: the HRI still answers, with an endpoint that refuses connections.
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const sealed = sealHriLocation(base64UrlDecode(patient.masterKey)!, {
      v: 1,
      citizenId: patient.citizenId,
      endpoint: dead,
      region: s.s3.region,
      bucket: patient.bucket,
      prefix: patient.prefix,
      issuedAt: new Date().toISOString(),
    });
    await registerCitizen(s.hri.url, s.hri.registrationToken, patient.citizenId, {
      hriTokenSha256: hriTokenSha256(patient.hriToken),
      sealed,
    });
    const cachedSamples: number[] = [];
    for (let i = 0; i < args.runs; i++) cachedSamples.push((await measuredOpen(ws, patient.qrText, relay, 'cache')).ms);
    const cachedReopen = { p50: percentile(cachedSamples, 0.5), p95: percentile(cachedSamples, 0.95) };
    log(
      `${'cached reopen, cloud down (whole open)'.padEnd(44)} p50 ${ms(cachedReopen.p50)} ms   p95 ${ms(cachedReopen.p95)} ms   (n=${args.runs}, target p95 < 30 ms) ${cachedReopen.p95 < 30 ? 'OK' : 'MISSED'}`,
    );
    await ws.close();
    open.delete(ws);

    const cells: Cell[] = [];
    if (!args.latencyOnly) {
      log('');
      log('## download + decrypt throughput (same STS role credentials; each client its own connection pool)');
      log(
        `paper Table 1: download ${PAPER_TABLE_1.downloadMBps[0]}-${PAPER_TABLE_1.downloadMBps[1]} MB/s per client; "x paper" = slowest client's decrypt MB/s / ${PAPER_TABLE_1.downloadMBps[1]}`,
      );
      log(
        `MB = MiB; best of ${args.reps ?? `${args.quick ? 2 : 3} (<= 50 MB) / 1 (larger)`} interleaved round(s) per cell; ratio = decrypt aggregate / raw GET aggregate (target >= 0.9)`,
      );
      log(
        '   size    | clients | raw GET MB/s | download+decrypt | ratio        | per client MB/s | x paper | client CPU ms/MiB raw / decrypt',
      );
      for (const sizeMb of args.sizesMb) {
        if (throughputPlan(args, inner.link).every((p) => p.sizeMb !== sizeMb || p.skipped)) {
          log(
            `${String(sizeMb).padStart(7)} MB | every client count is past this link's cell budget: not seeded, skipped`,
          );
          continue;
        }
        const t = performance.now();
        const big = await seedPatients({
          sandbox: tls ? direct : s,
          outDir: join(dir, `big-${sizeMb}`),
          samples: [join(DEFAULT_SAMPLES_DIR, 'IPS_IG_bundle-minimal.json')],
          attachmentsMb: [sizeMb],
          documents: false,
          ...locationEndpoint,
        });
        const bp = big.patients[0]!;
        log(`   (${sizeMb} MB object encrypted and uploaded in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
        try {
          cells.push(...(await throughputRow(s3, provider, bp, sizeMb, inner.link)));
        } finally {
          const owner = sandboxS3Client(s.s3.endpoint, s.patient, s.s3.region);
          for (const o of bp.objects) await owner.removeObject(bp.bucket, o.key).catch(() => {});
          await owner.removeObject(bp.bucket, bp.manifestKey).catch(() => {});
        }
      }
    }
    benchConnections.destroy();
    const result: RunResult = {
      link: inner.link?.text ?? 'loopback',
      bitsPerSecond: inner.link?.bitsPerSecond ?? 0,
      namespace: inner.link !== null,
      rttMs: inner.rttMs,
      measuredRttMs,
      pinned,
      tls: !!tls,
      loadAverage: { start: startLoad, end: load() },
      cold,
      warm,
      cachedReopen,
      throughput: cells.map((c) => ({ ...c, ratio: c.decMBps / c.rawMBps })),
      upload,
    };
    writeFileSync(inner.resultFile, JSON.stringify(result));
    log(
      `run ${result.link} rtt ${inner.rttMs} ms: ${((Date.now() - started) / 60_000).toFixed(1)} min; load average now ${result.loadAverage.end} (other jobs share these 2 vCPUs)`,
    );
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

// ---- the parent: namespaces, one child run per link x RTT, figures ----

function ip(...a: string[]): void {
  const r = spawnSync('ip', a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

function runChild(argv: string[], namespace: string | null, state: { child: ChildProcess | null }): Promise<number> {
  const node = [process.execPath, ...process.execArgv, SELF, ...argv];
  const child = namespace
    ? spawn('ip', ['netns', 'exec', namespace, ...node], { stdio: 'inherit' })
    : spawn(node[0]!, node.slice(1), { stdio: 'inherit' });
  state.child = child;
  return new Promise((res) => child.on('exit', (code, signal) => res(code ?? (signal ? 128 : 1))));
}

async function outerMain(): Promise<void> {
  const started = Date.now();
  const root = process.getuid?.() === 0;
  const out = resolve(args.out ?? join(REPO, 'docs/benchmarks'));
  const tmp = mkdtempSync(join(tmpdir(), 'hcp-bench-runs-'));
  const state: { child: ChildProcess | null; namespace: string | null } = { child: null, namespace: null };
  const removeNamespace = () => {
    if (!state.namespace) return;
    spawnSync('ip', ['netns', 'del', state.namespace], { stdio: 'ignore' });
    state.namespace = null;
  };
  const onSignal = () => {
    const child = state.child;
    const finish = () => {
      removeNamespace();
      rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    };
    if (!child || child.exitCode !== null) return finish();
    child.once('exit', finish);
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  if (!root)
    log(
      'bench:open: not root, so no network namespace and no rate shaping: running on plain loopback (the relay still adds the RTT)',
    );
  const links: (Link | null)[] = root ? args.links : [null];
  const results: RunResult[] = [];
  const skipped = links.flatMap((l) =>
    throughputPlan(args, l)
      .filter((c) => c.skipped && !args.latencyOnly)
      .map((c) => `${c.sizeMb} MB x ${c.clients}${l ? ` at ${l.text}` : ''}`),
  );
  log(
    `bench:open: ${links.length * args.rttsMs.length} run(s) (${links.map((l) => l?.text ?? 'loopback').join(', ')} x rtt ${args.rttsMs.join(', ')} ms), ${args.tls ? 'TLS' : 'plain http'}${args.latencyOnly ? ', latency only' : ''}; estimated duration ~${Math.ceil(estimateSeconds(args, links) / 60)} min on a quiet machine`,
  );
  if (skipped.length)
    log(
      `throughput cells past the per-link cell budget (${args.cellBudgetMb} MB per side at 1 Gbit/s, twice that faster; --cell-budget-mb none runs them all): ${skipped.join(', ')}`,
    );
  try {
    for (const link of links) {
      for (const rtt of args.rttsMs) {
        const resultFile = join(tmp, `run-${results.length}.json`);
        const argv = ['--inner', resultFile, '--inner-rtt', String(rtt), ...process.argv.slice(2)];
        if (link) {
          state.namespace = `hcpbench-${process.pid}-${results.length}`;
          ip('netns', 'add', state.namespace);
          ip('netns', 'exec', state.namespace, 'ip', 'link', 'set', 'lo', 'up');
          // A fresh namespace has every port free: the relay listens on fixed ports, and only they are shaped.
          const base = 20000 + 4 * results.length;
          for (const tc of shapingCommands(link, base)) ip('netns', 'exec', state.namespace, 'tc', ...tc);
          argv.push('--inner-link', link.text, '--inner-relay-base', String(base));
        }
        log('');
        log(`# run: ${link ? `namespace ${state.namespace}, lo ${link.text}` : 'loopback'}, rtt ${rtt} ms`);
        const code = await runChild(argv, state.namespace, state);
        removeNamespace();
        if (code !== 0)
          throw new Error(`the run (${link?.text ?? 'loopback'}, rtt ${rtt} ms) failed with exit code ${code}`);
        results.push(JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult);
      }
    }
  } finally {
    removeNamespace();
    rmSync(tmp, { recursive: true, force: true });
  }
  writeFigures(out, results);
  log('');
  log(
    `total ${((Date.now() - started) / 60_000).toFixed(1)} min; figures in ${relative(REPO, out)}/${prefix()}*.{json,svg}`,
  );
  log(
    summaryLine(
      results.map((r) => ({
        link: r.link,
        bitsPerSecond: r.bitsPerSecond,
        rttMs: r.rttMs,
        ratios: r.throughput.map((c) => c.ratio),
        warmP95: r.warm.p95,
        coldP95: r.cold.p95,
      })),
    ),
  );
}

const prefix = () => (args.quick ? 'open-quick' : 'open');

function writeFigures(out: string, results: RunResult[]): void {
  mkdirSync(out, { recursive: true });
  const name = (r: RunResult) => `${r.link} rtt ${r.rttMs}`;
  writeFileSync(
    join(out, `${prefix()}.json`),
    JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        node: process.version,
        quick: args.quick,
        paperTable1: PAPER_TABLE_1,
        runs: results,
      },
      null,
      2,
    ) + '\n',
  );
  writeFileSync(
    join(out, `${prefix()}-latency.svg`),
    cdfChartSvg(
      'scan-to-summary latency CDF (1 MB IPS)',
      'ms',
      results.flatMap((r) => [
        { name: `warm ${name(r)}`, samples: r.warm.samples },
        { name: `cold ${name(r)}`, samples: r.cold.samples },
      ]),
    ),
  );
  const groups = results.flatMap((r) =>
    r.throughput.map((c) => ({
      label: `${c.sizeMb}MB x${c.clients} ${r.link}/${r.rttMs}`,
      values: [c.rawMBps, c.decMBps, c.perClientDecMBps, PAPER_TABLE_1.downloadMBps[1]!],
    })),
  );
  writeFileSync(
    join(out, `${prefix()}-throughput.svg`),
    barChartSvg(
      'download: raw GET vs download+decrypt (aggregate MB/s)',
      'MB/s',
      ['raw GET', 'download+decrypt', 'slowest client', 'paper Table 1 (1.94)'],
      groups,
    ),
  );
  const uploads = results.flatMap((r) =>
    r.upload.map((c) => ({ label: `${c.sizeMb}MB ${r.link}/${r.rttMs}`, values: [c.rawMBps, c.additionMBps] })),
  );
  writeFileSync(
    join(out, `${prefix()}-upload.svg`),
    barChartSvg(
      'upload: raw PUT vs addition (sign+encrypt+outbox+PUT), MB/s',
      'MB/s',
      ['raw PUT', 'addition'],
      uploads,
    ),
  );
  const steps = results.flatMap((r) => [
    { label: `warm ${name(r)}`, values: STEPS.map((s) => r.warm.steps[s]?.p50 ?? 0) },
    { label: `cold ${name(r)}`, values: STEPS.map((s) => r.cold.steps[s]?.p50 ?? 0) },
  ]);
  // Connection reuse made visible: TCP connects and TLS handshakes per open, cold and warm, per host.
  const hosts = ['s3', 'hri', 'access'] as const;
  writeFileSync(
    join(out, `${prefix()}-connections.svg`),
    barChartSvg(
      'per open: TCP connects and TLS handshakes (cold vs warm)',
      'per open',
      [...hosts.map((h) => `TCP ${h}`), ...hosts.map((h) => `TLS ${h}`)],
      results.flatMap((r) =>
        (['cold', 'warm'] as const).map((kind) => ({
          label: `${kind} ${name(r)}`,
          values: [
            ...hosts.map((h) => r[kind].connectsPerOpen[h] ?? 0),
            ...hosts.map((h) => r[kind].tlsHandshakesPerOpen[h] ?? 0),
          ],
        })),
      ),
    ),
  );
  writeFileSync(
    join(out, `${prefix()}-steps.svg`),
    barChartSvg('scan-to-summary per step, p50 ms', 'ms', [...STEPS], steps),
  );
}

const main = () => (args.inner ? innerMain(args.inner) : outerMain());
main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench:open failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
