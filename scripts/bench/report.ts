/**
 * The pure parts of `bench:open`: its arguments, link rates, percentiles, the summary line and
 * the SVG charts (written by hand: a few rects and polylines, no plotting dependency).
 */
import { parseArgs } from 'node:util';

export interface Link {
  /** As given, e.g. "1gbit". */
  text: string;
  bitsPerSecond: number;
}

const RATE = /^(\d+(?:\.\d+)?)(k|m|g)bit$/i;

/** "1gbit", "10gbit", "500mbit" -> bits/s; anything else is refused (tc would be too). */
export function parseRate(text: string): Link {
  const m = RATE.exec(text.trim());
  if (!m) throw new Error(`--link: "${text}" is not a rate like 1gbit, 10gbit or 500mbit`);
  const unit = { k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase() as 'k' | 'm' | 'g'];
  const bitsPerSecond = Number(m[1]) * unit;
  if (bitsPerSecond <= 0) throw new Error(`--link: "${text}" must be above zero`);
  return { text: text.trim().toLowerCase(), bitsPerSecond };
}

/**
 * The `tc` commands (each an argument list for `tc`) that shape only the client's hop: traffic to
 * or from the relay's ports `basePort..basePort+3` (basePort a multiple of 4) goes through an htb
 * class at the link's rate; everything else on `lo` (the relay's own hop to RGW/HRI, which would
 * otherwise count every byte twice) through an unshaped class.
 */
export function shapingCommands(link: Link, basePort: number): string[][] {
  if (basePort % 4 !== 0 || basePort < 1024 || basePort > 65532)
    throw new Error(`relay base port ${basePort} must be a multiple of 4 in 1024..65532`);
  const burst = link.bitsPerSecond > 2e9 ? '1mb' : '128kb';
  const match = (dir: 'sport' | 'dport') => [
    'filter',
    'add',
    'dev',
    'lo',
    'parent',
    '1:',
    'protocol',
    'ip',
    'prio',
    '1',
    'u32',
    'match',
    'ip',
    dir,
    String(basePort),
    '0xfffc',
    'flowid',
    '1:10',
  ];
  return [
    ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '20'],
    [
      'class',
      'add',
      'dev',
      'lo',
      'parent',
      '1:',
      'classid',
      '1:10',
      'htb',
      'rate',
      link.text,
      'burst',
      burst,
      'cburst',
      burst,
    ],
    [
      'class',
      'add',
      'dev',
      'lo',
      'parent',
      '1:',
      'classid',
      '1:20',
      'htb',
      'rate',
      '100gbit',
      'burst',
      '4mb',
      'cburst',
      '4mb',
    ],
    match('sport'),
    match('dport'),
  ];
}

export interface BenchArgs {
  links: Link[];
  rttsMs: number[];
  quick: boolean;
  sizesMb: number[];
  clients: number[];
  uploadSizesMb: number[];
  /** Warm opens per latency measure. */
  runs: number;
  /** Cold opens (a fresh workstation and sign-in each). */
  coldRuns: number;
  reps: number | null;
  /** Where the figures go (docs/benchmarks by default). */
  out: string | null;
  /** https everywhere with the sandbox CA (default); `--plain-http` turns it off. */
  tls: boolean;
  /** Only the latency part (cold, warm, cached reopen): no upload, no download throughput. */
  latencyOnly: boolean;
  /**
   * Most MB one throughput cell (size x clients) may move per side at 1 Gbit/s; 2x that above
   * (10 Gbit/s, loopback). Cells above it are skipped and listed (docs/benchmarks.md). null: no limit.
   */
  cellBudgetMb: number | null;
  /** Internal: this process is the run of one link and rtt (inside the namespace or on loopback). */
  inner: { link: Link | null; rttMs: number; resultFile: string; relayBasePort: number } | null;
}

