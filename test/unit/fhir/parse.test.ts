import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WorkstationError } from '../../../common/errors';
import { parseIpsBundle } from '../../../main/fhir/index';
import { ipsBundle, sample } from './helpers';

function problemOf(input: string | Uint8Array): string {
  try {
    parseIpsBundle(input);
  } catch (e) {
    expect(e).toBeInstanceOf(WorkstationError);
    const err = e as WorkstationError;
    expect(err.code).toBe('FHIR_INVALID_BUNDLE');
    return String(err.details?.problem);
  }
  throw new Error('expected FHIR_INVALID_BUNDLE');
}

describe('parseIpsBundle', () => {
  it('refuses what is not an IPS document, with a typed error saying why', () => {
    expect(problemOf('')).toBe('empty file');
    expect(problemOf('{"resourceType": "Bundle",')).toBe('not JSON');
    expect(problemOf('[1,2]')).toBe('not a JSON object');
    expect(problemOf('{"a":1}')).toBe('not a FHIR resource');
    expect(problemOf('{"resourceType":"Patient"}')).toBe('a Patient, not a Bundle');
    expect(problemOf('{"resourceType":"Bundle","type":"history","entry":[]}')).toBe(
      'Bundle type is history, not document',
    );
    expect(problemOf('{"resourceType":"Bundle","type":"collection","entry":[]}')).toBe('the Bundle has no entries');
    expect(
      problemOf('{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient"}}]}'),
    ).toBe('the Bundle holds no Composition');
    expect(problemOf('{"resourceType":"Bundle","type":"document"}')).toBe('the Bundle has no entries');
    expect(
      problemOf('{"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Patient"}}]}'),
    ).toBe('the first entry is not a Composition');
    expect(problemOf(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x00, 0xc3]))).toBe('not UTF-8 text');
  });

  it('never quotes the content in the error', () => {
    const secret =
      '{"resourceType":"Bundle","type":"document","entry":[{"resource":{"resourceType":"Patient","name":"Secret Name"}}]}';
    try {
      parseIpsBundle(secret);
    } catch (e) {
      expect((e as Error).message).not.toContain('Secret');
    }
  });

  it('accepts a minimal document as text and as bytes', () => {
    const json = JSON.stringify(ipsBundle([]));
    expect(parseIpsBundle(json).type).toBe('document');
    expect(parseIpsBundle(new TextEncoder().encode(json)).entry?.[0]?.resource?.resourceType).toBe('Composition');
  });

  it('tolerates byte order marks: UTF-8 (bytes and text) and UTF-16', () => {
    const json = JSON.stringify(ipsBundle([]));
    const utf8 = new TextEncoder().encode(json);
    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]);
    expect(parseIpsBundle(withBom).resourceType).toBe('Bundle');
    expect(parseIpsBundle(`\uFEFF${json}`).resourceType).toBe('Bundle');
    const utf16 = new Uint8Array(2 + json.length * 2);
    utf16[0] = 0xff;
    utf16[1] = 0xfe;
    for (let i = 0; i < json.length; i++) utf16[2 + i * 2] = json.charCodeAt(i);
    expect(parseIpsBundle(utf16).resourceType).toBe('Bundle');
  });

  it('reads a real sample file with a BOM prepended', () => {
    const bytes = readFileSync(sample('IPS_IG_bundle-minimal.json'));
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    expect(parseIpsBundle(withBom).entry?.length).toBeGreaterThan(3);
  });
});
