import {
  AdditionForm,
  ATTACHMENT_CONTENT_TYPES,
  STAGE_CHUNK_BYTES,
  NOTE_MAX_CHARS,
  TEXT_MAX_CHARS,
  VITAL_SIGN_NAMES,
  VITAL_SIGNS,
  type AdditionKind,
} from '../../../../common/additions';

/**
 * The editor's forms as data: one field list per addition kind, how the typed values become the
 * form object of common/additions.ts, and zod's issues turned into messages of the UI language
 * (key + parameters) attached to the field they are about. No DOM here.
 */
export type FieldType = 'text' | 'textarea' | 'number' | 'select' | 'datetime' | 'file';

export interface FieldSpec {
  /** Key in the values map, and the element id suffix. */
  name: string;
  type: FieldType;
  /** additions.field.<label> */
  label: string;
  required?: boolean;
  /** select: the option values (labels: additions.option.<value>). */
  options?: readonly string[];
  /** number: shown unit and range (vital signs). */
  unit?: string;
  min?: number;
  max?: number;
  step?: string;
  maxLength?: number;
  /** The schema path(s) whose issues belong to this field, e.g. "substance.text". */
  paths: string[];
}

export type Values = Record<string, string>;
export interface Problem {
  key: string;
  params?: Record<string, string | number>;
}

const text = (name: string, label: string, o: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  type: 'text',
  label,
  maxLength: TEXT_MAX_CHARS,
  paths: [name],
  ...o,
});
const select = (name: string, options: readonly string[], o: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  type: 'select',
  label: name,
  options,
  paths: [name],
  ...o,
});
const coded = (name: string): FieldSpec => text(name, name, { required: true, paths: [`${name}.text`, name] });
const when = (name: string): FieldSpec => ({ name, type: 'datetime', label: name, paths: [name] });

const SEVERITY = ['mild', 'moderate', 'severe'] as const;
const EVENT_STATUS = ['completed', 'in-progress', 'stopped', 'not-done'] as const;

export const FIELDS: Record<AdditionKind, FieldSpec[]> = {
  note: [
    text('title', 'noteTitle'),
    { name: 'text', type: 'textarea', label: 'noteText', required: true, maxLength: NOTE_MAX_CHARS, paths: ['text'] },
  ],
  vitals: [
    ...VITAL_SIGN_NAMES.map((n): FieldSpec => {
      const v = VITAL_SIGNS[n];
      // UCUM annotations such as {score} are not units a clinician reads.
      const unit = v.unit.startsWith('{') ? undefined : v.unit;
      return {
        name: n,
        type: 'number',
        label: n,
        ...(unit ? { unit } : {}),
        min: v.min,
        max: v.max,
        step: n === 'glasgowComaScore' || n === 'painScore' ? '1' : 'any',
        paths: [n],
      };
    }),
    when('effective'),
    text('note', 'vitalsNote'),
  ],
  allergy: [
    coded('substance'),
    select('category', ['food', 'medication', 'environment', 'biologic']),
    select('criticality', ['low', 'high', 'unable-to-assess']),
    select('type', ['allergy', 'intolerance']),
    select('verification', ['unconfirmed', 'confirmed'], { label: 'verificationAllergy' }),
    text('reaction', 'reaction'),
    select('severity', SEVERITY),
  ],
  condition: [
    coded('condition'),
    select('clinicalStatus', ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved']),
    select('verification', ['unconfirmed', 'provisional', 'differential', 'confirmed'], {
      label: 'verificationCondition',
    }),
    select('severity', SEVERITY),
    when('onset'),
    text('note', 'note'),
  ],
  medication: [
    coded('medication'),
    { name: 'doseValue', type: 'number', label: 'doseValue', min: 0, step: 'any', paths: ['dose.value', 'dose'] },
    text('doseUnit', 'doseUnit', { maxLength: 32, paths: ['dose.unit'] }),
    text('route', 'route', { paths: ['route.text', 'route'] }),
    text('reason', 'reason'),
    select('status', EVENT_STATUS, { label: 'eventStatus' }),
    when('effective'),
  ],
  procedure: [
    coded('procedure'),
    when('performed'),
    select('status', EVENT_STATUS, { label: 'eventStatus' }),
    text('bodySite', 'bodySite'),
    text('note', 'note'),
  ],
  attachment: [
    { name: 'file', type: 'file', label: 'file', required: true, paths: ['stagingId', 'contentType'] },
    text('title', 'attachmentTitle', { required: true }),
    text('description', 'description'),
  ],
};

/** Defaults the schema applies anyway, shown so the clinician sees them. */
export const DEFAULTS: Partial<Record<AdditionKind, Values>> = {
  allergy: { verification: 'unconfirmed' },
  condition: { clinicalStatus: 'active', verification: 'provisional' },
  medication: { status: 'completed' },
  procedure: { status: 'completed' },
};

/** "37,5" (Greek keyboards) and "37.5" are the same number; "" is no value; anything else not a number. */
export function parseNumber(raw: string | undefined): number | undefined | 'invalid' {
  const s = (raw ?? '').trim().replace(',', '.');
  if (s === '') return undefined;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(s)) return 'invalid';
  return Number(s);
}

