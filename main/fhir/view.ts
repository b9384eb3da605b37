import type * as fhir4 from 'fhir/r4';
import {
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
import { orderEntries } from './order';
import { emptyPatientHeader, patientHeader, referenceDisplay } from './patient';
import { BundleIndex, collectReferences, referenceLabel, type Located } from './references';
import { classifySection, defaultKindOf, DEFAULT_TITLES } from './sections';
import { clean, narrativeText, list } from './text';

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
      key: ctx.at.key,
      resourceType: String(ctx.at.resource.resourceType),
      listedInSection: ctx.listed,
      notes: [],
      description: '(this entry could not be read)',
    };
  }
}

/** A section while it is being built: one per kind (several document sections of a kind are merged). */
interface Draft {
  kind: SectionKind;
  titles: string[];
  inDocument: boolean;
  entries: ViewEntry[];
  /** Keys of `entries`, so a section listing a resource twice shows it once (without a scan). */
  keys: Set<string>;
  absences: Absence[];
  emptyReasons: Absence[];
  unresolved: string[];
  narratives: string[];
}

const newDraft = (kind: SectionKind): Draft => ({
  kind,
  titles: [],
  inDocument: false,
  entries: [],
  keys: new Set(),
  absences: [],
  emptyReasons: [],
  unresolved: [],
  narratives: [],
});

/** Sections nested in sections are classified on their own (a "Results" section inside "Problems" is results). */
function flattenSections(sections: fhir4.CompositionSection[] | undefined, depth = 0): fhir4.CompositionSection[] {
  if (!Array.isArray(sections) || depth > 5) return [];
  return sections.flatMap((s) => (s && typeof s === 'object' ? [s, ...flattenSections(s.section, depth + 1)] : []));
}

function entryKeys(e: ViewEntry): string[] {
  return e.type === 'report' ? [e.key, ...e.results.map((r) => r.key)] : [e.key];
}

function addEntry(draft: Draft, entry: ViewEntry, absence: Absence | undefined, shown: Set<string>): void {
  for (const k of entryKeys(entry)) shown.add(k);
  draft.keys.add(entry.key);
  if (absence && entry.absence) draft.absences.push(absence);
  draft.entries.push(entry);
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
  // Observations a report of this section already shows are not repeated on their own.
  const inReports = new Set(d.entries.flatMap((e) => (e.type === 'report' ? e.results.map((r) => r.key) : [])));
  const entries = d.entries.filter((e) => e.type === 'report' || !inReports.has(e.key));
  const real = entries.filter((e) => !e.absence);
  const narrative = d.narratives.length ? d.narratives.join('\n\n') : undefined;
  const title = d.titles[0] ?? DEFAULT_TITLES[d.kind];
  const common = {
    kind: d.kind,
    title,
    inDocument: d.inDocument,
    unresolvedReferences: d.unresolved,
    ...(narrative ? { narrative } : {}),
  };
  if (!d.inDocument && entries.length === 0) return { ...common, status: 'absent', entries: [] };
  if (real.length > 0 || (entries.length === 0 && d.unresolved.length > 0)) {
    return { ...common, status: 'entries', entries: orderEntries(d.kind, entries) };
  }
  const statements = [...d.absences, ...d.emptyReasons];
  let noInformation: { kind: NoInformationKind; text: string };
  if (statements.length > 0) {
    const kind: NoInformationKind = statements.every((s) => s.kind === 'none-known') ? 'none-known' : 'no-information';
    noInformation = { kind, text: [...new Set(statements.map((s) => s.text))].join('; ') };
  } else if (narrative) {
    noInformation = { kind: 'narrative-only', text: narrative.length > 500 ? `${narrative.slice(0, 499)}…` : narrative };
  } else {
    noInformation = { kind: 'no-information', text: 'The section is empty' };
  }
  return { ...common, status: 'no-information', noInformation, entries: [] };
}

function documentInfo(index: BundleIndex, bundle: fhir4.Bundle, at: Located, comp: fhir4.Composition): DocumentInfo {
  const authors = (list(comp.author)).map((a) => referenceDisplay(index, at, a)).filter((t): t is string => !!t);
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
      detail: type ? `The Bundle is a ${type}, not a document; it is read as the summary its Composition describes.` : 'The Bundle does not say its type; it is read as the summary its Composition describes.',
    });
  }
  if (index.entries[0] !== compAt) {
    notices.push({ code: 'COMPOSITION_NOT_FIRST', detail: `The Composition is entry ${Number(compAt.key.replace('entry-', '')) + 1} of the Bundle, not the first.` });
  }
  const compositions = index.ofType('Composition').length;
  if (compositions > 1) {
    notices.push({ code: 'SEVERAL_COMPOSITIONS', detail: `The Bundle holds ${compositions} Compositions; the first one is shown.` });
  }
  return notices;
}

