import { describe, expect, it } from 'vitest';
import { MAX_PENDING_SCANS, PendingScans, SCAN_TTL_MS } from '../../../main/open-record/index';

function clock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

describe('PendingScans', () => {
  it('keeps a scan until the limit on the injected clock, then refuses it with SCAN_EXPIRED and wipes it', () => {
    const c = clock();
    const disposed: string[] = [];
    const scans = new PendingScans<{ key: string }>({ now: c.now, dispose: (s) => disposed.push(s.key) });
    const id = scans.add({ key: 'k1' });
    c.advance(SCAN_TTL_MS);
    expect(scans.require(id)).toEqual({ key: 'k1' });
    c.advance(1);
    expect(() => scans.require(id)).toThrow(expect.objectContaining({ code: 'SCAN_EXPIRED' }));
    expect(disposed).toEqual(['k1']);
    expect(scans.has(id)).toBe(false);
    expect(() => scans.require('unknown')).toThrow(expect.objectContaining({ code: 'SCAN_EXPIRED' }));
  });

  it('holds at most MAX_PENDING_SCANS, dropping the oldest; clear drops (and wipes) them all', () => {
    const c = clock();
    const disposed: number[] = [];
    const scans = new PendingScans<number>({ now: c.now, dispose: (n) => disposed.push(n) });
    const ids = Array.from({ length: MAX_PENDING_SCANS + 2 }, (_, i) => scans.add(i));
    expect(scans.size).toBe(MAX_PENDING_SCANS);
    expect(disposed).toEqual([0, 1]);
    expect(scans.has(ids[0]!)).toBe(false);
    expect(scans.require(ids.at(-1)!)).toBe(MAX_PENDING_SCANS + 1);
    scans.clear();
    expect(scans.size).toBe(0);
    expect(disposed).toHaveLength(MAX_PENDING_SCANS + 2);
  });

  it('sweeps expired scans when a new one is added', () => {
    const c = clock();
    const scans = new PendingScans<string>({ now: c.now });
    scans.add('old');
    c.advance(SCAN_TTL_MS + 1);
    scans.add('new');
    expect(scans.size).toBe(1);
  });
});
