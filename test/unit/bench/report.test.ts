/**
 * The pure parts of `bench:open` (scripts/bench/report.ts): arguments and link rates, the tbf
 * arguments, nearest-rank percentiles, the script-readable summary line and the SVG charts.
 */
import { describe, expect, it } from 'vitest';
import {
  barChartSvg,
  cdfChartSvg,
  cdfPoints,
  niceMax,
  parseBenchArgs,
  parseRate,
  percentile,
  shapingCommands,
  summaryLine,
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
