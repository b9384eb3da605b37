import { randomUUID } from 'node:crypto';
import type * as fhir4 from 'fhir/r4';
import {
  AdditionForms,
  BLOOD_PRESSURE_PANEL,
  VITAL_SIGNS,
  VITAL_SIGN_NAMES,
  type AdditionForm,
  type AdditionFormInput,
  type AllergyForm,
  type AttachmentForm,
  type CodedText,
  type ConditionForm,
  type MedicationForm,
  type NoteForm,
  type ProcedureForm,
  type VitalsForm,
} from '../../common/additions';
import { WorkstationError } from '../../common/errors';
import { ipsPatientReference } from '../fhir/index';
import { attachmentElement, type AttachmentRef } from './attachments';

/**
 * Forms (common/additions.ts) -> FHIR R4 resources, gathered in a Bundle of type `collection`
 * whose last entry is a Provenance naming every resource as its target. Pure functions: the
 * time, the ids and who acted come in through the context. The Provenance's signature is added by
 * signAddition (signed.ts); the bundle built here is exactly what gets signed (minus that element).
 */
export const SYSTEMS = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  ucum: 'http://unitsofmeasure.org',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  conditionCategory: 'http://terminology.hl7.org/CodeSystem/condition-category',
  conditionClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  conditionVerification: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVerification: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  provenanceParticipant: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  dataOperation: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
  signatureType: 'urn:iso-astm:E1762-95:2013',
  /** Same identifier systems as the audit trail (main/audit/event.ts), so the two can be joined. */
  registration: 'urn:hcp-workstation:clinician-registration',
  workstation: 'urn:hcp-workstation:workstation-id',
  /** SHA-256 of the clinician's certificate (hex): binds the Practitioner to the x5c of the signature. */
  certFingerprint: 'urn:hcp-workstation:certificate-sha256',
} as const;

export const AUTHOR_SIGNATURE_TYPE: fhir4.Coding = {
  system: SYSTEMS.signatureType,
  code: '1.2.840.10065.1.12.1.1',
  display: "Author's Signature",
};
export const NOTE_TYPE: fhir4.Coding = { system: SYSTEMS.loinc, code: '34111-5', display: 'Emergency department Note' };
const SEVERITY_SNOMED: Record<'mild' | 'moderate' | 'severe', fhir4.Coding> = {
  mild: { system: SYSTEMS.snomed, code: '255604002', display: 'Mild' },
  moderate: { system: SYSTEMS.snomed, code: '6736007', display: 'Moderate' },
  severe: { system: SYSTEMS.snomed, code: '24484000', display: 'Severe' },
};

/** Who signs: from the verified certificate (main/pki clinicianIdentity). */
export interface AdditionAuthor {
  name: string;
  registration: string | null;
  /** SHA-256 of the certificate DER, hex. */
  certFingerprint: string;
  /** The role as the certificate writes it (title, OU or role extension). */
  roleText?: string | null;
}

export interface AdditionContext {
  /** The record's patient, as the IPS refers to it (its Patient entry's fullUrl; see patientReferenceOf). */
  patient: fhir4.Reference;
  author: AdditionAuthor;
  workstation: { id: string; site?: string };
  recorded: Date;
  /** The staged files the attachment forms name (by staging id): their object ids, sizes and digests. */
  attachments?: ReadonlyMap<string, AttachmentRef>;
  /** Test seams: fixed ids. */
  newId?: () => string;
}

export interface ResourceEntry {
  fullUrl: string;
  resource: fhir4.FhirResource;
}

const coded = (c: CodedText): fhir4.CodeableConcept => ({
  ...(c.coding
    ? {
        coding: [
          { system: c.coding.system, code: c.coding.code, ...(c.coding.display ? { display: c.coding.display } : {}) },
        ],
      }
    : {}),
  text: c.text,
});
const concept = (system: string, code: string, display?: string): fhir4.CodeableConcept => ({
  coding: [{ system, code, ...(display ? { display } : {}) }],
});
const opt = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  value === undefined ? {} : ({ [key]: value } as { [P in K]: V });

/** The Patient reference an IPS bundle uses: its Patient entry's fullUrl, else `Patient/<id>`. */
export function patientReferenceOf(ips: fhir4.Bundle): fhir4.Reference {
  const reference = ipsPatientReference(ips);
  if (!reference) throw new WorkstationError('ADDITION_INVALID', { field: 'patient' });
  return reference;
}

class Builder {
  readonly entries: ResourceEntry[] = [];
  readonly practitioner: fhir4.Reference;
  readonly when: string;

  constructor(readonly ctx: AdditionContext) {
    this.when = ctx.recorded.toISOString();
    const a = ctx.author;
    const id = this.id();
    const identifier: fhir4.Identifier[] = [
      { system: SYSTEMS.certFingerprint, value: a.certFingerprint.toLowerCase() },
    ];
    if (a.registration) identifier.unshift({ system: SYSTEMS.registration, value: a.registration });
    const practitioner: fhir4.Practitioner = { resourceType: 'Practitioner', id, identifier, name: [{ text: a.name }] };
    if (a.roleText) practitioner.qualification = [{ code: { text: a.roleText } }];
    this.entries.push({ fullUrl: `urn:uuid:${id}`, resource: practitioner });
    this.practitioner = { reference: `urn:uuid:${id}`, display: a.name };
  }

