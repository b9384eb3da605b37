import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EMERGENCY_SECTION_ORDER, EmergencyView, findSection, type ViewSection } from '../../../common/emergency-view';
import { emergencyViewOf } from '../../../main/fhir/index';
import { sample, SAMPLES_DIR } from './helpers';

const files = readdirSync(SAMPLES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const view = (name: string) => emergencyViewOf(readFileSync(sample(name)));
const section = (v: EmergencyView, kind: Parameters<typeof findSection>[1]): ViewSection => {
  const s = findSection(v, kind);
  if (!s) throw new Error(`no ${kind} section`);
  return s;
};

/** Every string anywhere in a value, except the entries' `resourceJson` (the resource's JSON as the document has it, shown as text). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object')
    Object.entries(value).forEach(([k, v]) => k !== 'resourceJson' && strings(v, out));
  return out;
}

describe('the 52 real IPS samples', () => {
  it('are all there', () => {
    expect(files.length).toBe(52);
  });

  it.each(files)('%s loads into a valid emergency view', (file) => {
    const v = view(file);
    expect(EmergencyView.safeParse(v).success).toBe(true);
    // The emergency sections come first, in the first-screen order, always.
    expect(v.sections.slice(0, EMERGENCY_SECTION_ORDER.length).map((s) => s.kind)).toEqual([
      ...EMERGENCY_SECTION_ORDER,
    ]);
    for (const s of v.sections) {
      if (s.status === 'entries') expect(s.entries.length + s.unresolvedReferences.length).toBeGreaterThan(0);
      if (s.status === 'no-information') expect(s.noInformation?.text).toBeTruthy();
      if (s.status === 'absent') expect(s.inDocument).toBe(false);
    }
    // Plain text only: no markup survives from the narratives.
    for (const t of strings(v)) expect(t).not.toMatch(/<\/?(div|p|table|tr|td|br|span|b|i|ul|li)\b[^>]*>/i);
    // It survives the IPC/JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
    expect(v.patient.found).toBe(true);
  });

  it('every sample resolves its section entries (none left as placeholders)', () => {
    const unresolved = files.flatMap((f) =>
      view(f).sections.flatMap((s) => s.unresolvedReferences.map((r) => `${f}: ${r}`)),
    );
    expect(unresolved).toEqual([]);
  });
});

describe('facts from real samples', () => {
  it('NL core patient: penicillin allergy (high criticality), devices with UDI, DNR directive, vital signs', () => {
    const v = view('NL_core_patient_01.json');
    expect(v.patient.names[0]).toBe('Johanna Petronella Maria (Jo) van Putten-van der Giessen');
    expect(v.patient.birthDate).toBe('1934-04-28');
    const [allergy] = section(v, 'allergies').entries;
    expect(allergy).toMatchObject({
      type: 'allergy',
      substance: 'Penicilline',
      criticality: 'high',
      highestSeverity: 'moderate',
    });
    const devices = section(v, 'devices').entries;
    expect(devices).toHaveLength(8);
    expect(devices.map((d) => d.type === 'device' && d.device)).toContain('pacemaker');
    // The inactive (completed) hearing aid comes after the active devices.
    expect(devices.at(-1)).toMatchObject({ device: 'TuneAmp gehoortoestel', status: 'completed' });
    const directives = section(v, 'advanceDirectives').entries.map((d) => d.type === 'directive' && d.directive);
    expect(directives).toContain('Niet reanimeren verklaring');
    const vitals = section(v, 'vitalSigns').entries;
    const bp = vitals.find(
      (e) => e.type === 'observation' && e.components.some((c) => c.name === 'Systolic blood pressure'),
    );
    expect(bp).toBeDefined();
  });

  it('HK sample 1: two allergies, and the medication section says unavailable (emptyReason)', () => {
    const v = view('HK_IPS_Sample1.json');
    expect(section(v, 'allergies').entries.map((e) => e.type === 'allergy' && e.substance)).toEqual([
      'cephalosporins',
      'Seafood',
    ]);
    const meds = section(v, 'medications');
    expect(meds.status).toBe('no-information');
    expect(meds.noInformation).toMatchObject({ kind: 'no-information', text: 'Unavailable' });
  });

  it('NZ AAA1234: alert flag, "no known" statements are none-known, emergency contact first', () => {
    const v = view('NZ_Peter_Jordan_AAA1234.json');
    expect(section(v, 'alerts').entries[0]).toMatchObject({
      type: 'alert',
      alert: 'Shellfish free diet',
      categories: ['Diet'],
    });
    expect(section(v, 'allergies').noInformation).toMatchObject({ kind: 'none-known', text: 'No known allergy' });
    expect(section(v, 'problems').noInformation).toMatchObject({
      kind: 'none-known',
      text: 'No current problems or disability',
    });
    expect(section(v, 'medications').noInformation).toMatchObject({ kind: 'none-known', text: 'No known medications' });
    expect(v.patient.contacts[0]).toMatchObject({ emergency: true, name: 'Peter Rabbit Rabbit' });
  });

  it('DE no-information document: required sections say so; the DNR order names another patient, so it is shown apart, flagged', () => {
    const v = view('DE_no_info_with_Advance_Directive.json');
    for (const kind of ['allergies', 'problems', 'medications'] as const) {
      expect(section(v, kind)).toMatchObject({ status: 'no-information', noInformation: { kind: 'no-information' } });
    }
    // Consent.patient is Patient/gecco-patient, the Composition's subject Patient/f0aece39-...: not merged.
    expect(section(v, 'advanceDirectives')).toMatchObject({ entries: [], otherSubjectEntries: 1 });
    expect(v.otherSubjectEntries).toEqual([
      expect.objectContaining({
        subject: 'not in the document: Patient/gecco-patient',
        sectionKind: 'advanceDirectives',
        entry: expect.objectContaining({
          type: 'directive',
          directive: 'Not for resuscitation',
          categories: ['Do Not Resuscitate'],
          subject: 'not in the document: Patient/gecco-patient',
        }),
      }),
    ]);
    expect(v.notices[0]?.code).toBe('OTHER_SUBJECT_ENTRIES');
  });

  it('IPS IG bundle 01: penicillin allergy first, the "no known food allergy" statement last', () => {
    const entries = section(view('IPS_IG-bundle-01.json'), 'allergies').entries;
    expect(entries[0]).toMatchObject({ criticality: 'high' });
    expect(entries[0]?.absence).toBeUndefined();
    expect(entries[0]?.type === 'allergy' && entries[0].substance).toMatch(/penicillin/i);
    expect(entries[1]).toMatchObject({ absence: 'none-known' });
  });

  it('NZ NNJ9186: results are reports with their observations, newest first', () => {
    const results = section(view('NZ_Peter_Jordan_NNJ9186.json'), 'results').entries;
    expect(results.every((e) => e.type === 'report')).toBe(true);
    const dates = results.map((e) => (e.type === 'report' ? (e.date ?? '') : ''));
    expect([...dates].sort().reverse()).toEqual(dates);
    const first = results[0];
    expect(first?.type === 'report' && first.results.length).toBeGreaterThan(0);
  });

  it('DK Villadsen 02: references without fullUrl and relative ids resolve; missing required sections are absent', () => {
    const v = view('DK_Jens_Villadsen_02.json');
    expect(section(v, 'medications').entries).toHaveLength(16);
    // The immunization's subject is Patient/6651632d-..., not the summary's patient: listed apart.
    expect(section(v, 'immunizations')).toMatchObject({ entries: [], otherSubjectEntries: 1 });
    expect(section(v, 'allergies').status).toBe('absent');
    expect(v.notices.filter((n) => n.code === 'REQUIRED_SECTION_ABSENT')).toHaveLength(2);
  });

  it('CA PuraJuniper: sections without codes are recognised by their titles', () => {
    const v = view('CA_PuraJuniper_01.json');
    expect(section(v, 'medications').entries).toHaveLength(3);
    expect(section(v, 'vitalSigns').entries.length).toBeGreaterThan(0);
    expect(section(v, 'results').entries.length).toBeGreaterThan(0);
  });

  it('BR connectathon: a patient without a name still loads; codes without display show code and system', () => {
    const v = view('BR_may2024_connectathon.json');
    expect(v.patient.found).toBe(true);
    expect(v.patient.names).toEqual([]);
    const problem = section(v, 'problems').entries[0];
    expect(problem?.type === 'problem' && problem.problem).toMatch(/^\S+ \(.+\)$/);
  });
});

/**
 * The section entries of a sample, found without main/fhir: every reference of every
 * Composition section (nested ones too), resolved the plain FHIR way, as the key the view
 * gives the resource ("entry-<index>", "entry-<compIndex>#<id>" for contained ones).
 */
function sectionEntriesOf(bundle: {
  entry?: { fullUrl?: string; resource?: { resourceType?: string; id?: string; [k: string]: unknown } }[];
}) {
  const entries = bundle.entry ?? [];
  const compIndex = entries.findIndex((e) => e.resource?.resourceType === 'Composition');
  const comp = entries[compIndex]!.resource as { contained?: { id?: string }[]; section?: unknown[] };
  const find = (ref: string): string | undefined => {
    const r = ref.trim().replace(/\/_history\/[^/]+$/, '');
    if (r.startsWith('#'))
      return comp.contained?.some((c) => c.id === r.slice(1)) ? `entry-${compIndex}#${r.slice(1)}` : undefined;
    let i = entries.findIndex((e) => e.fullUrl === r);
    if (i < 0) {
      const m = /([A-Z][A-Za-z]+)\/([^/]+)$/.exec(r);
      if (m)
        i = entries.findIndex(
          (e) =>
            (e.resource?.resourceType === m[1] && e.resource?.id === m[2]) ||
            (e.fullUrl ?? '').endsWith(`/${m[1]}/${m[2]}`),
        );
    }
    if (i < 0 && r.startsWith('urn:uuid:')) i = entries.findIndex((e) => e.resource?.id === r.slice(9));
    return i < 0 ? undefined : `entry-${i}`;
  };
  const keys = new Set<string>();
  let unresolved = 0;
  const walk = (sections: unknown[] | undefined) => {
    for (const s of sections ?? []) {
      const sec = s as { entry?: { reference?: string }[]; section?: unknown[] };
      for (const e of sec.entry ?? []) {
        const k = typeof e.reference === 'string' ? find(e.reference) : undefined;
        if (k) keys.add(k);
        else unresolved++;
      }
      walk(sec.section);
    }
  };
  walk(comp.section);
  return { keys, unresolved };
}

describe('every section entry of every sample is shown', () => {
  it.each(files)('%s: the count of section entries equals the count shown', (file) => {
    const expected = sectionEntriesOf(JSON.parse(readFileSync(sample(file), 'utf8')));
    const v = view(file);
    const inSections = v.sections.flatMap((s) =>
      s.entries.flatMap((e) => [
        e.key,
        ...(e.type === 'observation' ? e.members.map((m) => m.key) : []),
        ...(e.type === 'report' ? e.results.flatMap((r) => [r.key, ...r.members.map((m) => m.key)]) : []),
      ]),
    );
    // "No known allergies" entries are shown as the section's statement.
    const statements = v.sections.flatMap((s) => s.noInformation?.entryKeys ?? []);
    const shown = new Set([...inSections, ...statements, ...v.otherSubjectEntries.map((o) => o.entry.key)]);
    const shownOfSections = [...expected.keys].filter((k) => shown.has(k));
    expect(shownOfSections.length).toBe(expected.keys.size);
    expect(v.sections.reduce((n, s) => n + s.unresolvedReferences.length, 0)).toBe(expected.unresolved);
    // No section shows a resource twice.
    for (const s of v.sections) {
      const keys = s.entries.flatMap((e) => [
        e.key,
        ...(e.type === 'observation' ? e.members.map((m) => m.key) : []),
        ...(e.type === 'report' ? e.results.map((r) => r.key) : []),
      ]);
      expect(new Set(keys).size).toBe(keys.length);
    }
  });
});
