import type * as fhir4 from 'fhir/r4';
import {
  type ObservationEntry,
  type OtherPatient,
  type OtherSubjectEntry,
  ADDITIONAL_SECTION_ORDER,
  EMERGENCY_SECTION_ORDER,
  REQUIRED_SECTIONS,
  type DocumentInfo,
  type EmergencyView,
  type NoInformationKind,
  type PatientHeader,
  type SectionKind,
  type ViewEntry,
  type ViewNotice,
  type ViewSection,
} from '../../common/emergency-view';
import { WorkstationError } from '../../common/errors';
import { absenceOfEmptyReason, type Absence } from './absence';
import { toEntry, type EntryContext } from './entries';
import { sourceText } from './entry-base';
import { observationEntry, observationLinks } from './observations';
import { orderEntries } from './order';
import { emptyPatientHeader, patientHeader, patientHeaderLite, referenceDisplay } from './patient';
import { BundleIndex, collectReferences, referenceLabel, type Located } from './references';
import { classifySection, defaultKindOf, DEFAULT_TITLES } from './sections';
import { clean, describeConcept, narrativeText, list } from './text';

/** Observations linked under others are followed this deep (panels of panels are two or three levels). */
const MAX_LINK_DEPTH = 8;
/** Reference lookups spent on linking observations and report results, per view: far above any real document, linear in its size. */
const linkBudget = (entries: number) => 200_000 + 8 * entries;

type Link = 'result' | 'hasMember' | 'derivedFrom';
interface Child {
  at: Located;
  link: Link;
}

/** A resource to show at the top level of a section, and why it is shown. */
interface Candidate {
  at: Located;
  listed: boolean;
  referencedBy?: string;
}

/**
 * The mappers read resources defensively, but a document can be malformed in ways no type
 * foresees: one unreadable entry becomes a visible placeholder, never a failed summary.
 */
function safeEntry(ctx: EntryContext): ViewEntry {
  try {
    return toEntry(ctx);
  } catch {
    return {
      type: 'other',
      ...placeholderBase(ctx),
      description: '(this entry could not be read)',
    };
  }
}

function placeholderBase(ctx: EntryContext) {
  return {
    key: ctx.at.key,
    resourceType: String(ctx.at.resource.resourceType),
    listedInSection: ctx.listed,
    notes: [],
    ...(ctx.referencedBy ? { referencedBy: ctx.referencedBy } : {}),
    ...(ctx.subject ? { subject: ctx.subject } : {}),
    resourceJson: sourceText(ctx.at.resource),
  };
}

function safeObservation(ctx: EntryContext): ObservationEntry {
  try {
    if (ctx.at.resource.resourceType === 'Observation') return observationEntry(ctx, ctx.at.resource);
  } catch {
    // fall through to the placeholder
  }
  return {
    type: 'observation',
    ...placeholderBase(ctx),
    name: '(this entry could not be read)',
    interpretation: [],
    abnormal: false,
    categories: [],
    components: [],
    members: [],
  };
}

/** A section while it is being built: one per kind (several document sections of a kind are merged). */
interface Draft {
  kind: SectionKind;
  titles: string[];
  inDocument: boolean;
  /** Top-level entries, in the order they were placed (sorted when the section is finished). */
  entries: ViewEntry[];
  /** Keys of every resource shown in this section, at the top level or nested: each is shown once per section. */
  placed: Set<string>;
  /** Keys the document's sections list here (a section listing a resource twice shows it once). */
  listed: Set<string>;
  /** Listed resources waiting to be placed. */
  pending: Candidate[];
  absences: Absence[];
  emptyReasons: Absence[];
  unresolved: string[];
  narratives: string[];
  /** Listed entries about someone else, moved to EmergencyView.otherSubjectEntries. */
  otherSubject: number;
}

const newDraft = (kind: SectionKind): Draft => ({
  kind,
  titles: [],
  inDocument: false,
  entries: [],
  placed: new Set(),
  listed: new Set(),
  pending: [],
  absences: [],
  emptyReasons: [],
  unresolved: [],
  narratives: [],
  otherSubject: 0,
});

