import { describe, expect, it } from 'vitest';
import { findSection } from '../../../common/emergency-view';
import { buildEmergencyView } from '../../../main/fhir/index';
import { BundleIndex } from '../../../main/fhir/references';
import { buildGenerated, largeSectionSpec } from './generators';

/**
 * Issue 17 item 5: the emergency view is built in linear time. Work is counted, not timed:
 * reference lookups (BundleIndex.resolve) and array scans over the section (Array.prototype
 * .some/.find/.includes/.indexOf/.filter calls and spread copies) when the section doubles from 15k to 30k entries.
 * (scripts/bench/fhir-view.ts prints the time ratios.)
 */

function countWork(n: number) {
  const g = buildGenerated(largeSectionSpec(n));
  const counts = { resolve: 0, scans: 0 };
  const resolve = BundleIndex.prototype.resolve;
  const scans = ['some', 'find', 'findIndex', 'includes', 'indexOf', 'filter', Symbol.iterator] as const;
  const originals = scans.map((m) => [m, Array.prototype[m]] as const);
  BundleIndex.prototype.resolve = function (this: BundleIndex, ...args: Parameters<BundleIndex['resolve']>) {
    counts.resolve++;
    return resolve.apply(this, args);
  };
  // A call on a long array (copies by spread included: Symbol.iterator) is a scan: count the elements it may visit.
  for (const [m, fn] of originals) {
    (Array.prototype as unknown as Record<PropertyKey, unknown>)[m] = function (this: unknown[], ...args: unknown[]) {
      if (this.length >= 1000) counts.scans += this.length;
      return (fn as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  let view;
  try {
    view = buildEmergencyView(g.bundle);
  } finally {
    BundleIndex.prototype.resolve = resolve;
    for (const [m, fn] of originals) (Array.prototype as unknown as Record<PropertyKey, unknown>)[m] = fn;
  }
  return { counts, view };
}

describe('building the view is linear in the size of the document', () => {
  it('30k entries (20k in one section, 10k unlisted or only linked): twice the entries of 15k, at most ~twice the lookups and scans', () => {
    const half = countWork(15_000);
    const full = countWork(30_000);
    const results = findSection(full.view, 'results')!;
    // Every patient entry is there (a quarter of them as members of panels), those of the other patient apart.
    const shown = results.entries.reduce((n, e) => n + 1 + (e.type === 'observation' ? e.members.length : 0), 0);
    expect(shown + full.view.otherSubjectEntries.length).toBe(30_000);
    expect(full.view.otherSubjectEntries).toHaveLength(600);
    expect(full.counts.resolve / half.counts.resolve).toBeLessThan(2.2);
    expect(full.counts.resolve).toBeLessThan(30_000 * 8);
    expect(full.counts.scans / Math.max(1, half.counts.scans)).toBeLessThan(2.2);
    expect(full.counts.scans).toBeLessThan(30_000 * 40);
  });
});
