/**
 * Canonical JSON for hashing (the subset of RFC 8785 our entries use): object keys sorted by UTF-16
 * code units, no whitespace, properties whose value is undefined omitted, strings and finite numbers
 * as JSON.stringify writes them. Parsing a canonical text and canonicalising it again gives the same
 * text, so anyone holding a shipped entry can recompute its hash.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON: non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON: unsupported ${typeof value}`);
}