/** The patient resource a clinical resource is about, when it says (undefined: it does not say). */
function subjectOf(resource: fhir4.FhirResource): fhir4.Reference | undefined {
  const r = resource as { subject?: fhir4.Reference; patient?: fhir4.Reference };
  return r.subject ?? r.patient;
}

/**
 * The emergency view of an IPS document (a Bundle from parseIpsBundle). Pure: no I/O, no clock.
 * Never throws for odd content; only a Bundle without a Composition is refused.
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
  let patientAt = index.resolve(comp.subject, compAt);
  if (patientAt?.resource.resourceType !== 'Patient') {
    const patients = index.ofType('Patient');
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

  const drafts = new Map<SectionKind, Draft>();
  const others: Draft[] = [];
  const draftFor = (kind: SectionKind): Draft => {
    if (kind === 'other') {
      const d = newDraft('other');
      others.push(d);
      return d;
    }
    let d = drafts.get(kind);
    if (!d) drafts.set(kind, (d = newDraft(kind)));
    return d;
  };
  const shown = new Set<string>();

  for (const section of flattenSections(comp.section)) {
    const draft = draftFor(classifySection(section));
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
      if (draft.keys.has(at.key)) continue;
      const entry = safeEntry({ index, at, listed: true });
      addEntry(draft, entry, entryAbsence(entry), shown);
    }
  }

  // Clinical resources no section lists (and nothing else points at) are shown, not lost.
  const referenced = new Set<string>();
  for (const e of index.entries) {
    if (e === compAt) continue;
    for (const ref of collectReferences(e.resource)) {
      const target = index.resolve(ref, e);
      if (target && target.key !== e.key) referenced.add(target.key);
    }
  }
  let unlisted = 0;
  for (const at of index.entries) {
    const kind = defaultKindOf(at.resource);
    if (!kind || shown.has(at.key) || referenced.has(at.key)) continue;
    if ((at.resource as { status?: string }).status === 'entered-in-error') continue;
    const subject = subjectOf(at.resource);
    const subjectAt = subject ? index.resolve(subject, at) : undefined;
    if (subjectAt && patientAt && subjectAt.resource !== patientAt.resource) continue;
    const entry = safeEntry({ index, at, listed: false });
    addEntry(draftFor(kind), entry, entryAbsence(entry), shown);
    unlisted++;
  }

  const sections: ViewSection[] = [];
  for (const kind of EMERGENCY_SECTION_ORDER) sections.push(finishSection(drafts.get(kind) ?? newDraft(kind)));
  for (const kind of ADDITIONAL_SECTION_ORDER) {
    if (kind === 'other') sections.push(...others.map(finishSection));
    else {
      const d = drafts.get(kind);
      if (d) sections.push(finishSection(d));
    }
  }

  const unresolved = sections.reduce((n, s) => n + s.unresolvedReferences.length, 0);
  if (unresolved > 0) {
    notices.push({ code: 'UNRESOLVED_REFERENCES', detail: `${unresolved} section entr${unresolved === 1 ? 'y is' : 'ies are'} not in the document.` });
  }
  if (unlisted > 0) {
    notices.push({ code: 'UNLISTED_RESOURCES', detail: `${unlisted} entr${unlisted === 1 ? 'y is' : 'ies are'} in the document but in no section; shown under their usual section.` });
  }
  for (const s of sections) {
    if (REQUIRED_SECTIONS.includes(s.kind) && s.status === 'absent') {
      notices.push({ code: 'REQUIRED_SECTION_ABSENT', detail: `The document has no ${DEFAULT_TITLES[s.kind]} section.` });
    }
  }
  const status = clean(comp.status);
  if (status === 'preliminary' || status === 'entered-in-error') {
    notices.push({ code: 'DOCUMENT_STATUS', detail: `The summary is marked ${status}.` });
  }

  return { document: documentInfo(index, bundle, compAt, comp), patient, sections, notices };
}
