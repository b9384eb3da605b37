import { describe, expect, it } from 'vitest';
import { formatLocale, offsetMinutes } from '../../../renderer/src/composables/useFormat';
import { identifierKind, identifierRank } from '../../../renderer/src/composables/useIdentifierLabel';

describe('locale-following formats', () => {
  it('English in a Greek hospital is European English (24-hour clock, day first), not US', () => {
    expect(formatLocale('en', ['el-GR', 'en-US'])).toBe('en-150');
    expect(formatLocale('en', ['el'])).toBe('en-150');
    expect(formatLocale('en', ['en-GB'])).toBe('en-GB');
    expect(formatLocale('en', ['en-US'])).toBe('en-US');
    expect(formatLocale('el', ['el-GR'])).toBe('el-GR');
    const t = new Date('2026-12-01T13:30:00Z');
    expect(
      new Intl.DateTimeFormat(formatLocale('en', ['el-GR']), { timeStyle: 'short', timeZone: 'Europe/Athens' }).format(
        t,
      ),
    ).toBe('15:30');
    expect(
      new Intl.DateTimeFormat(formatLocale('en', ['el-GR']), { dateStyle: 'short', timeZone: 'UTC' }).format(t),
    ).toMatch(/^01\/12\/2026$/);
  });

  it("reads a document time's own offset (for showing the document's zone when it differs)", () => {
    expect(offsetMinutes('2026-03-02T14:30:00+01:00')).toBe(60);
    expect(offsetMinutes('2026-03-02T14:30:00-05:30')).toBe(-330);
    expect(offsetMinutes('2026-03-02T14:30:00Z')).toBe(0);
    expect(offsetMinutes('2026-03-02T14:30:00')).toBeNull();
    expect(offsetMinutes('2026-03-02')).toBeNull();
  });

  it('identifier systems get human labels from the table; others are ranked last', () => {
    expect(identifierKind('urn:oid:2.16.840.1.113883.2.4.6.3')).toEqual({ kind: 'nationalId', extra: 'BSN' });
    expect(identifierKind('urn:oid:2.16.840.1.113883.3.9143.2.1.2')?.kind).toBe('passport');
    expect(identifierKind('Medical Record Number')?.kind).toBe('mrn');
    expect(identifierKind('https://standards.digital.health.nz/ns/nhi-id')?.kind).toBe('nhi');
    expect(identifierKind('https://fhir.nhs.uk/Id/nhs-number')?.kind).toBe('nhs');
    expect(identifierKind('urn:uuid:5875fb64-8568-44ac-93dd-b9d0f9fd63dc')).toBeNull();
    expect(identifierRank('urn:oid:2.16.840.1.113883.2.4.6.3')).toBeLessThan(identifierRank('Medical Record Number'));
    expect(identifierRank('Medical Record Number')).toBeLessThan(identifierRank('urn:uuid:x'));
  });
});
