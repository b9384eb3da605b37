import type { EmergencyView, ViewEntry, ViewSection } from '../../common/emergency-view';

/**
 * The emergency view as plain text, for the CLI (`summary`, `open`) and smoke tests:
 * the same order and the same facts as the first screen.
 */

const join = (parts: (string | undefined | false)[], sep = ', ') => parts.filter((p): p is string => !!p).join(sep);

function entryLine(e: ViewEntry): string {
  const extra =
    (e.listedInSection ? '' : ' [not listed in a section]') +
    (e.referencedBy ? ` [referred to by ${e.referencedBy}]` : '');
  switch (e.type) {
    case 'allergy': {
      const reactions = e.reactions.flatMap((r) => r.manifestations).join(', ');
      return (
        join(
          [
            e.substance,
            e.criticality && `criticality ${e.criticality}`,
            reactions && `reaction: ${reactions}`,
            e.highestSeverity && `severity ${e.highestSeverity}`,
            e.clinicalStatus,
            e.verificationStatus,
          ],
          ' · ',
        ) + extra
      );
    }
    case 'problem':
      return (
        join(
          [
            e.problem,
            e.clinicalStatus,
            e.onset && `since ${e.onset}`,
            e.abatement && `until ${e.abatement}`,
            e.recorded && `recorded ${e.recorded}`,
          ],
          ' · ',
        ) + extra
      );
    case 'medication':
      return join([e.medication, e.dosage.join('; '), e.status && `status ${e.status}`, e.period], ' · ') + extra;
    case 'observation': {
      const value = join([e.value, e.unit], ' ');
      const comps = e.components.map((c) => `${c.name} ${join([c.value, c.unit], ' ')}`).join(', ');
      return (
        join(
          [
            `${e.name}${value ? `: ${value}` : ''}${e.abnormal ? ' (!)' : ''}`,
            comps && `(${comps})`,
            e.referenceRange && `ref ${e.referenceRange}`,
            e.interpretation.join('/'),
            e.date,
          ],
          ' · ',
        ) +
        extra +
        e.members
          .map((m) => {
            const mv = join([m.value, m.unit], ' ');
            return `\n${'  '.repeat(m.level + 2)}- [${m.link === 'hasMember' ? 'member' : 'derived from'}] ${m.name}${mv ? `: ${mv}` : ''}${m.abnormal ? ' (!)' : ''}${m.date ? ` · ${m.date}` : ''}`;
          })
          .join('')
      );
    }
    case 'report':
      return (
        join([e.name, e.date, e.conclusion], ' · ') +
        extra +
        e.results.map((r) => `\n      - ${entryLine(r)}`).join('') +
        (e.unresolvedResults ? `\n      - ${e.unresolvedResults} result(s) not in the document` : '')
      );
    case 'immunization':
      return join([e.vaccine, e.date, e.doseNumber && `dose ${e.doseNumber}`], ' · ') + extra;
    case 'procedure':
      return join([e.procedure, e.date, e.status], ' · ') + extra;
    case 'device':
      return join([e.device, e.deviceType, e.status, e.period, e.udi && `UDI ${e.udi}`], ' · ') + extra;
    case 'alert':
      return join([e.alert, e.categories.join(', '), e.status], ' · ') + extra;
    case 'directive':
      return join([e.directive, e.categories.join(', '), e.status, e.date], ' · ') + extra;
    case 'other':
      return (
        join([`${e.resourceType}: ${e.description}`, e.detail, e.status, e.intent, e.date, e.period], ' · ') + extra
      );
  }
}

function sectionLines(s: ViewSection): string[] {
  const head = `${s.title.toUpperCase()}`;
  if (s.status === 'absent') return [head, '  (section not in the document)'];
  const lines = [head];
  if (s.status === 'no-information' && s.noInformation) {
    const label =
      s.noInformation.kind === 'none-known'
        ? 'None known'
        : s.noInformation.kind === 'narrative-only'
          ? 'Text only'
          : 'No information';
    lines.push(`  ${label}: ${s.noInformation.text.replace(/\n/g, ' / ')}`);
  }
  for (const e of s.entries) lines.push(`  - ${entryLine(e)}${e.absence ? ' (statement)' : ''}`);
  if (s.otherSubjectEntries)
    lines.push(
      `  ! ${s.otherSubjectEntries} entr${s.otherSubjectEntries === 1 ? 'y is' : 'ies are'} about someone else: listed apart`,
    );
  if (s.unresolvedReferences.length)
    lines.push(
      `  ! ${s.unresolvedReferences.length} entr${s.unresolvedReferences.length === 1 ? 'y' : 'ies'} not found in the document`,
    );
  return lines;
}

export function formatEmergencyViewText(view: EmergencyView): string {
  const p = view.patient;
  const lines: string[] = [];
  lines.push(`PATIENT  ${p.names[0] ?? '(name not in the document)'}`);
  lines.push(`  ${join([p.birthDate && `born ${p.birthDate}`, p.sex, p.deceased && `deceased ${p.deceased}`])}`);
  if (p.names.length > 1) lines.push(`  also known as: ${p.names.slice(1).join('; ')}`);
  if (p.identifiers.length)
    lines.push(`  ids: ${p.identifiers.map((i) => (i.label ? `${i.value} (${i.label})` : i.value)).join('; ')}`);
  if (p.languages.length)
    lines.push(`  languages: ${p.languages.map((l) => l.language + (l.preferred ? ' (preferred)' : '')).join(', ')}`);
  for (const c of p.contacts) {
    lines.push(
      `  contact${c.emergency ? ' (emergency)' : ''}: ${join([c.name, c.relationship.join('/'), c.telecom.map((t) => t.value).join(', ')], ' · ')}`,
    );
  }
  for (const o of view.otherPatients) {
    lines.push(
      `OTHER PATIENT IN THE DOCUMENT  ${join([o.names[0] ?? '(no name)', o.birthDate && `born ${o.birthDate}`, o.sex, o.identifiers.join('; ')], ' · ')}`,
    );
  }
  lines.push(`DOCUMENT ${join([view.document.title, view.document.date, view.document.authors.join(', ')], ' · ')}`);
  for (const n of view.notices) lines.push(`NOTICE   ${n.code}: ${n.detail}`);
  if (view.otherSubjectEntries.length) {
    lines.push('');
    lines.push("!! ABOUT SOMEONE OTHER THAN THE PATIENT (not the patient's information)");
    for (const o of view.otherSubjectEntries) {
      lines.push(`  - [subject: ${o.subject}]${o.sectionTitle ? ` [in ${o.sectionTitle}]` : ''} ${entryLine(o.entry)}`);
    }
  }
  for (const s of view.sections) {
    lines.push('');
    lines.push(...sectionLines(s));
  }
  return lines.join('\n');
}
