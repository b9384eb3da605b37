import { describe, expect, it } from 'vitest';
import type * as fhir4 from 'fhir/r4';
import { WorkstationError } from '../../../common/errors';
import { EmergencyView, findSection } from '../../../common/emergency-view';
import { emergencyViewOf, parseIpsBundle } from '../../../main/fhir/index';
import { MAX_BUNDLE_ENTRIES, MAX_JSON_DEPTH } from '../../../main/fhir/parse';
import { ALLERGIES, code, entry, ipsBundle, SNOMED } from './helpers';

/** Class 1 of issue 13: IPS content in searchset / collection Bundles is read, and the view says what was unusual. */

const subject = { reference: 'urn:uuid:patient-1' };
const penicillin = entry('urn:uuid:a1', {
  resourceType: 'AllergyIntolerance',
  patient: subject,
  criticality: 'high',
  code: code(SNOMED, '373270004', 'Substance with penicillin structure and antibacterial mechanism of action'),
});
const view = (b: fhir4.Bundle) => {
  const v = emergencyViewOf(JSON.stringify(b));
  expect(EmergencyView.safeParse(v).success).toBe(true);
  return v;
};
const problem = (text: string): string => {
  try {
    parseIpsBundle(text);
  } catch (e) {
    expect(e).toBeInstanceOf(WorkstationError);
    return String((e as WorkstationError).details?.problem);
  }
  throw new Error('expected FHIR_INVALID_BUNDLE');
};

describe('Bundle types other than document', () => {
  it.each(['searchset', 'collection', 'transaction'] as const)(
    'a %s with the Composition first shows its high-criticality allergy and says it is not a document',
    (type) => {
      const b = { ...ipsBundle([{ loinc: ALLERGIES, refs: ['urn:uuid:a1'] }], [penicillin]), type };
      const v = view(b);
      expect(findSection(v, 'allergies')?.entries[0]).toMatchObject({ type: 'allergy', criticality: 'high' });
      expect(v.notices.find((n) => n.code === 'BUNDLE_NOT_DOCUMENT')?.detail).toContain(type);
    },
  );

  it('a searchset with search modes and an OperationOutcome: only the clinical content is shown', () => {
    const b = ipsBundle([{ loinc: ALLERGIES, refs: ['urn:uuid:a1'] }], [penicillin]);
    const searchset: fhir4.Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total: 1,
      entry: [
        ...b.entry!.map((e, i) => ({ ...e, search: { mode: i === 0 ? ('match' as const) : ('include' as const) } })),
        {
          resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
          search: { mode: 'outcome' },
        },
      ],
    };
    const v = view(searchset);
    expect(findSection(v, 'allergies')?.entries).toHaveLength(1);
    expect(v.sections.flatMap((s) => s.entries).map((e) => e.resourceType)).toEqual(['AllergyIntolerance']);
  });

  it('a document is not flagged', () => {
    expect(
      view(ipsBundle([{ loinc: ALLERGIES, refs: ['urn:uuid:a1'] }], [penicillin])).notices.map((n) => n.code),
    ).not.toContain('BUNDLE_NOT_DOCUMENT');
  });

  it('a Composition that is not first, a Bundle without a type, and two Compositions are read and said', () => {
    const b = ipsBundle([{ loinc: ALLERGIES, refs: ['urn:uuid:a1'] }], [penicillin]);
    const [comp, ...rest] = b.entry!;
    const moved: fhir4.Bundle = {
      resourceType: 'Bundle',
      entry: [
        ...rest,
        comp!,
        {
          fullUrl: 'urn:uuid:comp2',
          resource: { ...(comp!.resource as fhir4.Composition), id: 'comp2', title: 'Second' },
        },
      ],
    } as fhir4.Bundle;
    const v = view(moved);
    expect(v.document.title).toBe('Test Summary');
    expect(v.notices.map((n) => n.code)).toEqual(
      expect.arrayContaining(['BUNDLE_NOT_DOCUMENT', 'COMPOSITION_NOT_FIRST', 'SEVERAL_COMPOSITIONS']),
    );
    expect(v.notices.find((n) => n.code === 'COMPOSITION_NOT_FIRST')?.detail).toBe(
      'The Composition is entry 3 of the Bundle, not the first.',
    );
    expect(findSection(v, 'allergies')?.entries).toHaveLength(1);
  });

  it('Bundle types that are not a summary (history, message...) and Bundles without a Composition are still refused', () => {
    expect(
      problem(
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'history',
          entry: [{ resource: { resourceType: 'Composition' } }],
        }),
      ),
    ).toBe('Bundle type is history, not document');
    expect(
      problem(
        JSON.stringify({
          resourceType: 'Bundle',
          type: 'collection',
          entry: [{ resource: { resourceType: 'Patient' } }],
        }),
      ),
    ).toBe('the Bundle holds no Composition');
    expect(problem(JSON.stringify({ resourceType: 'Bundle', type: 7, entry: [] }))).toBe(
      'Bundle type is malformed, not document',
    );
  });
});

describe('input limits of the parse entry point', () => {
  it('refuses JSON nested deeper than the limit, without overflowing the stack', () => {
    const deep = `{"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Composition","x":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`;
    expect(problem(deep)).toBe(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    // Just under the limit is fine.
    const ok = ipsBundle([]) as unknown as { entry: { resource: Record<string, unknown> }[] };
    ok.entry[0]!.resource.extension = JSON.parse(`${'['.repeat(MAX_JSON_DEPTH - 6)}${']'.repeat(MAX_JSON_DEPTH - 6)}`);
    expect(parseIpsBundle(JSON.stringify(ok)).resourceType).toBe('Bundle');
  });

  it('refuses more entries than the limit', () => {
    const b = ipsBundle([]);
    const many = `{"resourceType":"Bundle","type":"document","entry":[${JSON.stringify(b.entry![0])}${',{}'.repeat(MAX_BUNDLE_ENTRIES)}]}`;
    expect(problem(many)).toBe(`more than ${MAX_BUNDLE_ENTRIES} entries`);
  });
});
