import type * as fhir4 from 'fhir/r4';
import type {
  AlertEntry,
  AllergyEntry,
  AllergyReaction,
  DeviceEntry,
  DirectiveEntry,
  ImmunizationEntry,
  MedicationEntry,
  OtherEntry,
  ProblemEntry,
  ProcedureEntry,
  ReportEntry,
  ViewEntry,
  DosageDetail,
} from '../../common/emergency-view';
import { dosageDetail } from './dosage';
import { absenceOfConcept } from './absence';
import { base, choiceDate, opt, UNNAMED, type EntryContext } from './entry-base';
import { observationEntry } from './observations';
import { BundleIndex, referenceLabel, type Located } from './references';

export type { EntryContext } from './entry-base';
import {
  annotationTexts,
  clean,
  conceptDisplay,
  conceptList,
  describeConcept,
  narrativeText,
  periodText,
  ratioText,
  statusCode,
  list,
} from './text';

const SEVERITY_RANK: Record<string, number> = { severe: 3, moderate: 2, mild: 1 };

function allergyEntry(ctx: EntryContext, r: fhir4.AllergyIntolerance): AllergyEntry {
  const absence = absenceOfConcept(r.code);
  const reactions: AllergyReaction[] = list(r.reaction).map((re) => ({
    manifestations: conceptList(re.manifestation),
    ...opt('severity', clean(re.severity)),
    ...opt('description', clean(re.description)),
    ...opt('substance', conceptDisplay(re.substance)),
    ...opt('onset', clean(re.onset)),
  }));
  const highest = reactions
    .map((x) => x.severity)
    .filter((s): s is string => s !== undefined)
    .sort((a, b) => (SEVERITY_RANK[b] ?? 0) - (SEVERITY_RANK[a] ?? 0))[0];
  const criticality =
    r.criticality === 'high' || r.criticality === 'low' || r.criticality === 'unable-to-assess'
      ? r.criticality
      : undefined;
  const firstReactionSubstance = reactions.find((x) => x.substance)?.substance;
  return {
    type: 'allergy',
    ...base(ctx, absence, annotationTexts(r.note)),
    substance: describeConcept(r.code, { alternatives: [firstReactionSubstance], narrative: r.text }) ?? UNNAMED,
    ...opt('allergyType', clean(r.type)),
    categories: list(r.category).filter((c) => typeof c === 'string'),
    ...(criticality ? { criticality } : {}),
    ...opt('clinicalStatus', statusCode(r.clinicalStatus)),
    ...opt('verificationStatus', statusCode(r.verificationStatus)),
    reactions,
    ...opt('highestSeverity', highest),
    ...opt('onset', choiceDate(r, 'onset')),
    ...opt('recorded', clean(r.recordedDate)),
  };
}

/** Clinical statuses that say the problem is over (R4 condition-clinical); anything else, or none, is active. */
const ENDED_PROBLEM = new Set(['inactive', 'remission', 'resolved']);

function problemEntry(ctx: EntryContext, r: fhir4.Condition): ProblemEntry {
  const clinicalStatus = statusCode(r.clinicalStatus);
  return {
    type: 'problem',
    ...base(ctx, absenceOfConcept(r.code), annotationTexts(r.note)),
    problem: describeConcept(r.code, { narrative: r.text }) ?? UNNAMED,
    ...opt('clinicalStatus', clinicalStatus),
    ...opt('verificationStatus', statusCode(r.verificationStatus)),
    active: clinicalStatus === undefined || !ENDED_PROBLEM.has(clinicalStatus),
    ...opt('severity', conceptDisplay(r.severity)),
    categories: conceptList(r.category),
    bodySites: conceptList(r.bodySite),
    ...opt('onset', choiceDate(r, 'onset')),
    ...opt('abatement', choiceDate(r, 'abatement')),
    ...opt('recorded', clean(r.recordedDate)),
  };
}

function ingredientText(index: BundleIndex, at: Located, ing: fhir4.MedicationIngredient): string | undefined {
  const name =
    conceptDisplay(ing.itemCodeableConcept) ??
    (ing.itemReference
      ? (medicationName(index, index.resolve(ing.itemReference, at)) ?? clean(ing.itemReference.display))
      : undefined) ??
    describeConcept(ing.itemCodeableConcept);
  const strength = ratioText(ing.strength);
  return name && strength ? `${name} ${strength}` : name;
}