/** Sections nested in sections are classified on their own (a "Results" section inside "Problems" is results). */
function flattenSections(sections: fhir4.CompositionSection[] | undefined, depth = 0): fhir4.CompositionSection[] {
  if (!Array.isArray(sections) || depth > 5) return [];
  return sections.flatMap((s) => (s && typeof s === 'object' ? [s, ...flattenSections(s.section, depth + 1)] : []));
}

function entryAbsence(entry: ViewEntry): Absence | undefined {
  if (!entry.absence) return undefined;
  const text =
    entry.type === 'allergy'
      ? entry.substance
      : entry.type === 'problem'
        ? entry.problem
        : entry.type === 'medication'
          ? entry.medication
          : entry.type === 'immunization'
            ? entry.vaccine
            : entry.type === 'procedure'
              ? entry.procedure
              : entry.type === 'device'
                ? entry.device
                : 'No information';
  return { kind: entry.absence, text };
}

function finishSection(d: Draft): ViewSection {
  const entries = d.entries;
  const real = entries.filter((e) => !e.absence);
  const narrative = d.narratives.length ? d.narratives.join('\n\n') : undefined;
  const title = d.titles[0] ?? DEFAULT_TITLES[d.kind];
  const common = {
    kind: d.kind,
    title,
    inDocument: d.inDocument,
    unresolvedReferences: d.unresolved,
    otherSubjectEntries: d.otherSubject,
    ...(narrative ? { narrative } : {}),
  };
  if (!d.inDocument && entries.length === 0) return { ...common, status: 'absent', entries: [] };
  if (real.length > 0) return { ...common, status: 'entries', entries: orderEntries(d.kind, entries) };
  const statements = [...d.absences, ...d.emptyReasons];
  let noInformation: { kind: NoInformationKind; text: string; entryKeys?: string[] };
  if (statements.length > 0) {
    const kind: NoInformationKind = statements.every((s) => s.kind === 'none-known') ? 'none-known' : 'no-information';
    noInformation = {
      kind,
      text: [...new Set(statements.map((s) => s.text))].join('; '),
      ...(entries.length ? { entryKeys: entries.map((e) => e.key) } : {}),
    };
  } else if (d.otherSubject > 0) {
    // Its entries are about someone else: the section's text (often generated from those very
    // entries) is not shown as the patient's; it stays available, collapsed, as `narrative`.
    noInformation = { kind: 'no-information', text: 'Only entries about someone else (listed apart)' };
  } else if (narrative) {
    // No usable structured entry (only references to nothing): the section's own text is what the document says.
    noInformation = {
      kind: 'narrative-only',
      text: narrative.length > 500 ? `${narrative.slice(0, 499)}…` : narrative,
    };
  } else if (d.unresolved.length > 0) {
    return { ...common, status: 'entries', entries: [] };
  } else {
    noInformation = { kind: 'no-information', text: 'The section is empty' };
  }
  return { ...common, status: 'no-information', noInformation, entries: [] };
}

function documentInfo(index: BundleIndex, bundle: fhir4.Bundle, at: Located, comp: fhir4.Composition): DocumentInfo {
  const authors = list(comp.author)
    .map((a) => referenceDisplay(index, at, a))
    .filter((t): t is string => !!t);
  const custodian = comp.custodian ? referenceDisplay(index, at, comp.custodian) : undefined;
  const language = clean(comp.language) ?? clean(bundle.language);
  const identifier = clean(bundle.identifier?.value) ?? clean(comp.identifier?.value);
  return {
    title: clean(comp.title) ?? 'Patient Summary',
    ...(clean(comp.date) ? { date: clean(comp.date)! } : {}),
    authors: [...new Set(authors)],
    ...(custodian ? { custodian } : {}),
    ...(clean(comp.status) ? { status: clean(comp.status)! } : {}),
    ...(language ? { language } : {}),
    ...(identifier ? { identifier } : {}),
  };
}

/**
 * What is unusual about the Bundle itself: IPS documents are `document` Bundles with the
 * Composition first and only one Composition; anything else is read, and said.
 */
