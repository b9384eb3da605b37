import type * as fhir4 from 'fhir/r4';
import { WorkstationError } from '../../common/errors';

/**
 * Input limits. Anything beyond them is not a patient summary (the largest real IPS samples
 * are well under 1 MB, with a nesting depth under 20); they keep a hostile file from taking
 * the main process's memory or stack.
 */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
/** Bundle.entry items. */
export const MAX_BUNDLE_ENTRIES = 250_000;
/** Nesting of JSON objects and arrays (FHIR resources need ~20; later recursive walks are capped too). */
export const MAX_JSON_DEPTH = 128;

/**
 * Bundle types read as an IPS when a Composition is in them: a `document` is the IPS form, but
 * real systems also send the same content as the answer to a search (`searchset`), as a
 * `collection`, or as the `transaction` that stored it. The view says so (BUNDLE_NOT_DOCUMENT).
 */
export const ACCEPTED_BUNDLE_TYPES: readonly string[] = ['document', 'collection', 'searchset', 'transaction'];

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

/** The deepest nesting of objects/arrays, iteratively (no recursion: a deep file cannot overflow the stack); stops past `limit`. */
function depthExceeds(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
    }
  }
  return false;
}

/**
 * Parse an IPS: a FHIR R4 Bundle holding a Composition — normally of type "document" with the
 * Composition first; searchset, collection and transaction Bundles are read too (the view
 * notes what was unusual, see buildEmergencyView). Byte order marks are tolerated. Anything
 * else is FHIR_INVALID_BUNDLE with a short `problem` (safe to show: it never quotes the
 * content). The resources themselves are not validated here: buildEmergencyView reads them
 * defensively.
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
    throw invalid(
      typeof json.resourceType === 'string'
        ? `a ${json.resourceType.slice(0, 40)}, not a Bundle`
        : 'not a FHIR resource',
    );
  }
  if (json.type !== undefined && (typeof json.type !== 'string' || !ACCEPTED_BUNDLE_TYPES.includes(json.type))) {
    throw invalid(
      `Bundle type is ${typeof json.type === 'string' ? json.type.slice(0, 40) : 'malformed'}, not document`,
    );
  }
  if (!Array.isArray(json.entry) || json.entry.length === 0) throw invalid('the Bundle has no entries');
  if (json.entry.length > MAX_BUNDLE_ENTRIES) throw invalid(`more than ${MAX_BUNDLE_ENTRIES} entries`);
  if (depthExceeds(json, MAX_JSON_DEPTH)) throw invalid(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  const composition = json.entry.find(
    (e: unknown) => isObject(e) && isObject(e.resource) && e.resource.resourceType === 'Composition',
  ) as { resource: Record<string, unknown> } | undefined;
  if (!composition) {
    throw invalid(
      json.type === 'document' || json.type === undefined
        ? 'the first entry is not a Composition'
        : 'the Bundle holds no Composition',
    );
  }
  if (composition.resource.section !== undefined && !Array.isArray(composition.resource.section)) {
    throw invalid('the Composition sections are malformed');
  }
  return json as unknown as fhir4.Bundle;
}
