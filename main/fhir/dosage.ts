/**
 * FHIR R4 Dosage as text: what, how often, how long, how, when needed — all of it, and the
 * document's own text too when it has one ("1, twice a day, for 14 days" must never become "1").
 */

import type * as fhir4 from 'fhir/r4';
import type { DosageDetail } from '../../common/emergency-view';
import { clean, conceptDisplay, describeConcept, list, quantityText, rangeText, ratioText } from './text';

const UNIT: Record<string, [string, string]> = {
  s: ['second', 'seconds'],
  min: ['minute', 'minutes'],
  h: ['hour', 'hours'],
  d: ['day', 'days'],
  wk: ['week', 'weeks'],
  mo: ['month', 'months'],
  a: ['year', 'years'],
};

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function unitName(unit: string | undefined, n: number): string {
  const names = unit ? UNIT[unit] : undefined;
  if (!names) return unit ?? '';
  return n === 1 ? names[0] : names[1];
}

/** "for 14 days", "for 5–7 days". */
function durationText(
  value: number | undefined,
  max: number | undefined,
  unit: string | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  if (max !== undefined && max !== value) return `${value}–${max} ${unitName(unit, max)}`;
  return `${value} ${unitName(unit, value)}`;
}

/** EventTiming (v3 TimingEvent + FHIR event-timing) as words. */
const WHEN: Record<string, string> = {
  MORN: 'in the morning',
  'MORN.early': 'early in the morning',
  'MORN.late': 'late in the morning',
  NOON: 'at noon',
  AFT: 'in the afternoon',
  'AFT.early': 'early in the afternoon',
  'AFT.late': 'late in the afternoon',
  EVE: 'in the evening',
  'EVE.early': 'early in the evening',
  'EVE.late': 'late in the evening',
  NIGHT: 'at night',
  PHS: 'after sleep',
  HS: 'at bedtime',
  WAKE: 'on waking',
  C: 'with meals',
  CM: 'with breakfast',
  CD: 'with lunch',
  CV: 'with dinner',
  AC: 'before meals',
  ACM: 'before breakfast',
  ACD: 'before lunch',
  ACV: 'before dinner',
  PC: 'after meals',
  PCM: 'after breakfast',
  PCD: 'after lunch',
  PCV: 'after dinner',
};

/** How often: "once a day", "twice a day", "3 times a day", "every 8 hours", "every 4–6 hours", "2 times every 3 days". */
function frequencyText(rep: fhir4.TimingRepeat): string | undefined {
  const freq = num(rep.frequency);
  const freqMax = num(rep.frequencyMax);
  const period = num(rep.period);
  const periodMax = num(rep.periodMax);
  const unit = clean(rep.periodUnit);
  if (period === undefined || !unit) {
    if (freq === undefined) return undefined;
    return freqMax !== undefined && freqMax !== freq
      ? `${freq}–${freqMax} times`
      : freq === 1
        ? 'once'
        : `${freq} times`;
  }
  const f = freq ?? 1;
  const times =
    freqMax !== undefined && freqMax !== f
      ? `${f}–${freqMax} times`
      : f === 1
        ? 'once'
        : f === 2
          ? 'twice'
          : `${f} times`;
  const periodRange = periodMax !== undefined && periodMax !== period;
  if (f === 1 && freqMax === undefined) {
    // "every 8 hours", "every 4–6 hours", "once a day".
    if (period === 1 && !periodRange) return `once a ${unitName(unit, 1)}`;
    return `every ${periodRange ? `${period}–${periodMax}` : period} ${unitName(unit, periodRange ? periodMax! : period)}`;
  }
  if (period === 1 && !periodRange) return `${times} a ${unitName(unit, 1)}`;
  return `${times} every ${periodRange ? `${period}–${periodMax}` : period} ${unitName(unit, periodRange ? periodMax! : period)}`;
}

function boundsText(rep: fhir4.TimingRepeat): string | undefined {
  if (rep.boundsDuration) {
    const d = rep.boundsDuration;
    const unit = clean(d.code) ?? clean(d.unit);
    const v = num(d.value);
    return v !== undefined && unit && UNIT[unit]
      ? `for ${durationText(v, undefined, unit)}`
      : quantityText(d) && `for ${quantityText(d)}`;
  }
  if (rep.boundsRange) {
    const r = rep.boundsRange;
    const unit = clean(r.low?.code) ?? clean(r.high?.code);
    const lo = num(r.low?.value);
    const hi = num(r.high?.value);
    if (lo !== undefined && hi !== undefined && unit && UNIT[unit]) return `for ${durationText(lo, hi, unit)}`;
    const t = rangeText(r);
    return t && `for ${t}`;
  }
  if (rep.boundsPeriod) {
    const start = clean(rep.boundsPeriod.start);
    const end = clean(rep.boundsPeriod.end);
    if (start && end) return `from ${start} to ${end}`;
    if (start) return `from ${start}`;
    if (end) return `until ${end}`;
  }
  return undefined;
}

