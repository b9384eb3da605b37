import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmergencyView, type ViewSection } from '../../../common/emergency-view';
import { buildEmergencyView, emergencyViewOf, formatEmergencyViewText } from '../../../main/fhir/index';
import { buildGenerated, specArb, type Generated, type GenSectionKind } from './generators';

/**
 * Property tests over generated IPS documents (issue 13): random reference styles (fullUrl,
 * Type/id, urn:uuid without fullUrl, absolute URL, contained), random section membership,
 * extra Patients, Observations linking others (hasMember / derivedFrom, cycles included).
 */

/** Every key a section shows: top-level entries, report results, linked members. */
function keysShown(s: ViewSection): string[] {
  return s.entries.flatMap((e) => [
    e.key,
    ...(e.type === 'observation' ? e.members.map((m) => m.key) : []),
    ...(e.type === 'report' ? e.results.flatMap((r) => [r.key, ...r.members.map((m) => m.key)]) : []),
  ]);
}

function check(g: Generated, v: EmergencyView): void {
  expect(EmergencyView.safeParse(v).success).toBe(true);
  const { spec, keys } = g;
  const mine = (i: number) => spec.resources[i]!.subject < 0;
  const byKind = new Map(v.sections.filter((s) => s.kind !== 'other').map((s) => [s.kind, s]));
  const everywhere = v.sections.flatMap(keysShown);
  const apart = v.otherSubjectEntries.map((o) => o.entry.key);

  spec.resources.forEach((r, i) => {
    const key = keys[i]!;
    if (mine(i)) {
      // Every section entry is shown once in each section that lists it (on its own or linked under another).
      for (const kind of new Set<GenSectionKind>(r.sections)) {
        const shown = keysShown(byKind.get(kind)!);
        expect(
          shown.filter((k) => k === key),
          `${key} in ${kind}`,
        ).toHaveLength(1);
      }
      // Nothing of the patient's is lost: unlisted resources are shown somewhere too.
      expect(everywhere, `${key} shown`).toContain(key);
      expect(apart).not.toContain(key);
    } else {
      // Nothing about another patient is shown as the patient's; it is listed apart, once.
      expect(everywhere, `${key} not in sections`).not.toContain(key);
      expect(
        apart.filter((k) => k === key),
        `${key} apart`,
      ).toHaveLength(1);
    }
  });
  // Nothing is shown that the document does not hold, and no section shows a resource twice.
  for (const s of v.sections) expect(new Set(keysShown(s)).size).toBe(keysShown(s).length);
  expect(new Set(apart).size).toBe(apart.length);
  for (const k of [...everywhere, ...apart]) expect(keys).toContain(k);

  if (spec.extraPatients > 0) expect(v.notices[0]?.code).toBe('SEVERAL_PATIENTS');
  else expect(v.notices.map((n) => n.code)).not.toContain('SEVERAL_PATIENTS');
  expect(v.otherPatients).toHaveLength(spec.extraPatients);
  if (apart.length > 0) expect(v.notices.map((n) => n.code)).toContain('OTHER_SUBJECT_ENTRIES');
  for (const o of v.otherSubjectEntries) expect(o.entry.subject).toBe(o.subject);
}

describe('generated IPS documents', () => {
  it("every section entry is shown once, nothing about another patient is shown as the patient's, nothing crashes", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const g = buildGenerated(spec);
        check(g, buildEmergencyView(g.bundle));
      }),
      { numRuns: 300 },
    );
  });

  it('the same holds for the content sent as a searchset or a collection, through the parse entry point', () => {
    fc.assert(
      fc.property(specArb, fc.constantFrom('searchset' as const, 'collection' as const), (spec, type) => {
        const g = buildGenerated(spec, type);
        const v = emergencyViewOf(JSON.stringify(g.bundle));
        check(g, v);
        expect(v.notices.map((n) => n.code)).toContain('BUNDLE_NOT_DOCUMENT');
      }),
      { numRuns: 100 },
    );
  });

  it('a bundle mangled at random (entries dropped, fields replaced by junk) never crashes the view', () => {
    const junk = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.string({ maxLength: 5 }),
      fc.constant([]),
      fc.constant({}),
      fc.constant([null]),
    );
    fc.assert(
      fc.property(
        specArb,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom('subject', 'patient', 'hasMember', 'derivedFrom', 'code', 'status', 'contained', 'id'),
            junk,
          ),
          { maxLength: 8 },
        ),
        (spec, edits) => {
          const { bundle } = buildGenerated(spec);
          const entries = bundle.entry!;
          for (const [n, field, value] of edits) {
            const target = entries[1 + (n % Math.max(1, entries.length - 1))]?.resource as unknown as
              Record<string, unknown> | undefined;
            if (target) target[field] = value;
          }
          const v = buildEmergencyView(bundle);
          expect(EmergencyView.safeParse(v).success).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('real samples mangled at random', () => {
  it('replacing any value anywhere in a real document with junk never crashes the view (it may only be refused with FHIR_INVALID_BUNDLE)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { SAMPLES_DIR, sample } = await import('./helpers');
    const texts = readdirSync(SAMPLES_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => readFileSync(sample(f), 'utf8'));
    /** Every [container, key] pair of a JSON value, iteratively. */
    const slots = (root: unknown): [Record<string, unknown> | unknown[], string | number][] => {
      const out: [Record<string, unknown> | unknown[], string | number][] = [];
      const stack = [root];
      while (stack.length) {
        const v = stack.pop();
        if (Array.isArray(v)) {
          v.forEach((c, i) => {
            out.push([v, i]);
            stack.push(c);
          });
        } else if (v && typeof v === 'object') {
          for (const [k, c] of Object.entries(v)) {
            out.push([v as Record<string, unknown>, k]);
            stack.push(c);
          }
        }
      }
      return out;
    };
    const junk = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.string({ maxLength: 4 }),
      fc.constant([]),
      fc.constant({}),
      fc.constant([null, 1]),
      fc.constant({ reference: '#' }),
      fc.constant({ reference: 'Patient/x' }),
    );
    fc.assert(
      fc.property(
        fc.nat(texts.length - 1),
        fc.array(fc.tuple(fc.nat(), junk), { minLength: 1, maxLength: 6 }),
        (which, edits) => {
          const doc = JSON.parse(texts[which]!) as unknown;
          const all = slots(doc);
          for (const [n, value] of edits) {
            const [container, key] = all[n % all.length]!;
            (container as Record<string | number, unknown>)[key] = value;
          }
          let v;
          try {
            v = emergencyViewOf(JSON.stringify(doc));
          } catch (e) {
            expect((e as { code?: string }).code).toBe('FHIR_INVALID_BUNDLE');
            return;
          }
          expect(EmergencyView.safeParse(v).success).toBe(true);
          expect(typeof formatEmergencyViewText(v)).toBe('string');
        },
      ),
      { numRuns: 400 },
    );
  });
});