/** Per side of a throughput cell at 1 Gbit/s (~23 s at 117 MiB/s); 2x at 10 Gbit/s and on loopback. */
export const DEFAULT_CELL_BUDGET_MB = 2500;

function numbers(flag: string, text: string, allowZero = false): number[] {
  const parts = text.split(',').map((x) => x.trim());
  const out = parts.map(Number);
  const bad = parts.filter(
    (p, i) => p === '' || !Number.isFinite(out[i]) || out[i]! < 0 || (!allowZero && out[i] === 0),
  );
  if (bad.length || !out.length)
    throw new Error(
      `${flag}: "${text}" must be a comma-separated list of ${allowZero ? 'non-negative' : 'positive'} numbers`,
    );
  return out;
}

function positive(flag: string, text: string | undefined, dflt: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: "${text}" must be a positive integer`);
  return n;
}

export function parseBenchArgs(argv: string[]): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      link: { type: 'string' },
      rtt: { type: 'string' },
      sizes: { type: 'string' },
      clients: { type: 'string' },
      'upload-sizes': { type: 'string' },
      runs: { type: 'string' },
      'cold-runs': { type: 'string' },
      reps: { type: 'string' },
      quick: { type: 'boolean' },
      out: { type: 'string' },
      'plain-http': { type: 'boolean' },
      'latency-only': { type: 'boolean' },
      'cell-budget-mb': { type: 'string' },
      inner: { type: 'string' },
      'inner-link': { type: 'string' },
      'inner-rtt': { type: 'string' },
      'inner-relay-base': { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const links =
    values.link === undefined ? [parseRate('1gbit'), parseRate('10gbit')] : values.link.split(',').map(parseRate);
  return {
    links,
    rttsMs: numbers('--rtt', values.rtt ?? '2,30', true),
    quick,
    sizesMb: numbers('--sizes', values.sizes ?? (quick ? '10,25' : '25,50,500,1000')),
    clients: numbers('--clients', values.clients ?? (quick ? '1,4' : '1,5,10,50')),
    uploadSizesMb: numbers('--upload-sizes', values['upload-sizes'] ?? (quick ? '10' : '25,50,500')),
    runs: positive('--runs', values.runs, quick ? 20 : 40),
    coldRuns: positive('--cold-runs', values['cold-runs'], quick ? 4 : 15),
    reps: values.reps === undefined ? null : positive('--reps', values.reps, 1),
    out: values.out ?? null,
    tls: !(values['plain-http'] ?? false),
    latencyOnly: values['latency-only'] ?? false,
    cellBudgetMb:
      values['cell-budget-mb'] === 'none'
        ? null
        : positive('--cell-budget-mb', values['cell-budget-mb'], DEFAULT_CELL_BUDGET_MB),
    inner:
      values.inner === undefined
        ? null
        : {
            resultFile: values.inner,
            link: values['inner-link'] ? parseRate(values['inner-link']) : null,
            rttMs: numbers('--inner-rtt', values['inner-rtt'] ?? '0', true)[0]!,
            relayBasePort: numbers('--inner-relay-base', values['inner-relay-base'] ?? '0', true)[0]!,
          },
  };
}

/** The MB budget of one throughput cell on a link (null link: loopback, unshaped). */
export function cellBudgetFor(link: Link | null, budgetMb: number | null): number {
  if (budgetMb === null) return Infinity;
  return link && link.bitsPerSecond <= 2e9 ? budgetMb : 2 * budgetMb;
}

/** Rounds of a throughput cell: best of 3 (2 in --quick) for cells up to 500 MB (size x clients), else 1. */
export function repsOf(sizeMb: number, clients: number, quick: boolean, reps: number | null): number {
  if (reps !== null) return reps;
  return sizeMb <= 50 && sizeMb * clients <= 500 ? (quick ? 2 : 3) : 1;
}

/** Rounds of an upload size: best of 3 (2 in --quick) up to 50 MB, one above. */
export function uploadRoundsOf(sizeMb: number, quick: boolean): number {
  return quick ? 2 : sizeMb > 50 ? 1 : 3;
}

export interface PlannedCell {
  sizeMb: number;
  clients: number;
  reps: number;
  /** Past the link's cell budget: not run (listed as skipped). */
  skipped: boolean;
}

/** The throughput cells one run measures, in order, with their rounds and the ones the budget skips. */
export function throughputPlan(a: BenchArgs, link: Link | null): PlannedCell[] {
  const budget = cellBudgetFor(link, a.cellBudgetMb);
  return a.sizesMb.flatMap((sizeMb) =>
    a.clients.map((clients) => ({
      sizeMb,
      clients,
      reps: repsOf(sizeMb, clients, a.quick, a.reps),
      skipped: sizeMb * clients > budget,
    })),
  );
}

/**
 * A rough duration of the whole benchmark, printed at its start (a quiet 2-vCPU machine): per run
 * ~25 s of set-up, ~2.5 s per cold open (fresh workstation + sign-in), 0.3 s per warm or cached open
 * at 30 ms RTT, the upload rounds (~60 MB/s at best), the seeding of each throughput object (~60 MB/s) and the bytes of
 * every cell (raw + decrypt, each round) at the link's rate (at most ~300 MB/s: the client's CPU).
 */
export function estimateSeconds(a: BenchArgs, links: readonly (Link | null)[]): number {
  let total = 0;
  for (const link of links) {
    for (const _rtt of a.rttsMs) {
      total += 25 + a.coldRuns * 2.5 + a.runs * 2 * 0.3 + 3 * 0.3;
      if (a.latencyOnly) continue;
      const rate = Math.min(300, link ? (link.bitsPerSecond / 8 / 2 ** 20) * 0.92 : 300);
      // Upload: the addition and the raw PUT of each size, each round, at ~60 MB/s at best (sign + encrypt).
      total += a.uploadSizesMb.reduce(
        (sum, mb) => sum + (uploadRoundsOf(mb, a.quick) * 2 * mb) / Math.min(rate, 60) + 2,
        0,
      );
      total += a.sizesMb.reduce((sum, mb) => sum + mb / 60, 0);
      for (const c of throughputPlan(a, link)) if (!c.skipped) total += (2 * c.reps * c.sizeMb * c.clients) / rate + 1;
    }
  }
  return total;
}

/** Nearest-rank percentile (p in 0..1) of a non-empty sample. */
export function percentile(samples: readonly number[], p: number): number {
  if (!samples.length) throw new Error('percentile of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export interface RunFigure {
  link: string;
  rttMs: number;
  ratios: number[];
  warmP95: number;
  coldP95: number;
}

/**
 * `summary: ratio min R1 (link L), median R2; warm p95 T1 ms, cold p95 T2 ms (rtt X ms)` for the
 * most demanding run: the highest RTT, then the fastest link (where the client's CPU shows most).
 */
export function summaryLine(runs: readonly (RunFigure & { bitsPerSecond: number })[]): string {
  if (!runs.length) throw new Error('no runs to summarise');
  const worst = [...runs].sort((a, b) => b.rttMs - a.rttMs || b.bitsPerSecond - a.bitsPerSecond)[0]!;
  const all = runs.flatMap((r) => r.ratios.map((ratio) => ({ ratio, link: r.link })));
  const min = all.length ? all.reduce((a, b) => (b.ratio < a.ratio ? b : a)) : { ratio: NaN, link: '-' };
  const median = all.length
    ? percentile(
        all.map((a) => a.ratio),
        0.5,
      )
    : NaN;
  return `summary: ratio min ${min.ratio.toFixed(2)} (link ${min.link}), median ${median.toFixed(2)}; warm p95 ${worst.warmP95.toFixed(0)} ms, cold p95 ${worst.coldP95.toFixed(0)} ms (rtt ${worst.rttMs} ms)`;
}

// ---- SVG ----

const W = 720;
const H = 360;
const M = { left: 64, right: 180, top: 36, bottom: 56 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number) => (Number.isFinite(n) ? Number(n.toFixed(2)) : 0);

/** Round "nice" upper bound for an axis. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function frame(title: string, xLabel: string, yLabel: string, yMax: number, legend: string[]): string[] {
  const out: string[] = [];
  const plotH = H - M.top - M.bottom;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = M.top + plotH - (plotH * i) / 4;
    out.push(`<line x1="${M.left}" y1="${num(y)}" x2="${W - M.right}" y2="${num(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${num(y + 4)}" text-anchor="end">${num((yMax * i) / 4)}</text>`);
  }
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="black"/>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(
    `<text x="16" y="${M.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${M.top + plotH / 2})">${esc(yLabel)}</text>`,
  );
  legend.forEach((name, i) => {
    const y = M.top + 8 + i * 18;
    out.push(
      `<rect x="${W - M.right + 12}" y="${y - 9}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`,
    );
    out.push(`<text x="${W - M.right + 30}" y="${y + 1}">${esc(name)}</text>`);
  });
  return out;
}