function bundleNotices(bundle: fhir4.Bundle, index: BundleIndex, compAt: Located): ViewNotice[] {
  const notices: ViewNotice[] = [];
  const type = typeof bundle.type === 'string' ? bundle.type : undefined;
  if (type !== 'document') {
    notices.push({
      code: 'BUNDLE_NOT_DOCUMENT',
      detail: type
        ? `The Bundle is a ${type}, not a document; it is read as the summary its Composition describes.`
        : 'The Bundle does not say its type; it is read as the summary its Composition describes.',
    });
  }
  if (index.entries[0] !== compAt) {
    notices.push({
      code: 'COMPOSITION_NOT_FIRST',
      detail: `The Composition is entry ${Number(compAt.key.replace('entry-', '')) + 1} of the Bundle, not the first.`,
    });
  }
  const compositions = index.ofType('Composition').length;
  if (compositions > 1) {
    notices.push({
      code: 'SEVERAL_COMPOSITIONS',
      detail: `The Bundle holds ${compositions} Compositions; the first one is shown.`,
    });
  }
  return notices;
}

/** The reference saying who a clinical resource is about (undefined: it does not say). */
function subjectRef(resource: fhir4.FhirResource): fhir4.Reference | undefined {
  const r = resource as { subject?: unknown; patient?: unknown };
  const ref = r.subject ?? r.patient;
  return ref && typeof ref === 'object' && !Array.isArray(ref) ? (ref as fhir4.Reference) : undefined;
}

const refString = (ref: fhir4.Reference | undefined): string =>
  typeof ref?.reference === 'string' ? ref.reference.trim() : '';

/** Resources that are clinical statements worth a place when only other resources point at them. */
const REFERENCED_CLINICAL: Partial<Record<string, SectionKind>> = {
  CarePlan: 'planOfCare',
  Goal: 'planOfCare',
  ServiceRequest: 'planOfCare',
  NutritionOrder: 'planOfCare',
  MedicationAdministration: 'medications',
  MedicationDispense: 'medications',
  ClinicalImpression: 'other',
  FamilyMemberHistory: 'other',
  DocumentReference: 'other',
  QuestionnaireResponse: 'other',
  RiskAssessment: 'other',
  DetectedIssue: 'other',
  AdverseEvent: 'other',
  ImagingStudy: 'results',
  Media: 'results',
};
/** References from these do not make a resource "referenced by" anything clinical. */
const NOT_REFERRERS = new Set(['Composition', 'Provenance', 'AuditEvent', 'List', 'Bundle']);

