import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmergencyView } from '../../../common/emergency-view';
import { runCli } from '../../../main/cli/index';
import type { CliIo } from '../../../main/cli/types';
import { code, entry, ipsBundle, LOINC, SNOMED, sample } from './helpers';

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(['summary', ...argv], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cli summary --ips', () => {
  it('prints a readable summary and exits 0', async () => {
    const r = await cli('--ips', sample('NZ_Peter_Jordan_AAA1234.json'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('PATIENT  James Judge');
    expect(r.out).toContain('Shellfish free diet');
    expect(r.out).toContain('None known: No known allergy');
    expect(r.out).toContain('(section not in the document)');
    // First-screen order: alerts before allergies before problems before medications.
    const at = (s: string) => r.out.indexOf(s);
    expect(at('ALERTS')).toBeLessThan(at('ALLERGIES'));
    expect(at('ALLERGIES')).toBeLessThan(at('PROBLEM LIST'));
    expect(at('PROBLEM LIST')).toBeLessThan(at('MEDICATION SUMMARY'));
  });

  it('--json prints the view model, valid against the shared schema', async () => {
    const r = await cli('--ips', sample('NL_core_patient_01.json'), '--json');
    expect(r.code).toBe(0);
    const view = EmergencyView.parse(JSON.parse(r.out));
    expect(view.patient.birthDate).toBe('1934-04-28');
  });

  it('exits 1 with the typed error code and message when the file is not an IPS document', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ips-'));
    const notJson = path.join(dir, 'x.json');
    writeFileSync(notJson, 'hello');
    const r = await cli('--ips', notJson);
    expect(r.code).toBe(1);
    expect(r.err).toBe('FHIR_INVALID_BUNDLE: The patient summary is not a readable FHIR document (not JSON).');

    const collection = path.join(dir, 'c.json');
    writeFileSync(collection, JSON.stringify({ resourceType: 'Bundle', type: 'history', entry: [] }));
    expect((await cli('--ips', collection)).err).toContain('Bundle type is history, not document');

    const missing = await cli('--ips', path.join(dir, 'missing.json'));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('FHIR_INVALID_BUNDLE');
    expect(missing.err).toContain('ENOENT');
  });

  it('--json loads a searchset IPS and marks foreign-subject entries, linked members and what was unusual', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ips-'));
    const me = { reference: 'urn:uuid:patient-1' };
    const b = ipsBundle(
      [{ loinc: '10162-6', refs: ['urn:uuid:preg', 'urn:uuid:other-preg'] }],
      [
        entry('urn:uuid:other', {
          resourceType: 'Patient',
          id: 'other',
          name: [{ given: ['Eleni'], family: 'Other' }],
        }),
        entry('urn:uuid:preg', {
          resourceType: 'Observation',
          status: 'final',
          subject: me,
          code: code(LOINC, '82810-3', 'Pregnancy status'),
          valueCodeableConcept: code(SNOMED, '77386006', 'Pregnant'),
          hasMember: [{ reference: 'urn:uuid:edd' }],
        }),
        entry('urn:uuid:edd', {
          resourceType: 'Observation',
          status: 'final',
          subject: me,
          code: code(LOINC, '11778-8', 'Delivery date Estimated'),
          valueDateTime: '2025-03-01',
        }),
        entry('urn:uuid:other-preg', {
          resourceType: 'Observation',
          status: 'final',
          subject: { reference: 'urn:uuid:other' },
          code: code(LOINC, '82810-3', 'Pregnancy status'),
          valueCodeableConcept: code(SNOMED, '77386006', 'Pregnant'),
        }),
      ],
    );
    const file = path.join(dir, 'searchset.json');
    writeFileSync(file, JSON.stringify({ ...b, type: 'searchset' }));
    const r = await cli('--ips', file, '--json');
    expect(r.code).toBe(0);
    const view = EmergencyView.parse(JSON.parse(r.out));
    expect(view.notices.map((n) => n.code)).toEqual(
      expect.arrayContaining(['SEVERAL_PATIENTS', 'OTHER_SUBJECT_ENTRIES', 'BUNDLE_NOT_DOCUMENT']),
    );
    expect(view.otherSubjectEntries.map((o) => [o.subject, o.entry.subject])).toEqual([
      ['Patient · Eleni Other', 'Patient · Eleni Other'],
    ]);
    const preg = view.sections.find((s) => s.kind === 'pregnancy')!;
    expect(preg.entries).toHaveLength(1);
    expect(preg.entries[0]).toMatchObject({
      members: [{ name: 'Delivery date Estimated', value: '2025-03-01', link: 'hasMember', level: 1 }],
    });
    const text = await cli('--ips', file);
    expect(text.out).toContain('!! ABOUT SOMEONE OTHER THAN THE PATIENT');
    expect(text.out).toContain('[member] Delivery date Estimated: 2025-03-01');
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli()).code).toBe(2);
    expect((await cli('--bogus')).code).toBe(2);
    expect((await cli('--help')).code).toBe(0);
  });
});
