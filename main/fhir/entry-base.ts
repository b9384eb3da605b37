import type * as fhir4 from 'fhir/r4';
import type { Absence } from './absence';
import type { BundleIndex, Located } from './references';
import { clean, periodText, quantityText, rangeText } from './text';

/** What a mapper needs: where the resource is, and whether a section lists it. */
export interface EntryContext {
  index: BundleIndex;
  at: Located;
  listed: boolean;
  /** What points at it, when it is shown only for that reason. */
  referencedBy?: string;
  /** Who it is about, when that is not the patient. */
  subject?: string;
}

/** Longer sources are cut (a resource of the document carrying megabytes of inline data). */
export const SOURCE_MAX_CHARS = 100_000;

/** The resource's JSON, formatted, for the read-only source view. */
export function sourceText(resource: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(resource, null, 2) ?? '';
  } catch {
    return '(the source of this entry cannot be shown)';
  }
  return json.length > SOURCE_MAX_CHARS
    ? `${json.slice(0, SOURCE_MAX_CHARS)}\n… (${json.length - SOURCE_MAX_CHARS} more characters not shown)`
    : json;
}

/** Shown when a document names nothing at all (no code, text, display or narrative). */
export const UNNAMED = '(not named in the document)';

/** The fields every entry has. */
export function base(ctx: EntryContext, absence: Absence | undefined, notes: string[] = []) {
  return {
    key: ctx.at.key,
    resourceType: ctx.at.resource.resourceType,
    listedInSection: ctx.listed,
    ...(absence ? { absence: absence.kind } : {}),
    notes,
    ...(ctx.referencedBy ? { referencedBy: ctx.referencedBy } : {}),
    ...(ctx.subject ? { subject: ctx.subject } : {}),
    resourceJson: sourceText(ctx.at.resource),
  };
}

/** A FHIR choice of [x] date types as text: dateTime / Period / string / Age / Range. */
export function choiceDate(resource: object, prefix: string): string | undefined {
  const r = resource as Record<string, unknown>;
  const v = (suffix: string) => r[`${prefix}${suffix}`];
  return (
    clean(v('DateTime') as string | undefined) ??
    clean(v('Instant') as string | undefined) ??
    clean(v('Date') as string | undefined) ??
    clean((v('Period') as fhir4.Period | undefined)?.start) ??
    periodText(v('Period') as fhir4.Period | undefined) ??
    clean(v('String') as string | undefined) ??
    (v('Age') ? `age ${quantityText(v('Age') as fhir4.Age)}` : undefined) ??
    (v('Range') ? `age ${rangeText(v('Range') as fhir4.Range)}` : undefined) ??
    (typeof v('Boolean') === 'boolean' ? (v('Boolean') ? 'yes' : 'no') : undefined)
  );
}

/** An optional field, left out (not undefined) when there is no value: the view stays JSON-clean. */
export const opt = <K extends string>(key: K, value: string | undefined): { [P in K]?: string } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
