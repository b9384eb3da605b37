/**
 * The Range request header for one resource of a known size (RFC 9110 §14): pure. Only the
 * `bytes` unit; one range is served as 206 (first-last, first-, -suffix); a header this server
 * ignores (not bytes, bad syntax, several ranges, or an If-Range we cannot match: we send no
 * validators) means the whole representation, 200, as §14.2 allows; a syntactically valid set
 * whose ranges all lie past the end is 416 with `Content-Range: bytes *\/size`.
 */
export type RangeDecision =
  { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

const SPEC = /^(\d*)-(\d*)$/;

export function parseRange(header: string | null | undefined, size: number, ifRange?: string | null): RangeDecision {
  if (header === null || header === undefined || ifRange) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header);
  if (!m) return { kind: 'full' };
  const specs = m[1]!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (specs.length === 0) return { kind: 'full' };
  const ranges: { start: number; end: number }[] = [];
  for (const spec of specs) {
    const p = SPEC.exec(spec);
    if (!p) return { kind: 'full' };
    const [, first, last] = p as unknown as [string, string, string];
    if (first === '' && last === '') return { kind: 'full' };
    if (first === '') {
      // suffix-range: the last N bytes; N = 0 is unsatisfiable.
      const n = Number(last);
      if (!Number.isSafeInteger(n)) return { kind: 'full' };
      if (n > 0 && size > 0) ranges.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const start = Number(first);
    const end = last === '' ? size - 1 : Number(last);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return { kind: 'full' };
    if (last !== '' && end < start) return { kind: 'full' }; // invalid range-spec: the whole header is ignored
    if (start < size) ranges.push({ start, end: Math.min(end, size - 1) });
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  // Several ranges would be multipart/byteranges; serving the whole representation is allowed.
  if (ranges.length > 1) return { kind: 'full' };
  return { kind: 'partial', ...ranges[0]! };
}