function timingParts(timing: fhir4.Timing | undefined): string[] {
  if (!timing || typeof timing !== 'object') return [];
  const rep = timing.repeat && typeof timing.repeat === 'object' ? timing.repeat : undefined;
  const parts: string[] = [];
  const code = conceptDisplay(timing.code);
  const freq = rep ? frequencyText(rep) : undefined;
  if (freq) parts.push(freq);
  else if (code) parts.push(code);
  else if (timing.code) {
    const c = describeConcept(timing.code);
    if (c) parts.push(c);
  }
  if (!rep) {
    const events = list(timing.event)
      .map((e) => clean(e))
      .filter((e): e is string => !!e);
    if (events.length) parts.push(`on ${events.join(', ')}`);
    return parts;
  }
  const days = list(rep.dayOfWeek)
    .map((d) => clean(d))
    .filter((d): d is string => !!d);
  if (days.length) parts.push(`on ${days.join(', ')}`);
  const times = list(rep.timeOfDay)
    .map((t) => clean(t))
    .filter((t): t is string => !!t);
  if (times.length) parts.push(`at ${times.join(', ')}`);
  const when = list(rep.when)
    .map((w) => (typeof w === 'string' ? (WHEN[w] ?? w) : undefined))
    .filter((w): w is string => !!w);
  if (when.length) {
    const offset = num(rep.offset);
    parts.push(offset !== undefined && offset > 0 ? `${offset} min ${when.join(', ')}` : when.join(', '));
  }
  const duration = num(rep.duration);
  if (duration !== undefined)
    parts.push(`each time over ${durationText(duration, num(rep.durationMax), clean(rep.durationUnit))}`);
  const bounds = boundsText(rep);
  if (bounds) parts.push(bounds);
  const count = num(rep.count);
  if (count !== undefined) {
    const countMax = num(rep.countMax);
    parts.push(
      countMax !== undefined && countMax !== count
        ? `${count}–${countMax} doses in all`
        : `${count} dose${count === 1 ? '' : 's'} in all`,
    );
  }
  return parts;
}

function asNeededText(d: fhir4.Dosage): string | undefined {
  if (d.asNeededCodeableConcept) return `as needed for ${describeConcept(d.asNeededCodeableConcept) ?? 'symptoms'}`;
  if (d.asNeededBoolean === true) return 'as needed';
  return undefined;
}

function doseText(d: fhir4.Dosage): { dose?: string; rate?: string } {
  const dr = list(d.doseAndRate)[0];
  const dose = quantityText(dr?.doseQuantity) ?? rangeText(dr?.doseRange);
  const rate = ratioText(dr?.rateRatio) ?? rangeText(dr?.rateRange) ?? quantityText(dr?.rateQuantity);
  return { ...(dose ? { dose } : {}), ...(rate ? { rate } : {}) };
}

function maxDoseText(d: fhir4.Dosage): string | undefined {
  const parts: string[] = [];
  for (const r of list(d.maxDosePerPeriod as fhir4.Ratio | fhir4.Ratio[] | undefined)) {
    const n = quantityText(r?.numerator);
    const den = r?.denominator;
    const dv = num(den?.value);
    const du = clean(den?.code) ?? clean(den?.unit);
    if (n && dv !== undefined && du && UNIT[du])
      parts.push(`${n} per ${dv === 1 ? unitName(du, 1) : `${dv} ${unitName(du, dv)}`}`);
    else if (n) parts.push(ratioText(r) ?? n);
  }
  const perAdmin = quantityText(d.maxDosePerAdministration);
  if (perAdmin) parts.push(`${perAdmin} per dose`);
  const perLife = quantityText(d.maxDosePerLifetime);
  if (perLife) parts.push(`${perLife} in a lifetime`);
  return parts.length ? parts.join('; ') : undefined;
}

/** One dosage, its parts and one line for lists: the document's text, then what the structure adds. */
export function dosageDetail(d: fhir4.Dosage): DosageDetail | undefined {
  if (!d || typeof d !== 'object') return undefined;
  const text = clean(d.text);
  const instruction = clean(d.patientInstruction);
  const { dose, rate } = doseText(d);
  const timing = timingParts(d.timing);
  const route = conceptDisplay(d.route) ?? describeConcept(d.route);
  const site = conceptDisplay(d.site) ?? describeConcept(d.site);
  const method = conceptDisplay(d.method) ?? describeConcept(d.method);
  const asNeeded = asNeededText(d);
  const maxDose = maxDoseText(d);
  const additional = list(d.additionalInstruction)
    .map((c) => describeConcept(c))
    .filter((t): t is string => !!t);
  const structured = [
    dose,
    rate && `at ${rate}`,
    ...timing,
    route,
    site && `site: ${site}`,
    method,
    asNeeded,
    maxDose && `max ${maxDose}`,
    ...additional,
  ].filter((p): p is string => !!p);
  const composed = structured.join(', ');
  const own = [text, instruction && instruction !== text ? instruction : undefined]
    .filter((t): t is string => !!t)
    .join(' — ');
  let line: string | undefined;
  if (own && composed)
    line = own.toLowerCase().replace(/\s+/g, ' ') === composed.toLowerCase() ? own : `${own} (${composed})`;
  else line = own || composed || undefined;
  if (!line) return undefined;
  return {
    line,
    ...(text ? { text } : {}),
    ...(instruction ? { patientInstruction: instruction } : {}),
    ...(dose ? { dose } : {}),
    ...(rate ? { rate } : {}),
    ...(timing.length ? { timing: timing.join(', ') } : {}),
    ...(route ? { route } : {}),
    ...(site ? { site } : {}),
    ...(method ? { method } : {}),
    ...(asNeeded ? { asNeeded } : {}),
    ...(maxDose ? { maxDose } : {}),
  };
}