/** A short label of a resource for "shown because ... points at it". */
function resourceLabel(r: fhir4.FhirResource): string {
  const any = r as unknown as Record<string, unknown>;
  const concept = (v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? describeConcept(v as fhir4.CodeableConcept) : undefined;
  const name =
    concept(any.code) ??
    concept(any.medicationCodeableConcept) ??
    concept(any.vaccineCode) ??
    concept(any.type) ??
    (typeof any.title === 'string' ? clean(any.title) : undefined);
  return name ? `${r.resourceType}: ${name}` : r.resourceType;
}

function otherPatientOf(at: Located): OtherPatient {
  const p = at.resource as fhir4.Patient;
  let header: PatientHeader | undefined;
  try {
    header = patientHeaderLite(p);
  } catch {
    header = undefined;
  }
  return {
    key: at.key,
    names: header?.names ?? [],
    ...(header?.birthDate ? { birthDate: header.birthDate } : {}),
    ...(header?.sex ? { sex: header.sex } : {}),
    identifiers: header?.identifiers.map((i) => (i.label ? `${i.value} (${i.label})` : i.value)) ?? [],
  };
}

/** The builder of one view: the document's index, the patient, and what has been shown where. */
class ViewBuilder {
  readonly notices: ViewNotice[] = [];
  readonly otherSubjectEntries: OtherSubjectEntry[] = [];
  private readonly foreignKeys = new Set<string>();
  private readonly drafts = new Map<SectionKind, Draft>();
  private readonly others: Draft[] = [];
  private referencedOther: Draft | undefined;
  private linkWork: number;
  private linkLimitHit = false;
  private readonly children = new Map<string, Child[]>();
  private readonly foreignLabel = new Map<string, string | null>();
  private readonly patientIds: Set<string>;

  constructor(
    readonly index: BundleIndex,
    readonly compAt: Located,
    readonly comp: fhir4.Composition,
    readonly patientAt: Located | undefined,
  ) {
    this.linkWork = linkBudget(index.entries.length);
    const p = patientAt?.resource.resourceType === 'Patient' ? patientAt.resource : undefined;
    this.patientIds = new Set(list(p?.identifier).map((i) => `${i?.system ?? ''}|${i?.value ?? ''}`));
  }

  draftFor(kind: SectionKind): Draft {
    if (kind === 'other') {
      const d = newDraft('other');
      this.others.push(d);
      return d;
    }
    let d = this.drafts.get(kind);
    if (!d) this.drafts.set(kind, (d = newDraft(kind)));
    return d;
  }

  /** One draft for "other" resources shown only because something points at them. */
  referencedOtherDraft(): Draft {
    if (!this.referencedOther) this.referencedOther = this.draftFor('other');
    return this.referencedOther;
  }

  allDrafts(): Draft[] {
    return [...this.drafts.values(), ...this.others];
  }

  /**
   * Who a resource is about when that is not the patient (undefined: the patient, or it does
   * not say). Another Patient of the document, a subject that is not in it, or an identifier
   * that is not the patient's: all count as someone else. Entries are flagged, never merged.
   */
  foreignSubject(at: Located): string | undefined {
    const cached = this.foreignLabel.get(at.key);
    if (cached !== undefined) return cached ?? undefined;
    const label = this.computeForeignSubject(at);
    this.foreignLabel.set(at.key, label ?? null);
    return label;
  }

  private computeForeignSubject(at: Located): string | undefined {
    if (at.resource.resourceType === 'Patient') return undefined;
    const ref = subjectRef(at.resource);
    if (!ref) return undefined;
    const compSubject = this.comp.subject;
    const target = this.index.resolve(ref, at);
    if (target) {
      if (
        this.patientAt
          ? target.resource === this.patientAt.resource
          : this.index.resolve(compSubject, this.compAt)?.resource === target.resource
      )
        return undefined;
      if (target.resource.resourceType === 'Patient') {
        const other = otherPatientOf(target);
        const sameId = list((target.resource as fhir4.Patient).identifier).some((i) =>
          this.patientIds.has(`${i?.system ?? ''}|${i?.value ?? ''}`),
        );
        const label = ['Patient', other.names[0] ?? '(no name)', other.birthDate && `born ${other.birthDate}`]
          .filter(Boolean)
          .join(' · ');
        return sameId ? `${label} (a second Patient resource sharing an identifier with the patient)` : label;
      }
      return `${target.resource.resourceType} ${referenceLabel(ref)}`;
    }
    const raw = refString(ref);
    if (raw) {
      if (raw === refString(compSubject)) return undefined;
      return `not in the document: ${raw}${clean(ref.display) ? ` (${clean(ref.display)})` : ''}`;
    }
    const id = ref.identifier;
    if (id && typeof id.value === 'string' && id.value.trim()) {
      if (this.patientIds.has(`${id.system ?? ''}|${id.value}`)) return undefined;
      const cid = compSubject?.identifier;
      if (cid && cid.value === id.value && (cid.system ?? '') === (id.system ?? '')) return undefined;
      return `identified as ${id.value.trim()}${id.system ? ` (${id.system})` : ''}`;
    }
    return undefined; // display only: it does not say who
  }

  addForeign(
    at: Located,
    listed: boolean,
    subject: string,
    where?: { kind: SectionKind; title: string },
    referencedBy?: string,
  ): void {
    if (this.foreignKeys.has(at.key)) return;
    this.foreignKeys.add(at.key);
    const entry = safeEntry({ index: this.index, at, listed, subject, ...(referencedBy ? { referencedBy } : {}) });
    this.otherSubjectEntries.push({
      subject,
      ...(where ? { sectionKind: where.kind, sectionTitle: where.title } : {}),
      entry,
    });
  }

  isForeignShown(key: string): boolean {
    return this.foreignKeys.has(key);
  }

  /** The observations a resource shows under it: a report's results, an observation's members (hasMember, derivedFrom). */
  private childrenOf(at: Located): Child[] {
    const known = this.children.get(at.key);
    if (known) return known;
    const out: Child[] = [];
    const r = at.resource;
    const refs: { ref: fhir4.Reference; link: Link }[] =
      r.resourceType === 'DiagnosticReport'
        ? list(r.result).map((ref) => ({ ref, link: 'result' as const }))
        : r.resourceType === 'Observation'
          ? observationLinks(r)
          : [];
    for (const { ref, link } of refs) {
      if (this.linkWork <= 0) {
        this.linkLimitHit = true;
        break;
      }
      this.linkWork--;
      const found = this.index.resolve(ref, at);
      if (found?.resource.resourceType === 'Observation' && found.key !== at.key) out.push({ at: found, link });
    }
    this.children.set(at.key, out);
    return out;
  }

  /**
   * Put resources at the top level of a section, each shown once in it: a resource another
   * one of the batch links to (a panel's member, a report's result) is shown under it, not on
   * its own. Linear: every resource is placed once per section, every link followed once.
   * Returns how many top-level entries were added.
   */
  place(draft: Draft, candidates: Candidate[]): number {
    const batch = candidates.filter((c) => !draft.placed.has(c.at.key));
    const keys = new Set(batch.map((c) => c.at.key));
    const nested = new Set<string>();
    for (const c of batch)
      for (const child of this.childrenOf(c.at)) if (keys.has(child.at.key)) nested.add(child.at.key);
    const ordered = [...batch.filter((c) => !nested.has(c.at.key)), ...batch.filter((c) => nested.has(c.at.key))];
    let added = 0;
    for (const c of ordered) {
      if (draft.placed.has(c.at.key)) continue;
      draft.placed.add(c.at.key);
      const entry = safeEntry({
        index: this.index,
        at: c.at,
        listed: c.listed,
        ...(c.referencedBy ? { referencedBy: c.referencedBy } : {}),
      });
      this.attach(draft, entry, c.at, c.listed);
      draft.entries.push(entry);
      const absence = entryAbsence(entry);
      if (absence) draft.absences.push(absence);
      added++;
    }
    return added;
  }

  private attach(draft: Draft, entry: ViewEntry, at: Located, listed: boolean): void {
    if (entry.type === 'observation') this.attachMembers(draft, entry, at, listed);
    else if (entry.type === 'report') {
      for (const child of this.childrenOf(at)) {
        if (draft.placed.has(child.at.key)) continue;
        const foreign = this.foreignSubject(child.at);
        if (foreign) {
          this.addForeign(child.at, listed, foreign, undefined, `result of ${resourceLabel(at.resource)}`);
          continue;
        }
        draft.placed.add(child.at.key);
        const obs = safeObservation({ index: this.index, at: child.at, listed });
        this.attachMembers(draft, obs, child.at, listed);
        entry.results.push(obs);
      }
    }
  }

  /** An observation's linked observations, flattened in pre-order with their level (iterative: no recursion on document data). */
  private attachMembers(draft: Draft, top: ObservationEntry, at: Located, listed: boolean): void {
    const stack: { child: Child; level: number }[] = [];
    const push = (from: Located, level: number) => {
      const kids = this.childrenOf(from);
      for (let i = kids.length - 1; i >= 0; i--) stack.push({ child: kids[i]!, level });
    };
    push(at, 1);
    while (stack.length > 0) {
      const { child, level } = stack.pop()!;
      if (draft.placed.has(child.at.key) || child.link === 'result') continue;
      const foreign = this.foreignSubject(child.at);
      if (foreign) {
        this.addForeign(child.at, listed, foreign, undefined, `linked from ${resourceLabel(at.resource)}`);
        continue;
      }
      draft.placed.add(child.at.key);
      const { members: _nested, ...obs } = safeObservation({ index: this.index, at: child.at, listed });
      top.members.push({ ...obs, link: child.link, level });
      if (level < MAX_LINK_DEPTH) push(child.at, level + 1);
    }
  }

  linkLimitReached(): boolean {
    return this.linkLimitHit;
  }
}

/**
 * The emergency view of an IPS (a Bundle from parseIpsBundle). Pure: no I/O, no clock.
 * Never throws for odd content; only a Bundle without a Composition is refused.
 * Linear in the size of the document: every lookup is by index, every link followed once.
 */
export function buildEmergencyView(bundle: fhir4.Bundle): EmergencyView {
  const index = new BundleIndex(bundle);
  const compAt = index.entries.find((e) => e.resource.resourceType === 'Composition');
  if (!compAt || compAt.resource.resourceType !== 'Composition') {
    throw new WorkstationError('FHIR_INVALID_BUNDLE', { problem: 'the first entry is not a Composition' });
  }
  const comp = compAt.resource;
  const notices: ViewNotice[] = [...bundleNotices(bundle, index, compAt)];

  // The patient: the Composition's subject; failing that, the document's only Patient.
  const patients = index.ofType('Patient');
  let patientAt = index.resolve(comp.subject, compAt);
  if (patientAt?.resource.resourceType !== 'Patient') {
    patientAt = patients.length === 1 ? patients[0] : undefined;
    notices.push({
      code: 'PATIENT_NOT_FOUND',
      detail: patientAt
        ? `The summary's subject (${referenceLabel(comp.subject)}) is not in the document; the document's only patient is shown.`
        : `The summary's subject (${referenceLabel(comp.subject)}) is not in the document.`,
    });
  }
  let patient: PatientHeader;
  try {
    patient = patientHeader(index, patientAt, clean(comp.subject?.display));
  } catch {
    patient = { ...emptyPatientHeader(), found: patientAt !== undefined };
  }
  const otherPatients = patients.filter((p) => p.resource !== patientAt?.resource).map(otherPatientOf);

  const b = new ViewBuilder(index, compAt, comp, patientAt);

  // 1. What the sections list: the patient's entries go to their section, the others apart.
  for (const section of flattenSections(comp.section)) {
    const kind = classifySection(section);
    const draft = b.draftFor(kind);
    draft.inDocument = true;
    const title = clean(section.title) ?? clean(section.code?.text);
    if (title && !draft.titles.includes(title)) draft.titles.push(title);
    const narrative = narrativeText(section.text);
    if (narrative) draft.narratives.push(narrative);
    if (section.emptyReason) draft.emptyReasons.push(absenceOfEmptyReason(section.emptyReason));
    for (const ref of list(section.entry)) {
      const at = index.resolve(ref, compAt);
      if (!at) {
        draft.unresolved.push(referenceLabel(ref));
        continue;
      }
      if (draft.listed.has(at.key)) continue;
      draft.listed.add(at.key);
      const foreign = b.foreignSubject(at);
      if (foreign) {
        b.addForeign(at, true, foreign, { kind, title: title ?? DEFAULT_TITLES[kind] });
        draft.otherSubject++;
        continue;
      }
      draft.pending.push({ at, listed: true });
    }
  }
  for (const d of b.allDrafts()) b.place(d, d.pending);

  const shownKeys = () => {
    const keys = new Set<string>();
    for (const d of b.allDrafts()) for (const k of d.placed) keys.add(k);
    return keys;
  };

  // 2. Clinical resources no section lists and nothing points at: shown under their usual section, not lost.
  const referrer = new Map<string, Located>();
  for (const e of index.entries) {
    if (NOT_REFERRERS.has(e.resource.resourceType)) continue;
    for (const ref of collectReferences(e.resource)) {
      const target = index.resolve(ref, e);
      if (target && target.key !== e.key && !referrer.has(target.key)) referrer.set(target.key, e);
    }
  }
  const retracted = (at: Located) => (at.resource as { status?: unknown }).status === 'entered-in-error';
  let shown = shownKeys();
  const unlisted = new Map<SectionKind, Candidate[]>();
  for (const at of index.entries) {
    const kind = defaultKindOf(at.resource);
    if (!kind || shown.has(at.key) || b.isForeignShown(at.key) || referrer.has(at.key) || retracted(at)) continue;
    const foreign = b.foreignSubject(at);
    if (foreign) b.addForeign(at, false, foreign);
    else {
      let list = unlisted.get(kind);
      if (!list) unlisted.set(kind, (list = []));
      list.push({ at, listed: false });
    }
  }
  let unlistedCount = 0;
  for (const [kind, candidates] of unlisted) unlistedCount += b.place(b.draftFor(kind), candidates);

  // 3. Clinical resources only other resources point at (a MedicationRequest a MedicationStatement is
  //    based on, an observation a panel outside the sections links to): shown, saying what points at them.
  shown = shownKeys();
  const referenced = new Map<Draft, Candidate[]>();
  const linking = (at: Located) =>
    at.resource.resourceType === 'DiagnosticReport' ||
    (at.resource.resourceType === 'Observation' && observationLinks(at.resource).length > 0);
  const pending = index.entries.filter(
    (at) => referrer.has(at.key) && !shown.has(at.key) && !b.isForeignShown(at.key) && !retracted(at),
  );
  // Reports and panels first, so that what they link to is shown under them.
  for (const at of [...pending.filter(linking), ...pending.filter((at) => !linking(at))]) {
    const kind = defaultKindOf(at.resource) ?? REFERENCED_CLINICAL[at.resource.resourceType];
    if (!kind) continue;
    const referencedBy = resourceLabel(referrer.get(at.key)!.resource);
    const foreign = b.foreignSubject(at);
    if (foreign) {
      b.addForeign(at, false, foreign, undefined, referencedBy);
      continue;
    }
    const draft = kind === 'other' ? b.referencedOtherDraft() : b.draftFor(kind);
    let list = referenced.get(draft);
    if (!list) referenced.set(draft, (list = []));
    list.push({ at, listed: false, referencedBy });
  }
  let referencedCount = 0;
  for (const [draft, candidates] of referenced) referencedCount += b.place(draft, candidates);

  const sections: ViewSection[] = [];
  const drafts = new Map(
    b
      .allDrafts()
      .filter((d) => d.kind !== 'other')
      .map((d) => [d.kind, d]),
  );
  for (const kind of EMERGENCY_SECTION_ORDER) sections.push(finishSection(drafts.get(kind) ?? newDraft(kind)));
  for (const kind of ADDITIONAL_SECTION_ORDER) {
    if (kind === 'other')
      sections.push(
        ...b
          .allDrafts()
          .filter((d) => d.kind === 'other')
          .map(finishSection),
      );
    else {
      const d = drafts.get(kind);
      if (d) sections.push(finishSection(d));
    }
  }

  // What the clinician must see first: other people in the document.
  const first: ViewNotice[] = [];
  if (otherPatients.length > 0) {
    const who = patient.names[0] ?? referenceLabel(comp.subject);
    first.push({
      code: 'SEVERAL_PATIENTS',
      detail: `The document holds ${otherPatients.length + 1} patients; the summary is about ${who}. Entries about the others are listed apart.`,
    });
  }
  if (b.otherSubjectEntries.length > 0) {
    const n = b.otherSubjectEntries.length;
    first.push({
      code: 'OTHER_SUBJECT_ENTRIES',
      detail: `${n} entr${n === 1 ? 'y is' : 'ies are'} about someone other than the patient: listed apart, not as the patient's.`,
    });
  }
  notices.unshift(...first);

  const unresolved = sections.reduce((n, s) => n + s.unresolvedReferences.length, 0);
  if (unresolved > 0) {
    notices.push({
      code: 'UNRESOLVED_REFERENCES',
      detail: `${unresolved} section entr${unresolved === 1 ? 'y is' : 'ies are'} not in the document.`,
    });
  }
  if (unlistedCount > 0) {
    notices.push({
      code: 'UNLISTED_RESOURCES',
      detail: `${unlistedCount} entr${unlistedCount === 1 ? 'y is' : 'ies are'} in the document but in no section; shown under their usual section.`,
    });
  }
  if (referencedCount > 0) {
    notices.push({
      code: 'REFERENCED_ONLY',
      detail: `${referencedCount} entr${referencedCount === 1 ? 'y is' : 'ies are'} in no section but referred to by other entries; shown under their usual section, saying what refers to them.`,
    });
  }
  if (b.linkLimitReached()) {
    notices.push({
      code: 'LINK_LIMIT',
      detail:
        'The document links more observations than can be shown under one another; the rest are shown on their own.',
    });
  }
  for (const s of sections) {
    if (REQUIRED_SECTIONS.includes(s.kind) && s.status === 'absent') {
      notices.push({
        code: 'REQUIRED_SECTION_ABSENT',
        detail: `The document has no ${DEFAULT_TITLES[s.kind]} section.`,
      });
    }
  }
  const status = clean(comp.status);
  if (status === 'preliminary' || status === 'entered-in-error') {
    notices.push({ code: 'DOCUMENT_STATUS', detail: `The summary is marked ${status}.` });
  }

  return {
    document: documentInfo(index, bundle, compAt, comp),
    patient,
    otherPatients,
    otherSubjectEntries: b.otherSubjectEntries,
    sections,
    notices,
  };
}