const opt = (v: string | undefined) => {
  const s = (v ?? '').trim();
  return s === '' ? undefined : s;
};
const isoOf = (v: string | undefined) => {
  const s = opt(v);
  if (!s) return undefined;
  const d = new Date(s); // datetime-local: local time
  return Number.isNaN(d.getTime()) ? s : d.toISOString();
};

/** The attachment chosen in the file input, staged in main (`additions.stageAttachment`): the form names it by id. */
export interface ChosenFile {
  name: string;
  contentType: string;
  size: number;
  stagingId: string;
}

/** The values as the form object of `kind` (not yet validated), plus problems found while reading them (numbers). */
export function buildForm(
  kind: AdditionKind,
  values: Values,
  file: ChosenFile | null,
): { input: Record<string, unknown>; problems: Record<string, Problem> } {
  const problems: Record<string, Problem> = {};
  const num = (name: string) => {
    const n = parseNumber(values[name]);
    if (n === 'invalid') {
      problems[name] = { key: 'additions.problem.notNumber' };
      return undefined;
    }
    return n;
  };
  const clean = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const codedText = (name: string) => ({ text: values[name]?.trim() ?? '' });
  let input: Record<string, unknown>;
  switch (kind) {
    case 'note':
      input = { kind, title: opt(values.title), text: values.text ?? '' };
      break;
    case 'vitals':
      input = {
        kind,
        effective: isoOf(values.effective),
        note: opt(values.note),
        ...Object.fromEntries(VITAL_SIGN_NAMES.map((n) => [n, num(n)])),
      };
      break;
    case 'allergy':
      input = {
        kind,
        substance: codedText('substance'),
        category: opt(values.category),
        criticality: opt(values.criticality),
        type: opt(values.type),
        verification: opt(values.verification),
        reaction: opt(values.reaction),
        severity: opt(values.severity),
      };
      break;
    case 'condition':
      input = {
        kind,
        condition: codedText('condition'),
        clinicalStatus: opt(values.clinicalStatus),
        verification: opt(values.verification),
        severity: opt(values.severity),
        onset: isoOf(values.onset),
        note: opt(values.note),
      };
      break;
    case 'medication': {
      const value = num('doseValue');
      const unit = opt(values.doseUnit);
      const route = opt(values.route);
      if (value === undefined && unit !== undefined && !problems.doseValue)
        problems.doseValue = { key: 'additions.problem.doseBoth' };
      input = {
        kind,
        medication: codedText('medication'),
        effective: isoOf(values.effective),
        dose: value !== undefined || unit !== undefined ? { value, unit: unit ?? '' } : undefined,
        route: route ? { text: route } : undefined,
        reason: opt(values.reason),
        status: opt(values.status),
      };
      break;
    }
    case 'procedure':
      input = {
        kind,
        procedure: codedText('procedure'),
        performed: isoOf(values.performed),
        status: opt(values.status),
        bodySite: opt(values.bodySite),
        note: opt(values.note),
      };
      break;
    case 'attachment':
      if (file && !(ATTACHMENT_CONTENT_TYPES as readonly string[]).includes(file.contentType))
        problems.file = { key: 'additions.problem.fileType' };
      input = {
        kind,
        title: values.title ?? '',
        contentType: file?.contentType ?? '',
        stagingId: file?.stagingId ?? '',
        description: opt(values.description),
      };
      if (!file && !problems.file) problems.file = { key: 'additions.problem.fileRequired' };
      break;
  }
  return { input: clean(input), problems };
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  input?: unknown;
}