export interface BarGroup {
  label: string;
  /** One value per series, in legend order. */
  values: number[];
}

/** Grouped bars (e.g. MB/s per size x clients; series raw / decrypt / paper Table 1). */
export function barChartSvg(title: string, yLabel: string, series: string[], groups: readonly BarGroup[]): string {
  const yMax = niceMax(Math.max(0, ...groups.flatMap((g) => g.values.filter(Number.isFinite))));
  const out = frame(title, '', yLabel, yMax, series);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const gw = plotW / Math.max(1, groups.length);
  const bw = (gw * 0.8) / Math.max(1, series.length);
  groups.forEach((g, gi) => {
    const x0 = M.left + gi * gw + gw * 0.1;
    g.values.forEach((v, si) => {
      const h = Number.isFinite(v) ? (plotH * Math.max(0, v)) / yMax : 0;
      out.push(
        `<rect x="${num(x0 + si * bw)}" y="${num(M.top + plotH - h)}" width="${num(bw * 0.9)}" height="${num(h)}" fill="${COLOURS[si % COLOURS.length]}"><title>${esc(`${g.label} ${series[si]}: ${num(v)}`)}</title></rect>`,
      );
    });
    out.push(
      `<text x="${num(x0 + gw * 0.4)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="10">${esc(g.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Empirical CDF points of a sample: sorted values against (i+1)/n. */
export function cdfPoints(samples: readonly number[]): { x: number; y: number }[] {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.map((x, i) => ({ x, y: (i + 1) / sorted.length }));
}

/** Latency CDFs, one step line per series (e.g. warm / cold per link). */
export function cdfChartSvg(
  title: string,
  xLabel: string,
  series: readonly { name: string; samples: readonly number[] }[],
): string {
  const xMax = niceMax(Math.max(0, ...series.flatMap((s) => s.samples)));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const out = frame(
    title,
    xLabel,
    'fraction of opens',
    1,
    series.map((s) => s.name),
  );
  for (let i = 0; i <= 4; i++)
    out.push(
      `<text x="${num(M.left + (plotW * i) / 4)}" y="${H - M.bottom + 16}" text-anchor="middle">${num((xMax * i) / 4)}</text>`,
    );
  series.forEach((s, si) => {
    const pts = cdfPoints(s.samples);
    let prevY = 0;
    const path: string[] = [];
    for (const p of pts) {
      const x = M.left + (plotW * p.x) / xMax;
      path.push(`${num(x)},${num(M.top + plotH - plotH * prevY)}`, `${num(x)},${num(M.top + plotH - plotH * p.y)}`);
      prevY = p.y;
    }
    out.push(
      `<polyline fill="none" stroke="${COLOURS[si % COLOURS.length]}" stroke-width="2" points="${path.join(' ')}"/>`,
    );
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
