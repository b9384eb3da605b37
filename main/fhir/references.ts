/**
 * Resolving references inside a document Bundle the way real documents need it: by fullUrl
 * (urn:uuid: or absolute), by "Type/id" (relative, or the tail of an absolute URL), by the id
 * behind a urn:uuid when the entry has no fullUrl, and "#id" into the referring resource's
 * contained resources. Anything else resolves to undefined: the caller shows a placeholder.
 */

import type * as fhir4 from 'fhir/r4';

export interface Located {
  resource: fhir4.FhirResource;
  /** A key unique within the document: the entry index, plus the contained id for contained resources. */
  key: string;
  /** The entry resource that holds a contained resource (itself for entry resources). */
  container: fhir4.FhirResource;
}

const TYPE_ID = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

const isResource = (r: unknown): r is fhir4.FhirResource =>
  typeof r === 'object' && r !== null && typeof (r as { resourceType?: unknown }).resourceType === 'string';

export class BundleIndex {
  /** Entry resources in document order. */
  readonly entries: Located[] = [];
  private readonly byFullUrl = new Map<string, Located>();
  private readonly byTypeId = new Map<string, Located>();
  private readonly byId = new Map<string, Located>();
  private readonly keyOf = new WeakMap<object, string>();
  /** Contained resources by id, per container, built on first use (a "#id" lookup is O(1), not a scan). */
  private readonly containedOf = new WeakMap<object, Map<string, fhir4.FhirResource>>();

  constructor(bundle: fhir4.Bundle) {
    const entries = Array.isArray(bundle.entry) ? bundle.entry : [];
    entries.forEach((entry, i) => {
      const resource: unknown = entry?.resource;
      if (!isResource(resource)) return;
      const located: Located = { resource, key: `entry-${i}`, container: resource };
      this.entries.push(located);
      this.keyOf.set(resource, located.key);
      const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl.trim() : '';
      if (fullUrl) {
        setOnce(this.byFullUrl, fullUrl, located);
        const m = TYPE_ID.exec(fullUrl);
        if (m && m[1] === resource.resourceType) setOnce(this.byTypeId, `${m[1]}/${m[2]}`, located);
        const uuid = /^urn:(?:uuid|oid):(.+)$/.exec(fullUrl);
        if (uuid?.[1]) setOnce(this.byId, uuid[1], located);
      }
      if (typeof resource.id === 'string' && resource.id) {
        setOnce(this.byTypeId, `${resource.resourceType}/${resource.id}`, located);
        setOnce(this.byId, resource.id, located);
      }
    });
  }

  /** The stable key of a resource found through this index. */
  keyFor(resource: fhir4.FhirResource): string | undefined {
    return this.keyOf.get(resource);
  }

  /**
   * The resource a reference points at, or undefined. `from` is the resource (or its container)
   * holding the reference, needed for "#id" contained references.
   */
  resolve(ref: fhir4.Reference | undefined, from?: Located): Located | undefined {
    const raw = ref && typeof ref.reference === 'string' ? ref.reference.trim() : '';
    if (!raw) return undefined;
    if (raw.startsWith('#')) return from ? this.contained(from.container, raw.slice(1)) : undefined;

    const exact = this.byFullUrl.get(raw);
    if (exact) return exact;
    const m = TYPE_ID.exec(raw);
    if (m) {
      const typed = this.byTypeId.get(`${m[1]}/${m[2]}`);
      if (typed) return typed;
    }
    const urn = /^urn:(?:uuid|oid):(.+)$/.exec(raw);
    if (urn?.[1]) {
      const found = this.byId.get(urn[1]);
      if (found) return found;
    }
    return undefined;
  }

  private contained(container: fhir4.FhirResource, id: string): Located | undefined {
    if (id === '') return { resource: container, key: this.keyOf.get(container) ?? 'container', container };
    let byId = this.containedOf.get(container);
    if (!byId) {
      byId = new Map();
      const list = (container as { contained?: unknown }).contained;
      if (Array.isArray(list))
        for (const r of list as unknown[]) if (isResource(r) && typeof r.id === 'string') setOnce(byId, r.id, r);
      this.containedOf.set(container, byId);
    }
    const found = byId.get(id);
    if (!found) return undefined;
    return { resource: found, key: `${this.keyOf.get(container) ?? 'container'}#${id}`, container };
  }

  /** Every entry resource of the given types, in document order. */
  ofType<T extends fhir4.FhirResource['resourceType']>(...types: T[]): Located[] {
    const wanted = new Set<string>(types);
    return this.entries.filter((e) => wanted.has(e.resource.resourceType));
  }
}

function setOnce<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (!map.has(key)) map.set(key, value);
}

/** The text a reference carries about its target, for placeholders. */
export function referenceLabel(ref: fhir4.Reference | undefined): string {
  return (
    (typeof ref?.display === 'string' && ref.display.trim()) ||
    (typeof ref?.reference === 'string' && ref.reference.trim()) ||
    (typeof ref?.identifier?.value === 'string' && ref.identifier.value.trim()) ||
    '(empty reference)'
  );
}

/** Every reference string anywhere inside a value (used to tell which resources something points at). */
export function collectReferences(value: unknown, into: fhir4.Reference[] = [], depth = 0): fhir4.Reference[] {
  if (depth > 40 || typeof value !== 'object' || value === null) return into;
  if (Array.isArray(value)) {
    for (const v of value) collectReferences(v, into, depth + 1);
    return into;
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.reference === 'string') into.push(obj as fhir4.Reference);
  for (const [k, v] of Object.entries(obj)) if (k !== 'text') collectReferences(v, into, depth + 1);
  return into;
}
