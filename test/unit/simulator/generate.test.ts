/**
 * The generated training patients, read by the app's own FHIR view builder (main/fhir): every
 * required and recommended IPS section present, only codes from the repository's code tables,
 * the scenarios the trainers and the screenshots need, and byte-identical output for a seed.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EmergencyView, findSection, type SectionKind, type ViewEntry } from '../../../common/emergency-view';
import { emergencyViewOf } from '../../../main/fhir/index';
import { ATC, LOINC, SNOMED, tableCodes } from '../../../scripts/simulator/codes';
import {
  generateTrainingPatients,
  RECOMMENDED_IPS_SECTIONS,
  REQUIRED_IPS_SECTIONS,
  type GeneratedPatient,
} from '../../../scripts/simulator/index';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const AS_OF = new Date('2026-06-15T12:00:00Z');
const patients = generateTrainingPatients({ seed: 1, asOf: AS_OF });
const viewOf = (p: GeneratedPatient) => EmergencyView.parse(emergencyViewOf(JSON.stringify(p.bundle)));
const byFeature = (f: GeneratedPatient['features'][number]) => patients.filter((p) => p.features.includes(f));
const entriesOf = (view: EmergencyView, kind: SectionKind): ViewEntry[] => findSection(view, kind)?.entries ?? [];

/** Every object in a JSON tree that looks like a Coding. */
function codings(node: unknown, out: { system: string; code: string; display?: string }[] = []): typeof out {
  if (Array.isArray(node)) for (const n of node) codings(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.system === 'string' && typeof o.code === 'string') out.push(o as (typeof out)[number]);
    for (const v of Object.values(o)) codings(v, out);
  }
  return out;
}

