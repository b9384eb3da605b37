import type * as fhir4 from 'fhir/r4';
import { WorkstationError } from '../../common/errors';

/** Anything larger is not a patient summary (the largest real IPS samples are well under 1 MB). */
const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

function invalid(problem: string, cause?: unknown): WorkstationError {
  return new WorkstationError('FHIR_INVALID_BUNDLE', { problem }, cause === undefined ? undefined : { cause });
}

function decode(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  if (input.byteLength > MAX_BUNDLE_BYTES) throw invalid('file too large');
  // UTF-16 with a byte order mark happens when a summary is saved by some Windows editors.
  if (input[0] === 0xff && input[1] === 0xfe) return new TextDecoder('utf-16le').decode(input);
  if (input[0] === 0xfe && input[1] === 0xff) return new TextDecoder('utf-16be').decode(input);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (e) {
    throw invalid('not UTF-8 text', e);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parse an IPS document: a FHIR R4 Bundle of type "document" whose first entry is a Composition.
 * Byte order marks are tolerated. Anything else is FHIR_INVALID_BUNDLE with a short `problem`
 * (safe to show: it never quotes the content). The resources themselves are not validated here:
 * buildEmergencyView reads them defensively.
 */
export function parseIpsBundle(input: string | Uint8Array): fhir4.Bundle {
  let text = decode(input);
  if (text.length > MAX_BUNDLE_BYTES) throw invalid('file too large');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === '') throw invalid('empty file');

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid('not JSON', e);
  }
  if (!isObject(json)) throw invalid('not a JSON object');
  if (json.resourceType !== 'Bundle') {
    throw invalid(typeof json.resourceType === 'string' ? `a ${json.resourceType.slice(0, 40)}, not a Bundle` : 'not a FHIR resource');
  }
  if (json.type !== 'document') throw invalid(`Bundle type is ${typeof json.type === 'string' ? json.type.slice(0, 40) : 'missing'}, not document`);
  if (!Array.isArray(json.entry) || json.entry.length === 0) throw invalid('the Bundle has no entries');
  const first: unknown = json.entry[0];
  if (!isObject(first) || !isObject(first.resource) || first.resource.resourceType !== 'Composition') {
    throw invalid('the first entry is not a Composition');
  }
  if (first.resource.section !== undefined && !Array.isArray(first.resource.section)) {
    throw invalid('the Composition sections are malformed');
  }
  return json as unknown as fhir4.Bundle;
}