function medicationName(index: BundleIndex, found: Located | undefined): string | undefined {
  if (!found) return undefined;
  const r = found.resource;
  if (r.resourceType === 'Medication') {
    const ingredients = list(r.ingredient)
      .map((i) => ingredientText(index, found, i))
      .filter((t): t is string => !!t);
    return describeConcept(r.code, { alternatives: [ingredients.join(' + ')], narrative: r.text });
  }
  if (r.resourceType === 'Substance') return describeConcept(r.code, { alternatives: [clean(r.description)] });
  return undefined;
}

/** Statuses that say the medication is no longer taken. Anything else (active, intended, on-hold, draft, unknown...) is not de-emphasised. */
const ENDED_MEDICATION = new Set(['completed', 'stopped', 'cancelled', 'not-taken', 'entered-in-error']);

function medicationEntry(ctx: EntryContext, r: fhir4.MedicationStatement | fhir4.MedicationRequest): MedicationEntry {
  const { index, at } = ctx;
  const found = r.medicationReference ? index.resolve(r.medicationReference, at) : undefined;
  const med = found?.resource.resourceType === 'Medication' ? found.resource : undefined;
  const concept = r.medicationCodeableConcept ?? med?.code;
  const absence = absenceOfConcept(concept);
  const ingredients = med
    ? list(med.ingredient)
        .map((i) => ingredientText(index, found!, i))
        .filter((t): t is string => !!t)
    : [];
  const name =
    conceptDisplay(r.medicationCodeableConcept) ??
    medicationName(index, found) ??
    clean(r.medicationReference?.display) ??
    describeConcept(r.medicationCodeableConcept, { narrative: r.text }) ??
    (r.medicationReference ? `(medication not found: ${referenceLabel(r.medicationReference)})` : UNNAMED);
  const dosages = r.resourceType === 'MedicationStatement' ? r.dosage : r.dosageInstruction;
  const details = list(dosages)
    .map((d, i) => ({ d, i, seq: typeof d?.sequence === 'number' ? d.sequence : Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.seq - b.seq || a.i - b.i)
    .map(({ d }) => dosageDetail(d))
    .filter((d): d is DosageDetail => d !== undefined);
  const status = clean(r.status);
  const reasons = [...conceptList(r.reasonCode), ...list(r.reasonReference).map((ref) => reasonText(index, at, ref))];
  const period =
    r.resourceType === 'MedicationStatement'
      ? choiceDate(r, 'effective')
      : (periodText(r.dispenseRequest?.validityPeriod) ?? clean(r.authoredOn));
  return {
    type: 'medication',
    ...base(ctx, absence, annotationTexts(r.note)),
    medication: name,
    ingredients,
    ...opt('form', conceptDisplay(med?.form)),
    ...opt('status', status),
    active: status === undefined || !ENDED_MEDICATION.has(status),
    source: r.resourceType === 'MedicationStatement' ? 'statement' : 'request',
    dosage: details.map((d) => d.line),
    dosageDetails: details,
    ...opt('period', period),
    reasons: reasons.filter((t): t is string => !!t),
  };
}

function reasonText(index: BundleIndex, at: Located, ref: fhir4.Reference): string | undefined {
  const found = index.resolve(ref, at)?.resource;
  if (found && 'code' in found)
    return describeConcept(found.code as fhir4.CodeableConcept | undefined) ?? clean(ref.display);
  return clean(ref.display);
}

function immunizationEntry(ctx: EntryContext, r: fhir4.Immunization): ImmunizationEntry {
  const protocol = list(r.protocolApplied)[0];
  const dose = protocol
    ? (clean(protocol.doseNumberString) ??
      (typeof protocol.doseNumberPositiveInt === 'number' ? String(protocol.doseNumberPositiveInt) : undefined))
    : undefined;
  return {
    type: 'immunization',
    ...base(ctx, absenceOfConcept(r.vaccineCode), annotationTexts(r.note)),
    vaccine: describeConcept(r.vaccineCode, { narrative: r.text }) ?? UNNAMED,
    ...opt('date', choiceDate(r, 'occurrence')),
    ...opt('status', clean(r.status)),
    ...opt('doseNumber', dose),
    targetDiseases: list(r.protocolApplied).flatMap((p) => conceptList(p.targetDisease)),
    ...opt('lotNumber', clean(r.lotNumber)),
  };
}

function procedureEntry(ctx: EntryContext, r: fhir4.Procedure): ProcedureEntry {
  return {
    type: 'procedure',
    ...base(ctx, absenceOfConcept(r.code), annotationTexts(r.note)),
    procedure: describeConcept(r.code, { narrative: r.text }) ?? UNNAMED,
    ...opt('date', choiceDate(r, 'performed')),
    ...opt('status', clean(r.status)),
    bodySites: conceptList(r.bodySite),
  };
}

function deviceFacts(device: fhir4.Device | undefined): {
  name?: string;
  type?: string;
  udi?: string;
  notes: string[];
} {
  if (!device) return { notes: [] };
  const name = list(device.deviceName)
    .map((n) => clean(n.name))
    .find(Boolean);
  const type = conceptDisplay(device.type);
  const notes = annotationTexts(device.note);
  const udi = list(device.udiCarrier)
    .map((u) => clean(u.carrierHRF) ?? clean(u.deviceIdentifier))
    .find(Boolean);
  return {
    ...opt('name', name ?? clean(device.modelNumber)),
    ...opt('type', type ?? describeConcept(device.type, { alternatives: [notes[0]] })),
    ...opt('udi', udi),
    notes,
  };
}

function deviceEntry(ctx: EntryContext, r: fhir4.DeviceUseStatement | fhir4.Device): DeviceEntry {
  const { index, at } = ctx;
  const isUse = r.resourceType === 'DeviceUseStatement';
  const found = isUse ? index.resolve(r.device, at) : at;
  const device = found?.resource.resourceType === 'Device' ? found.resource : undefined;
  const facts = deviceFacts(device);
  const refDisplay = isUse ? clean(r.device?.display) : undefined;
  // The statement's display is often more specific than the device's type ("TuneAmp" vs "hearing aid").
  const name =
    facts.name ??
    refDisplay ??
    facts.notes[0] ??
    facts.type ??
    (isUse && r.device && !device ? `(device not found: ${referenceLabel(r.device)})` : UNNAMED);
  const absence = absenceOfConcept(device?.type);
  const notes = [...(isUse ? annotationTexts(r.note) : []), ...facts.notes.filter((n) => n !== name)];
  return {
    type: 'device',
    ...base(ctx, absence, notes),
    device: name,
    ...opt('deviceType', facts.type !== name ? facts.type : undefined),
    ...opt('status', clean(r.status)),
    ...opt('udi', facts.udi),
    ...opt('bodySite', isUse ? conceptDisplay(r.bodySite) : undefined),
    ...opt(
      'period',
      isUse ? (periodText(r.timingPeriod) ?? clean(r.timingDateTime) ?? clean(r.recordedOn)) : undefined,
    ),
  };
}

function alertEntry(ctx: EntryContext, r: fhir4.Flag): AlertEntry {
  return {
    type: 'alert',
    ...base(ctx, undefined),
    alert: describeConcept(r.code, { narrative: r.text }) ?? UNNAMED,
    categories: conceptList(r.category),
    ...opt('status', clean(r.status)),
    ...opt('period', periodText(r.period)),
  };
}

function directiveEntry(ctx: EntryContext, r: fhir4.Consent | fhir4.DocumentReference): DirectiveEntry {
  if (r.resourceType === 'Consent') {
    const provisions = collectProvisionCodes(r.provision);
    const comment = list(r.extension)
      .map((e) => clean(e.valueString))
      .filter((t): t is string => !!t);
    const categories = conceptList(r.category);
    const doc = clean(r.sourceAttachment?.title) ?? clean(r.sourceReference?.display);
    return {
      type: 'directive',
      ...base(ctx, undefined, comment),
      directive:
        provisions[0] ??
        comment[0] ??
        categories[0] ??
        conceptDisplay(r.scope) ??
        narrativeText(r.text, 300) ??
        UNNAMED,
      categories,
      ...opt('status', clean(r.status)),
      ...opt('date', clean(r.dateTime)),
      ...opt('document', doc),
    };
  }
  const attachment = list(r.content)[0]?.attachment;
  return {
    type: 'directive',
    ...base(ctx, undefined, inlineTexts(r)),
    directive:
      clean(r.description) ??
      describeConcept(r.type, { alternatives: [clean(attachment?.title)], narrative: r.text }) ??
      UNNAMED,
    categories: conceptList(r.category),
    ...opt('status', clean(r.status)),
    ...opt('date', clean(r.date)),
    ...opt('document', clean(attachment?.title)),
  };
}

/** Plain-text content carried inline (a clinician's note, e.g. an emergency-department note added by a workstation), capped. */
const INLINE_TEXT_MAX = 4000;
function inlineTexts(r: fhir4.DocumentReference): string[] {
  const out: string[] = [];
  for (const c of list(r.content)) {
    const a = c?.attachment;
    if (!a || typeof a.data !== 'string' || !/^text\/plain\b/i.test(a.contentType ?? '')) continue;
    const t = clean(
      Buffer.from(
        a.data.slice(0, 21_336 /* base64 of INLINE_TEXT_MAX chars of up to 4 UTF-8 bytes */),
        'base64',
      ).toString('utf8'),
    );
    if (t) out.push(t.length > INLINE_TEXT_MAX ? `${t.slice(0, INLINE_TEXT_MAX)}…` : t);
  }
  return out;
}

function collectProvisionCodes(p: fhir4.ConsentProvision | undefined, depth = 0): string[] {
  if (!p || depth > 5) return [];
  const own = conceptList(p.code);
  const actions = p.type === 'deny' ? conceptList(p.action).map((a) => `deny ${a}`) : [];
  return [...own, ...actions, ...list(p.provision).flatMap((c) => collectProvisionCodes(c, depth + 1))];
}

function reportEntry(ctx: EntryContext, r: fhir4.DiagnosticReport): ReportEntry {
  const { index, at } = ctx;
  let unresolvedResults = 0;
  for (const ref of list(r.result))
    if (index.resolve(ref, at)?.resource.resourceType !== 'Observation') unresolvedResults++;
  return {
    type: 'report',
    ...base(ctx, undefined),
    name: describeConcept(r.code, { narrative: r.text }) ?? UNNAMED,
    ...opt('date', choiceDate(r, 'effective') ?? clean(r.issued)),
    ...opt('status', clean(r.status)),
    ...opt('conclusion', clean(r.conclusion) ?? (conceptList(r.conclusionCode).join(', ') || undefined)),
    // The report's observations are placed by the view (main/fhir/view.ts), once per section.
    results: [],
    unresolvedResults,
  };
}

function otherEntry(ctx: EntryContext, r: fhir4.FhirResource): OtherEntry {
  const any = r as unknown as Record<string, unknown>;
  const code = (any.code ?? any.type) as fhir4.CodeableConcept | undefined;
  const str = (v: unknown) => (typeof v === 'string' ? clean(v) : undefined);
  const concept = (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? conceptDisplay(v as fhir4.CodeableConcept) : undefined;
  // Goal.description is a CodeableConcept; CarePlan has title/description strings and categories.
  const description =
    describeConcept(typeof code === 'object' ? code : undefined, {
      alternatives: [
        str(any.title),
        str(any.description),
        concept(any.description),
        str(any.name),
        conceptList(list(any.category as fhir4.CodeableConcept[] | undefined))[0],
      ],
      narrative: any.text as fhir4.Narrative | undefined,
    }) ?? r.resourceType;
  // A CarePlan named by its title still has its plan in `description`: shown once, as the detail
  // line, unless it only repeats the name (or the category the name may have come from).
  const planText = str(any.description);
  const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base' }) === 0;
  const detail =
    planText &&
    !same(planText, description) &&
    !conceptList(list(any.category as fhir4.CodeableConcept[] | undefined)).some((c) => same(c, planText))
      ? planText
      : undefined;
  const goalDue = list(any.target as fhir4.GoalTarget[] | undefined)
    .map((t) => clean(t?.dueDate))
    .find(Boolean);
  const period =
    periodText(any.period as fhir4.Period | undefined) ??
    (str(any.startDate) || goalDue
      ? [str(any.startDate) && `from ${str(any.startDate)}`, goalDue && `due ${goalDue}`].filter(Boolean).join(' ')
      : undefined);
  return {
    type: 'other',
    ...base(ctx, undefined),
    description,
    ...opt('detail', detail),
    ...opt('status', typeof any.status === 'string' ? clean(any.status) : undefined),
    ...opt(
      'date',
      choiceDate(any, 'effective') ??
        choiceDate(any, 'performed') ??
        choiceDate(any, 'occurrence') ??
        str(any.date) ??
        str(any.created) ??
        str(any.authoredOn),
    ),
    ...opt('period', period),
    ...opt('intent', str(any.intent)),
  };
}

/** The view entry of any resource a section lists. */
export function toEntry(ctx: EntryContext): ViewEntry {
  const r = ctx.at.resource;
  switch (r.resourceType) {
    case 'AllergyIntolerance':
      return allergyEntry(ctx, r);
    case 'Condition':
      return problemEntry(ctx, r);
    case 'MedicationStatement':
    case 'MedicationRequest':
      return medicationEntry(ctx, r);
    case 'Observation':
      return observationEntry(ctx, r);
    case 'DiagnosticReport':
      return reportEntry(ctx, r);
    case 'Immunization':
      return immunizationEntry(ctx, r);
    case 'Procedure':
      return procedureEntry(ctx, r);
    case 'DeviceUseStatement':
    case 'Device':
      return deviceEntry(ctx, r);
    case 'Flag':
      return alertEntry(ctx, r);
    case 'Consent':
    case 'DocumentReference':
      return directiveEntry(ctx, r);
    default:
      return otherEntry(ctx, r);
  }
}