describe('generated training patients', () => {
  it('are clearly named by scenario, with the three the screenshots need', () => {
    expect(patients.map((p) => p.name)).toEqual([
      'dnr-john-miller',
      'allergy-eleni-georgiou',
      'pregnant-maria-papadopoulou',
      'noinfo-klaus-becker',
      'noneknown-andreas-nikolaou',
    ]);
    for (const f of [
      'dnr',
      'high-criticality-allergy',
      'pregnancy',
      'implant',
      'no-information',
      'none-known',
    ] as const)
      expect(byFeature(f).length, f).toBeGreaterThan(0);
    expect(byFeature('dnr')[0]!.name).toMatch(/^dnr-/);
    expect(byFeature('high-criticality-allergy')[0]!.name).toMatch(/^allergy-/);
    expect(byFeature('pregnancy')[0]!.name).toMatch(/^pregnant-/);
  });

  it.each(patients.map((p) => [p.name, p] as const))(
    '%s: a document Bundle the view builder reads without notices, every required and recommended section present',
    (_, p) => {
      expect(p.bundle.type).toBe('document');
      expect(p.bundle.entry?.[0]?.resource?.resourceType).toBe('Composition');
      const view = viewOf(p);
      expect(view.notices).toEqual([]);
      expect(view.patient.found).toBe(true);
      expect(view.patient.names[0]).toBe(p.displayName);
      for (const kind of [...REQUIRED_IPS_SECTIONS, ...RECOMMENDED_IPS_SECTIONS]) {
        const s = findSection(view, kind);
        expect(s?.inDocument, `${p.name} ${kind}`).toBe(true);
        expect(s?.status, `${p.name} ${kind}`).not.toBe('absent');
        expect(s?.unresolvedReferences, `${p.name} ${kind}`).toEqual([]);
      }
      // Every resource is listed by a section (nothing lands in "unlisted"), every reference resolves.
      for (const s of view.sections)
        for (const e of s.entries) expect(e.listedInSection, `${p.name} ${s.kind} ${e.key}`).toBe(true);
    },
  );

  it('use SNOMED CT, LOINC and ATC codes from the repository tables only, with their table displays', () => {
    const tables = tableCodes();
    let seen = 0;
    for (const p of patients) {
      for (const c of codings(p.bundle)) {
        if (![SNOMED, LOINC, ATC].includes(c.system)) continue;
        seen++;
        expect(tables.get(c.system)?.has(c.code), `${p.name}: ${c.system}|${c.code}`).toBe(true);
        expect(c.display, `${p.name}: ${c.code}`).toBeTruthy();
      }
    }
    expect(seen).toBeGreaterThan(150);
  });

  it('carry displays in English, Greek and German: the document language as display, the others as translations', () => {
    expect(new Set(patients.map((p) => p.language))).toEqual(new Set(['en', 'el', 'de']));
    const greek = patients.find((p) => p.language === 'el')!;
    const view = viewOf(greek);
    const allergy = entriesOf(viewOf(byFeature('high-criticality-allergy')[0]!), 'allergies')[0];
    expect(allergy?.type === 'allergy' && allergy.substance).toBe('Πενικιλλίνη');
    expect(findSection(view, 'allergies')?.title).toMatch(/[\u0370-\u03ff]/);
    const json = JSON.stringify(greek.bundle);
    expect(json).toContain('"valueCode":"en"');
    expect(json).toContain('"valueString":"Penicillin"');
    expect(json).toContain('http://hl7.org/fhir/StructureDefinition/translation');
  });

  it('the DNR patient: a "Not for resuscitation" directive with the signed form as a PDF', () => {
    const p = byFeature('dnr')[0]!;
    const directives = entriesOf(viewOf(p), 'advanceDirectives');
    expect(directives).toHaveLength(1);
    expect(directives[0]).toMatchObject({
      type: 'directive',
      directive: 'Not for resuscitation',
      categories: ['Do Not Resuscitate'],
      status: 'active',
    });
    const consent = p.bundle.entry!.map((e) => e.resource!).find((r) => r.resourceType === 'Consent');
    const pdf = Buffer.from((consent as { sourceAttachment: { data: string } }).sourceAttachment.data, 'base64');
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('the allergy patient: a high-criticality allergy with a severe anaphylactic reaction', () => {
    const allergies = entriesOf(viewOf(byFeature('high-criticality-allergy')[0]!), 'allergies');
    expect(allergies[0]).toMatchObject({
      type: 'allergy',
      criticality: 'high',
      highestSeverity: 'severe',
      clinicalStatus: 'active',
    });
    expect(allergies[0]?.type === 'allergy' && allergies[0].reactions[0]?.manifestations).toEqual(['Αναφυλαξία']);
  });

  it('the pregnant patient: pregnancy status and estimated delivery date after asOf; female', () => {
    const p = byFeature('pregnancy')[0]!;
    const view = viewOf(p);
    expect(view.patient.sex).toBe('female');
    const preg = entriesOf(view, 'pregnancy');
    expect(preg.map((e) => e.type === 'observation' && e.value)).toEqual([
      'Έγκυος',
      expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    ]);
    const edd = preg[1]?.type === 'observation' ? preg[1].value! : '';
    expect(new Date(edd).getTime()).toBeGreaterThan(AS_OF.getTime());
    for (const other of patients.filter((x) => x !== p))
      expect(findSection(viewOf(other), 'pregnancy')?.status).toBe('absent');
  });

  it('implants, results with reference ranges and abnormal flags', () => {
    for (const p of byFeature('implant')) {
      const devices = entriesOf(viewOf(p), 'devices');
      expect(devices.length, p.name).toBeGreaterThan(0);
      expect(devices[0]).toMatchObject({ type: 'device', status: 'active', udi: expect.stringMatching(/^\(01\)/) });
    }
    for (const p of patients) {
      const results = entriesOf(viewOf(p), 'results').flatMap((e) =>
        e.type === 'report' ? e.results : e.type === 'observation' ? [e] : [],
      );
      const ranged = results.filter((r) => r.referenceRange);
      expect(ranged.length, p.name).toBeGreaterThan(0);
      if (p.features.includes('abnormal-results'))
        expect(
          ranged.some((r) => r.abnormal),
          p.name,
        ).toBe(true);
    }
  });

  it('"no information" and "none known" are told apart, by entry code and by emptyReason; and a narrative-only section', () => {
    const noinfo = viewOf(byFeature('no-information')[0]!);
    expect(findSection(noinfo, 'allergies')).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'no-information' },
    });
    expect(findSection(noinfo, 'procedures')).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'no-information' },
    });
    expect(findSection(noinfo, 'immunizations')).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'no-information' },
    });
    const none = viewOf(patients.find((p) => p.name.startsWith('noneknown-'))!);
    for (const kind of ['allergies', 'problems', 'medications', 'devices'] as const) {
      expect(findSection(none, kind), kind).toMatchObject({
        status: 'no-information',
        noInformation: { kind: 'none-known' },
      });
    }
    expect(findSection(none, 'procedures')).toMatchObject({
      status: 'no-information',
      noInformation: { kind: 'narrative-only' },
    });
  });

  it('are deterministic: the same seed and date give identical bundles, another seed other ids and values', () => {
    const again = generateTrainingPatients({ seed: 1, asOf: AS_OF });
    expect(JSON.stringify(again)).toBe(JSON.stringify(patients));
    const other = generateTrainingPatients({ seed: 2, asOf: AS_OF });
    expect(other.map((p) => p.name)).toEqual(patients.map((p) => p.name));
    expect(other[0]!.bundle.entry![0]!.fullUrl).not.toBe(patients[0]!.bundle.entry![0]!.fullUrl);
    // The time of day does not matter, only the date.
    expect(JSON.stringify(generateTrainingPatients({ seed: 1, asOf: new Date('2026-06-15T23:59:00Z') }))).toBe(
      JSON.stringify(patients),
    );
  });
});

describe('the product never reads ../shared', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : /\.(ts|vue|mjs)$/.test(p) ? [p] : [];
    });
  const trainingFiles = [
    join(REPO, 'scripts/start.ts'),
    ...['scripts/sandbox', 'scripts/training', 'scripts/simulator'].flatMap((d) => files(join(REPO, d))),
  ];
  const appFiles = ['main', 'common', 'preload', 'renderer/src'].flatMap((d) => files(join(REPO, d)));

  it.each(trainingFiles.map((f) => [f.slice(REPO.length + 1), f]))(
    '%s names no ../shared path, not even in a comment',
    (_, f) => {
      expect(readFileSync(f, 'utf8')).not.toMatch(/\.\.\/shared|shared\/testdata/);
    },
  );

  it('no file of the app itself (main, common, preload, renderer) has a ../shared path in a string', () => {
    const offenders = appFiles.filter((f) =>
      /['"`][^'"`\n]*(\.\.\/shared|shared\/testdata)/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
    expect(appFiles.length).toBeGreaterThan(50);
  });
});