  id(): string {
    return this.ctx.newId?.() ?? randomUUID();
  }

  add<R extends fhir4.FhirResource>(resource: Omit<R, 'id'>): void {
    const id = this.id();
    this.entries.push({ fullUrl: `urn:uuid:${id}`, resource: { ...resource, id } as R });
  }

  get subject(): fhir4.Reference {
    return this.ctx.patient;
  }

  note(form: NoteForm): void {
    this.add<fhir4.DocumentReference>({
      resourceType: 'DocumentReference',
      status: 'current',
      docStatus: 'final',
      type: { coding: [NOTE_TYPE], text: form.title ?? NOTE_TYPE.display },
      subject: this.subject,
      date: this.when,
      author: [this.practitioner],
      description: form.title ?? NOTE_TYPE.display,
      content: [
        {
          attachment: {
            contentType: 'text/plain; charset=utf-8',
            data: Buffer.from(form.text, 'utf8').toString('base64'),
            title: form.title ?? NOTE_TYPE.display,
            creation: this.when,
          },
        },
      ],
    });
  }

  vitals(form: VitalsForm): void {
    const effectiveDateTime = form.effective ?? this.when;
    const base = {
      resourceType: 'Observation' as const,
      status: 'final' as const,
      category: [{ coding: [{ system: SYSTEMS.observationCategory, code: 'vital-signs', display: 'Vital Signs' }] }],
      subject: this.subject,
      effectiveDateTime,
      performer: [this.practitioner],
    };
    const quantity = (name: keyof typeof VITAL_SIGNS, value: number): fhir4.Quantity => ({
      value,
      unit: VITAL_SIGNS[name].unit,
      system: SYSTEMS.ucum,
      code: VITAL_SIGNS[name].ucum,
    });
    let noted = false;
    const note = () => {
      if (noted || !form.note) return {};
      noted = true;
      return { note: [{ text: form.note }] };
    };
    if (form.systolic !== undefined && form.diastolic !== undefined) {
      const component = (name: 'systolic' | 'diastolic', value: number): fhir4.ObservationComponent => ({
        code: concept(SYSTEMS.loinc, VITAL_SIGNS[name].loinc, VITAL_SIGNS[name].display),
        valueQuantity: quantity(name, value),
      });
      this.add<fhir4.Observation>({
        ...base,
        code: {
          ...concept(SYSTEMS.loinc, BLOOD_PRESSURE_PANEL.loinc, BLOOD_PRESSURE_PANEL.display),
          text: 'Blood pressure',
        },
        component: [component('systolic', form.systolic), component('diastolic', form.diastolic)],
        ...note(),
      });
    }
    for (const name of VITAL_SIGN_NAMES) {
      const value = form[name];
      if (value === undefined || name === 'systolic' || name === 'diastolic') continue;
      const v = VITAL_SIGNS[name];
      this.add<fhir4.Observation>({
        ...base,
        code: { ...concept(SYSTEMS.loinc, v.loinc, v.display), text: v.display },
        valueQuantity: quantity(name, value),
        ...note(),
      });
    }
  }

  allergy(form: AllergyForm): void {
    this.add<fhir4.AllergyIntolerance>({
      resourceType: 'AllergyIntolerance',
      clinicalStatus: concept(SYSTEMS.allergyClinical, 'active', 'Active'),
      verificationStatus: concept(
        SYSTEMS.allergyVerification,
        form.verification,
        form.verification === 'confirmed' ? 'Confirmed' : 'Unconfirmed',
      ),
      ...opt('type', form.type),
      ...opt('category', form.category ? [form.category] : undefined),
      ...opt('criticality', form.criticality),
      code: coded(form.substance),
      patient: this.subject,
      recordedDate: this.when,
      recorder: this.practitioner,
      ...opt(
        'reaction',
        form.reaction ? [{ manifestation: [{ text: form.reaction }], ...opt('severity', form.severity) }] : undefined,
      ),
    });
  }

  condition(form: ConditionForm): void {
    this.add<fhir4.Condition>({
      resourceType: 'Condition',
      clinicalStatus: concept(SYSTEMS.conditionClinical, form.clinicalStatus),
      verificationStatus: concept(SYSTEMS.conditionVerification, form.verification),
      category: [concept(SYSTEMS.conditionCategory, 'problem-list-item', 'Problem List Item')],
      ...opt('severity', form.severity ? { coding: [SEVERITY_SNOMED[form.severity]] } : undefined),
      code: coded(form.condition),
      subject: this.subject,
      ...opt('onsetDateTime', form.onset),
      recordedDate: this.when,
      recorder: this.practitioner,
      ...opt('note', form.note ? [{ text: form.note }] : undefined),
    });
  }