function problemOf(issue: Issue, field: FieldSpec | undefined): Problem {
  const unit = field?.unit ? ` ${field.unit}` : '';
  switch (issue.message) {
    case 'at least one vital sign':
      return { key: 'additions.problem.atLeastOneVital' };
    case 'systolic and diastolic together':
      return { key: 'additions.problem.bloodPressurePair' };
    case 'systolic above diastolic':
      return { key: 'additions.problem.systolicAbove' };
    case 'whole number':
      return { key: 'additions.problem.wholeNumber' };
  }
  if (issue.code === 'too_small' && issue.origin === 'string') return { key: 'additions.problem.required' };
  if (issue.code === 'too_big' && issue.origin === 'string')
    return { key: 'additions.problem.tooLong', params: { max: Number(issue.maximum) } };
  if ((issue.code === 'too_small' || issue.code === 'too_big') && field?.min !== undefined && field.max !== undefined)
    return { key: 'additions.problem.range', params: { min: field.min, max: field.max, unit } };
  if (issue.code === 'too_small') return { key: 'additions.problem.positive' };
  if (issue.code === 'too_big')
    return { key: 'additions.problem.tooHigh', params: { max: Number(issue.maximum), unit } };
  if (issue.code === 'invalid_type' && issue.input === undefined) return { key: 'additions.problem.required' };
  if (issue.code === 'invalid_value' && field?.type === 'file') return { key: 'additions.problem.fileType' };
  return { key: 'additions.problem.invalid' };
}

/**
 * Validate with the same schema main applies. Valid: the parsed form. Invalid: one problem per field
 * (the first), and problems about no field (none expected) under "".
 */
export function validate(
  kind: AdditionKind,
  values: Values,
  file: ChosenFile | null,
): { form: AdditionForm | null; problems: Record<string, Problem> } {
  const { input, problems } = buildForm(kind, values, file);
  const parsed = AdditionForm.safeParse(input);
  if (parsed.success && Object.keys(problems).length === 0) return { form: parsed.data, problems };
  const fields = FIELDS[kind];
  if (!parsed.success) {
    for (const issue of parsed.error.issues as Issue[]) {
      const path = issue.path.map(String).join('.');
      const field =
        fields.find((f) => f.paths.includes(path)) ?? fields.find((f) => f.paths.some((p) => path.startsWith(`${p}.`)));
      const name = field?.name ?? '';
      if (!problems[name]) problems[name] = problemOf(issue, field);
    }
  }
  return { form: null, problems };
}

/** base64 of a file's bytes, in chunks (no data: URLs). */
/** One slice of a file as base64 (the browser encodes it natively; the file is never read whole). */
export function readSliceBase64(slice: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('unreadable'));
    reader.readAsDataURL(slice);
  });
}

/** The chunks `additions.stageAttachment` takes for a file: STAGE_CHUNK_BYTES each (the last one shorter). */
export function* fileSlices(file: Blob, chunkBytes = STAGE_CHUNK_BYTES): Generator<{ index: number; slice: Blob }> {
  for (let index = 0, off = 0; off < file.size; index++, off += chunkBytes)
    yield { index, slice: file.slice(off, off + chunkBytes) };
}

/** One line for a form in the draft list: its kind and the first thing it says. */
export function summaryOf(form: AdditionForm, label: (vital: string) => string): { kind: AdditionKind; text: string } {
  switch (form.kind) {
    case 'note':
      return { kind: form.kind, text: form.title ? `${form.title}: ${form.text}` : form.text };
    case 'vitals':
      return {
        kind: form.kind,
        text: VITAL_SIGN_NAMES.filter((n) => form[n] !== undefined)
          .map((n) => `${label(n)} ${form[n]}${VITAL_SIGNS[n].unit.startsWith('{') ? '' : ` ${VITAL_SIGNS[n].unit}`}`)
          .join(', '),
      };
    case 'allergy':
      return { kind: form.kind, text: form.substance.text };
    case 'condition':
      return { kind: form.kind, text: form.condition.text };
    case 'medication':
      return {
        kind: form.kind,
        text: form.dose ? `${form.medication.text} ${form.dose.value} ${form.dose.unit}` : form.medication.text,
      };
    case 'procedure':
      return { kind: form.kind, text: form.procedure.text };
    case 'attachment':
      return { kind: form.kind, text: form.title };
  }
}
