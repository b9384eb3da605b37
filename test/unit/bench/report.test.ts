/**
 * The pure parts of `bench:open` (scripts/bench/report.ts): arguments and link rates, the tbf
 * arguments, nearest-rank percentiles, the script-readable summary line and the SVG charts.
 */
import { describe, expect, it } from 'vitest';
import {
  barChartSvg,
  cdfChartSvg,
  cdfPoints,
  estimateSeconds,
  niceMax,
  parseBenchArgs,
  parseRate,
  percentile,
  shapingCommands,
  summaryLine,
  throughputPlan,
} from '../../../scripts/bench/report';

describe('bench:open arguments', () => {
  it('parses links and RTTs, with the quick defaults smaller than the full ones', () => {
    const a = parseBenchArgs(['--quick', '--link', '1gbit,10gbit', '--rtt', '2,30']);
    expect(a.links.map((l) => [l.text, l.bitsPerSecond])).toEqual([
      ['1gbit', 1e9],
      ['10gbit', 1e10],
    ]);
    expect(a.rttsMs).toEqual([2, 30]);
    expect(a.quick).toBe(true);
    const full = parseBenchArgs([]);
    expect(full.sizesMb).toEqual([25, 50, 500, 1000]);
    expect(full.clients).toEqual([1, 5, 10, 50]);
    expect(full.uploadSizesMb).toEqual([25, 50, 500]);
    expect(Math.max(...a.sizesMb)).toBeLessThan(Math.max(...full.sizesMb));
    expect(a.runs).toBeLessThan(full.runs);
    expect(full.inner).toBeNull();
  });

  it('accepts RTT 0 and explicit sizes, and reads the internal per-run options', () => {
    const a = parseBenchArgs([
      '--rtt',
      '0',
      '--sizes',
      '5',
      '--clients',
      '2',
      '--inner',
      '/tmp/r.json',
      '--inner-link',
      '500mbit',
      '--inner-rtt',
      '30',
    ]);
    expect(a.rttsMs).toEqual([0]);
    expect(a.sizesMb).toEqual([5]);
    expect(a.inner).toEqual({
      resultFile: '/tmp/r.json',
      link: { text: '500mbit', bitsPerSecond: 5e8 },
      rttMs: 30,
      relayBasePort: 0,
    });
  });

  it.each([
    [['--link', '1gb']],
    [['--link', 'fast']],
    [['--rtt', '-1']],
    [['--rtt', '2,,30']],
    [['--sizes', '0']],
    [['--runs', '2.5']],
    [['--bogus']],
  ])('refuses %j with a message', (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow(/--|Unknown option/);
  });

  it('shapes only the relay ports (the client hop) at the link rate, the rest of lo unshaped', () => {
    const cmds = shapingCommands(parseRate('1gbit'), 20000);
    expect(cmds[0]).toEqual(['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '20']);
    expect(cmds[1]).toEqual([
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
      '1gbit',
      'burst',
      '128kb',
      'cburst',
      '128kb',
    ]);
    const filters = cmds.filter((c) => c[0] === 'filter');
    expect(filters.map((f) => f.slice(-5))).toEqual([
      ['sport', '20000', '0xfffc', 'flowid', '1:10'],
      ['dport', '20000', '0xfffc', 'flowid', '1:10'],
    ]);
    expect(shapingCommands(parseRate('10gbit'), 20000)[1]).toContain('1mb');
    expect(() => shapingCommands(parseRate('1gbit'), 20001)).toThrow(/multiple of 4/);
  });

  it('reads the relay base port of an inner run', () => {
    expect(parseBenchArgs(['--inner', '/tmp/r.json', '--inner-relay-base', '20000']).inner?.relayBasePort).toBe(20000);
  });
});

describe('percentile', () => {
  it('is the nearest rank, whatever the input order', () => {
    const s = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(s, 0.5)).toBe(5);
    expect(percentile(s, 0.95)).toBe(10);
    expect(percentile(s, 0)).toBe(1);
    expect(percentile([42], 0.95)).toBe(42);
    expect(() => percentile([], 0.5)).toThrow();
  });
});

describe('summary line', () => {
  it('reports the lowest ratio with its link, the median, and the latency of the most demanding run', () => {
    const line = summaryLine([
      { link: '1gbit', bitsPerSecond: 1e9, rttMs: 2, ratios: [0.9, 0.8], warmP95: 50, coldP95: 120 },
      { link: '10gbit', bitsPerSecond: 1e10, rttMs: 30, ratios: [0.7, 1.0], warmP95: 210.4, coldP95: 480.6 },
      { link: '1gbit', bitsPerSecond: 1e9, rttMs: 30, ratios: [0.95], warmP95: 200, coldP95: 470 },
    ]);
    expect(line).toBe(
      'summary: ratio min 0.70 (link 10gbit), median 0.90; warm p95 210 ms, cold p95 481 ms (rtt 30 ms)',
    );
    expect(line).toMatch(
      /^summary: ratio min [\d.]+ \(link \S+\), median [\d.]+; warm p95 \d+ ms, cold p95 \d+ ms \(rtt \d+ ms\)$/,
    );
  });
});

describe('SVG charts', () => {
  it('rounds axes up to a nice value', () => {
    expect(niceMax(87)).toBe(100);
    expect(niceMax(120)).toBe(200);
    expect(niceMax(0.3)).toBeCloseTo(0.5);
    expect(niceMax(0)).toBe(1);
  });

  it('draws one bar per value, scaled to the axis, with the legend and escaped labels', () => {
    const svg = barChartSvg(
      't <1>',
      'MB/s',
      ['raw', 'decrypt'],
      [
        { label: '25MB x1', values: [100, 50] },
        { label: '50MB x5', values: [80, 40] },
      ],
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('t &lt;1&gt;');
    const bars = [
      ...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="[^"]+"><title>/g),
    ].map((m) => Number(m[1]));
    expect(bars).toHaveLength(4);
    // 100 is the axis maximum (niceMax(100) = 100): the full plot height; 50 is half of it.
    expect(bars[1]! / bars[0]!).toBeCloseTo(0.5);
    expect(bars[3]! / bars[2]!).toBeCloseTo(0.5);
    expect(svg).toContain('>raw</text>');
  });

  it('draws a CDF as a step line ending at 1', () => {
    expect(cdfPoints([3, 1, 2])).toEqual([
      { x: 1, y: 1 / 3 },
      { x: 2, y: 2 / 3 },
      { x: 3, y: 1 },
    ]);
    const svg = cdfChartSvg('latency', 'ms', [{ name: 'warm', samples: [10, 20, 30, 40] }]);
    const points = /<polyline[^>]*points="([^"]+)"/.exec(svg)![1]!.split(' ');
    expect(points).toHaveLength(8);
    expect(svg).toContain('>warm</text>');
  });
});