  medication(form: MedicationForm): void {
    const dosage: fhir4.MedicationAdministrationDosage = {
      ...opt('route', form.route ? coded(form.route) : undefined),
      ...opt('dose', form.dose ? { value: form.dose.value, unit: form.dose.unit } : undefined),
    };
    this.add<fhir4.MedicationAdministration>({
      resourceType: 'MedicationAdministration',
      status: form.status,
      medicationCodeableConcept: coded(form.medication),
      subject: this.subject,
      effectiveDateTime: form.effective ?? this.when,
      performer: [{ actor: this.practitioner }],
      ...opt('reasonCode', form.reason ? [{ text: form.reason }] : undefined),
      ...opt('dosage', Object.keys(dosage).length ? dosage : undefined),
    });
  }

  procedure(form: ProcedureForm): void {
    this.add<fhir4.Procedure>({
      resourceType: 'Procedure',
      status: form.status,
      code: coded(form.procedure),
      subject: this.subject,
      performedDateTime: form.performed ?? this.when,
      recorder: this.practitioner,
      performer: [{ actor: this.practitioner }],
      ...opt('bodySite', form.bodySite ? [{ text: form.bodySite }] : undefined),
      ...opt('note', form.note ? [{ text: form.note }] : undefined),
    });
  }

  /** Photos and PDFs travel as their own objects (attachments.ts): the bundle names them with their size and digests. */
  attachment(form: AttachmentForm): void {
    const ref = this.ctx.attachments?.get(form.stagingId);
    if (!ref) throw new WorkstationError('ADDITION_STAGING_INVALID', { reason: 'unknown' });
    if (ref.contentType !== form.contentType) throw new WorkstationError('ADDITION_INVALID', { field: 'contentType' });
    this.add<fhir4.DocumentReference>({
      resourceType: 'DocumentReference',
      status: 'current',
      type: { text: form.contentType === 'application/pdf' ? 'Document' : 'Photograph' },
      subject: this.subject,
      date: this.when,
      author: [this.practitioner],
      description: form.description ?? form.title,
      content: [{ attachment: attachmentElement({ ...ref, title: form.title }, this.when) }],
    });
  }

  provenance(): fhir4.Provenance {
    const clinical = this.entries.filter((e) => e.resource.resourceType !== 'Practitioner');
    const { workstation } = this.ctx;
    return {
      resourceType: 'Provenance',
      id: this.id(),
      target: clinical.map((e) => ({ reference: e.fullUrl })),
      recorded: this.when,
      activity: concept(SYSTEMS.dataOperation, 'CREATE', 'create'),
      agent: [
        { type: concept(SYSTEMS.provenanceParticipant, 'author', 'Author'), who: this.practitioner },
        {
          type: concept(SYSTEMS.provenanceParticipant, 'assembler', 'Assembler'),
          who: {
            type: 'Device',
            identifier: { system: SYSTEMS.workstation, value: workstation.id },
            display: `HCP Workstation ${workstation.id}`,
          },
          ...opt('onBehalfOf', workstation.site ? { display: workstation.site } : undefined),
        },
      ],
      // R4 Provenance has no patient element: the record it adds to is named as its source entity.
      entity: [{ role: 'source', what: this.ctx.patient }],
    };
  }
}

/**
 * The unsigned addition: a `collection` Bundle (Practitioner, the clinical resources, then the
 * Provenance). Throws ADDITION_INVALID {field} when a form does not pass its schema.
 */
export function buildAdditionBundle(forms: readonly AdditionFormInput[], ctx: AdditionContext): fhir4.Bundle {
  const parsed = AdditionForms.safeParse(forms);
  if (!parsed.success)
    throw new WorkstationError('ADDITION_INVALID', { field: parsed.error.issues[0]?.path.join('.') || 'forms' });
  if (!ctx.patient.reference) throw new WorkstationError('ADDITION_INVALID', { field: 'patient' });
  const b = new Builder(ctx);
  for (const form of parsed.data) addForm(b, form);
  const provenance = b.provenance();
  return {
    resourceType: 'Bundle',
    id: b.id(),
    type: 'collection',
    timestamp: b.when,
    entry: [...b.entries, { fullUrl: `urn:uuid:${provenance.id}`, resource: provenance }],
  };
}

function addForm(b: Builder, form: AdditionForm): void {
  switch (form.kind) {
    case 'note':
      return b.note(form);
    case 'vitals':
      return b.vitals(form);
    case 'allergy':
      return b.allergy(form);
    case 'condition':
      return b.condition(form);
    case 'medication':
      return b.medication(form);
    case 'procedure':
      return b.procedure(form);
    case 'attachment':
      return b.attachment(form);
  }
}

/** How many forms of each kind: what the outbox shows (never the contents). */
export function kindCounts(forms: readonly AdditionFormInput[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of forms) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  return counts;
}
