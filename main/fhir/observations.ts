import type * as fhir4 from 'fhir/r4';
import type { ObservationComponent, ObservationEntry } from '../../common/emergency-view';
import { base, choiceDate, opt, UNNAMED, type EntryContext } from './entry-base';
import {
  annotationTexts,
  clean,
  conceptDisplay,
  conceptList,
  describeConcept,
  periodText,
  quantityParts,
  rangeText,
  ratioText,
  list,
} from './text';

/** Interpretation codes that mean "look at this" (v3 ObservationInterpretation). */
const ABNORMAL = new Set([
  'H',
  'HH',
  'HU',
  'L',
  'LL',
  'LU',
  'A',
  'AA',
  'POS',
  'DET',
  'R',
  '<',
  '>',
  'CRITICAL',
  'ABNORMAL',
  'HIGH',
  'LOW',
]);
/** The same meanings in SNOMED CT: below / above reference range, abnormal, high, low. */
const ABNORMAL_SNOMED = new Set(['281300000', '281302008', '263654008', '75540009', '62482003']);

interface ValueFields {
  value?: string;
  unit?: string;
  referenceRange?: string;
  interpretation: string[];
  abnormal: boolean;
}

/** Observation and component share value[x], dataAbsentReason, interpretation, referenceRange. */
type Valued = Pick<
  fhir4.Observation,
  | 'valueQuantity'
  | 'valueCodeableConcept'
  | 'valueString'
  | 'valueBoolean'
  | 'valueInteger'
  | 'valueRange'
  | 'valueRatio'
  | 'valueSampledData'
  | 'valueTime'
  | 'valueDateTime'
  | 'valuePeriod'
  | 'dataAbsentReason'
  | 'interpretation'
  | 'referenceRange'
>;

function valueFields(o: Valued): ValueFields {
  let value: string | undefined;
  let unit: string | undefined;
  if (o.valueQuantity) ({ value, unit } = quantityParts(o.valueQuantity));
  else if (o.valueCodeableConcept) value = describeConcept(o.valueCodeableConcept);
  else if (typeof o.valueString === 'string') value = clean(o.valueString);
  else if (typeof o.valueBoolean === 'boolean') value = o.valueBoolean ? 'yes' : 'no';
  else if (typeof o.valueInteger === 'number') value = String(o.valueInteger);
  else if (o.valueRange) value = rangeText(o.valueRange);
  else if (o.valueRatio) value = ratioText(o.valueRatio);
  else if (o.valueSampledData) value = '(sampled data)';
  else if (typeof o.valueTime === 'string') value = clean(o.valueTime);
  else if (typeof o.valueDateTime === 'string') value = clean(o.valueDateTime);
  else if (o.valuePeriod) value = periodText(o.valuePeriod);
  if (value === undefined && o.dataAbsentReason)
    value = `(no value: ${describeConcept(o.dataAbsentReason) ?? 'unknown'})`;

  const interpretation = conceptList(o.interpretation);
  const codes = list(o.interpretation).flatMap((cc) => [
    ...list(cc.coding).map((c) =>
      c.system === 'http://snomed.info/sct' && ABNORMAL_SNOMED.has(c.code ?? '')
        ? 'ABNORMAL'
        : (c.code ?? '').toUpperCase(),
    ),
    (cc.text ?? '').toUpperCase(),
  ]);
  const ranges = list(o.referenceRange)
    .map((rr) => {
      const range = rangeText({ ...(rr.low ? { low: rr.low } : {}), ...(rr.high ? { high: rr.high } : {}) });
      const label = conceptDisplay(rr.type) ?? conceptList(rr.appliesTo).join(', ');
      const t = range ?? clean(rr.text);
      return t && label && range ? `${t} (${label})` : t;
    })
    .filter((t): t is string => t !== undefined);
  return {
    ...opt('value', value),
    ...opt('unit', unit),
    ...opt('referenceRange', ranges.length ? ranges.join('; ') : undefined),
    interpretation,
    abnormal: codes.some((c) => ABNORMAL.has(c)),
  };
}

function componentOf(c: fhir4.ObservationComponent): ObservationComponent {
  return { name: describeConcept(c.code) ?? UNNAMED, ...valueFields(c) };
}

/** The observations an Observation links to, in its order: hasMember first, then derivedFrom. */
export function observationLinks(r: fhir4.Observation): { ref: fhir4.Reference; link: 'hasMember' | 'derivedFrom' }[] {
  return [
    ...list(r.hasMember).map((ref) => ({ ref, link: 'hasMember' as const })),
    ...list(r.derivedFrom).map((ref) => ({ ref, link: 'derivedFrom' as const })),
  ];
}

export function observationEntry(ctx: EntryContext, r: fhir4.Observation): ObservationEntry {
  return {
    type: 'observation',
    ...base(ctx, undefined, annotationTexts(r.note)),
    name: describeConcept(r.code, { narrative: r.text }) ?? UNNAMED,
    ...valueFields(r),
    ...opt('date', choiceDate(r, 'effective') ?? clean(r.issued)),
    ...opt('status', clean(r.status)),
    categories: conceptList(r.category),
    components: list(r.component).map(componentOf),
    // Linked observations (hasMember, derivedFrom) are placed by the view (main/fhir/view.ts), once per section.
    members: [],
  };
}