describe('bench:open plan (TLS, latency only, the cell budget, the estimate)', () => {
  it('runs TLS by default, plain http on request, and the latency part alone on request', () => {
    expect(parseBenchArgs([]).tls).toBe(true);
    expect(parseBenchArgs(['--plain-http']).tls).toBe(false);
    expect(parseBenchArgs([]).latencyOnly).toBe(false);
    expect(parseBenchArgs(['--latency-only']).latencyOnly).toBe(true);
    expect(parseBenchArgs(['--cell-budget-mb', 'none']).cellBudgetMb).toBeNull();
    expect(() => parseBenchArgs(['--cell-budget-mb', '-3'])).toThrow(/--cell-budget-mb/);
  });

  it('skips the cells past the budget of each link, more room on the faster one', () => {
    const full = parseBenchArgs([]);
    const slow = throughputPlan(full, parseRate('1gbit'));
    const fast = throughputPlan(full, parseRate('10gbit'));
    expect(slow).toHaveLength(16);
    const ran = (plan: typeof slow) =>
      plan
        .filter((c) => !c.skipped)
        .map((c) => `${c.sizeMb}x${c.clients}`)
        .sort();
    // Every size and every client count is measured somewhere; nothing moves more than the budget.
    for (const c of slow.filter((x) => !x.skipped)) expect(c.sizeMb * c.clients).toBeLessThanOrEqual(2500);
    expect(ran(slow)).toEqual(expect.arrayContaining(['25x50', '50x50', '500x1', '500x5', '1000x1']));
    expect(ran(slow)).not.toContain('1000x50');
    expect(ran(fast)).toEqual(expect.arrayContaining([...ran(slow), '500x10', '1000x5']));
    expect(
      throughputPlan(parseBenchArgs(['--cell-budget-mb', 'none']), parseRate('1gbit')).every((c) => !c.skipped),
    ).toBe(true);
    // Rounds: best of 3 for small cells, once for big ones.
    expect(slow.find((c) => c.sizeMb === 25 && c.clients === 1)?.reps).toBe(3);
    expect(slow.find((c) => c.sizeMb === 500 && c.clients === 1)?.reps).toBe(1);
  });

  it("estimates the default full run within the lead's 25 minutes, the quick one within 3, latency-only below both", () => {
    const links = [parseRate('1gbit'), parseRate('10gbit')];
    const full = estimateSeconds(parseBenchArgs([]), links);
    expect(full / 60).toBeLessThan(25);
    expect(estimateSeconds(parseBenchArgs(['--quick', '--rtt', '2']), [parseRate('1gbit')]) / 60).toBeLessThan(3);
    expect(estimateSeconds(parseBenchArgs(['--latency-only']), links)).toBeLessThan(full / 2);
    // Without the budget the full matrix at 1 Gbit/s alone would not fit (50 x 1000 MB = 50 GB per side).
    expect(estimateSeconds(parseBenchArgs(['--cell-budget-mb', 'none']), links) / 60).toBeGreaterThan(25);
  });
});
