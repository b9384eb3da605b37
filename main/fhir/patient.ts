import type * as fhir4 from 'fhir/r4';
import type { ContactPoint, EmergencyContact, PatientHeader, PatientIdentifier } from '../../common/emergency-view';
import type { BundleIndex, Located } from './references';
import { addressText, clean, conceptDisplay, conceptList, humanNameText, systemShortName, list } from './text';

const NAME_USE_RANK: Record<string, number> = { official: 0, usual: 1, maiden: 3, old: 4, anonymous: 5 };
const EMERGENCY_RELATIONSHIPS = new Set(['C', 'EP', 'ECON']);

function names(items: fhir4.HumanName[] | undefined): string[] {
  const sorted = [...list(items)].sort((a, b) => (NAME_USE_RANK[a.use ?? ''] ?? 2) - (NAME_USE_RANK[b.use ?? ''] ?? 2));
  return unique(sorted.map(humanNameText));
}

function unique(list: (string | undefined)[]): string[] {
  return [...new Set(list.filter((t): t is string => t !== undefined))];
}

function contactPoints(items: fhir4.ContactPoint[] | undefined): ContactPoint[] {
  return list(items).flatMap((t) => {
    const value = clean(t.value);
    if (!value) return [];
    const system = clean(t.system);
    const use = clean(t.use);
    return [{ value, ...(system ? { system } : {}), ...(use ? { use } : {}) }];
  });
}

function identifiers(items: fhir4.Identifier[] | undefined): PatientIdentifier[] {
  return list(items).flatMap((id) => {
    const value = clean(id.value);
    if (!value) return [];
    const label =
      conceptDisplay(id.type) ?? clean(id.assigner?.display) ?? (id.system ? systemLabel(id.system) : undefined);
    return [{ value, ...(label ? { label } : {}) }];
  });
}

/** An identifier system as a label: the URL's last meaningful segment, or the OID. */
function systemLabel(system: string): string {
  return system.startsWith('urn:oid:') || system.startsWith('urn:') ? system : (systemShortName(system) ?? system);
}

function contactOf(c: fhir4.PatientContact): EmergencyContact {
  const codes = list(c.relationship).flatMap((cc) => list(cc.coding).map((x) => x.code ?? ''));
  return {
    ...(humanNameText(c.name) ? { name: humanNameText(c.name)! } : {}),
    relationship: conceptList(c.relationship),
    emergency: codes.some((code) => EMERGENCY_RELATIONSHIPS.has(code)),
    telecom: contactPoints(c.telecom),
    ...(addressText(c.address) ? { address: addressText(c.address)! } : {}),
    ...(clean(c.organization?.display) ? { organization: clean(c.organization?.display)! } : {}),
  };
}

function relatedPersonContact(r: fhir4.RelatedPerson): EmergencyContact {
  const codes = list(r.relationship).flatMap((cc) => list(cc.coding).map((x) => x.code ?? ''));
  const name = names(r.name)[0];
  const address = list(r.address).map(addressText).find(Boolean);
  return {
    ...(name ? { name } : {}),
    relationship: conceptList(r.relationship),
    emergency: codes.some((code) => EMERGENCY_RELATIONSHIPS.has(code)),
    telecom: contactPoints(r.telecom),
    ...(address ? { address } : {}),
  };
}

function referenceDisplay(index: BundleIndex, at: Located, ref: fhir4.Reference): string | undefined {
  const found = index.resolve(ref, at)?.resource;
  if (found?.resourceType === 'Practitioner') return names(found.name)[0] ?? clean(ref.display);
  if (found?.resourceType === 'Organization') return clean(found.name) ?? clean(ref.display);
  if (found?.resourceType === 'PractitionerRole') {
    const who = found.practitioner
      ? referenceDisplay(index, { resource: found, key: '', container: found }, found.practitioner)
      : undefined;
    return who ?? clean(ref.display);
  }
  return clean(ref.display);
}

export function emptyPatientHeader(): PatientHeader {
  return {
    found: false,
    names: [],
    identifiers: [],
    telecom: [],
    addresses: [],
    contacts: [],
    languages: [],
    generalPractitioners: [],
  };
}

/** Who a Patient resource is, without following its references (for the other Patients of a document). */
export function patientHeaderLite(p: fhir4.Patient): PatientHeader {
  return {
    ...emptyPatientHeader(),
    found: true,
    names: names(p.name),
    ...(clean(p.birthDate) ? { birthDate: clean(p.birthDate)! } : {}),
    ...(clean(p.gender) ? { sex: clean(p.gender)! } : {}),
    identifiers: identifiers(p.identifier),
  };
}

/** The header of the patient the document is about (the Composition's subject). */
export function patientHeader(
  index: BundleIndex,
  at: Located | undefined,
  subjectDisplay: string | undefined,
): PatientHeader {
  const p = at?.resource.resourceType === 'Patient' ? at.resource : undefined;
  if (!at || !p) {
    const header = emptyPatientHeader();
    return subjectDisplay ? { ...header, names: [subjectDisplay] } : header;
  }
  const related = index
    .ofType('RelatedPerson')
    .filter((r) => r.resource.resourceType === 'RelatedPerson' && index.resolve(r.resource.patient, r)?.resource === p)
    .map((r) => relatedPersonContact(r.resource as fhir4.RelatedPerson));
  const contacts = [...list(p.contact).map(contactOf), ...related];
  contacts.sort((a, b) => Number(b.emergency) - Number(a.emergency));
  const languages = list(p.communication)
    .map((c) => ({
      language: conceptDisplay(c.language) ?? clean(c.language?.coding?.[0]?.code),
      preferred: c.preferred === true,
    }))
    .filter((l): l is { language: string; preferred: boolean } => l.language !== undefined)
    .sort((a, b) => Number(b.preferred) - Number(a.preferred));
  const deceased = p.deceasedBoolean === true ? 'yes' : clean(p.deceasedDateTime);
  const header: PatientHeader = {
    found: true,
    names: names(p.name),
    ...(clean(p.birthDate) ? { birthDate: clean(p.birthDate)! } : {}),
    ...(clean(p.gender) ? { sex: clean(p.gender)! } : {}),
    ...(deceased ? { deceased } : {}),
    identifiers: identifiers(p.identifier),
    telecom: contactPoints(p.telecom),
    addresses: unique(list(p.address).map(addressText)),
    contacts,
    languages,
    generalPractitioners: unique(list(p.generalPractitioner).map((ref) => referenceDisplay(index, at, ref))),
  };
  if (header.names.length === 0 && subjectDisplay) header.names.push(subjectDisplay);
  return header;
}

export { referenceDisplay };

/**
 * The reference an IPS bundle uses for its Patient (what an addition's resources refer to): the
 * first Patient entry's fullUrl, else `Patient/<id>`, with its name as display; null without one.
 */
export function ipsPatientReference(ips: fhir4.Bundle): fhir4.Reference | null {
  const entry = ips.entry?.find((e) => e.resource?.resourceType === 'Patient');
  if (!entry?.resource) return null;
  const reference = entry.fullUrl ?? (entry.resource.id ? `Patient/${entry.resource.id}` : undefined);
  if (!reference) return null;
  const p = entry.resource as fhir4.Patient;
  const name = p.name?.[0];
  const display = name?.text ?? [name?.given?.join(' '), name?.family].filter(Boolean).join(' ');
  return { reference, ...(display ? { display } : {}) };
}
