import type { Certificate, GeneralName, GeneralSubtree } from './certificate';
import { ATTR, attributeValues, isEmptyName, nameWithin } from './names';

/**
 * RFC 5280 §4.2.1.10 name constraints. Each CA's constraints are kept as one set; a name must
 * satisfy every set (intersection of permitted subtrees, union of excluded ones). Supported
 * forms: directoryName, rfc822Name, dNSName, uniformResourceIdentifier, iPAddress. A
 * constraint form we cannot evaluate refuses the names of that form (fail closed).
 */
export interface ConstraintSet {
  permitted: GeneralSubtree[] | null;
  excluded: GeneralSubtree[];
}

/** The names of a certificate that constraints apply to. */
export function constrainedNames(cert: Certificate): GeneralName[] {
  const names: GeneralName[] = [];
  if (!isEmptyName(cert.subject)) names.push({ type: 'dn', value: cert.subject });
  if (cert.subjectAltNames) names.push(...cert.subjectAltNames);
  else
    for (const email of attributeValues(cert.subject, ATTR.emailAddress)) names.push({ type: 'email', value: email });
  return names;
}

/** True when every name of `cert` is permitted by, and not excluded by, every set. */
export function satisfiesNameConstraints(cert: Certificate, sets: readonly ConstraintSet[]): boolean {
  if (!sets.length) return true;
  const names = constrainedNames(cert);
  for (const set of sets) {
    for (const name of names) {
      if (
        set.excluded.some((s) => s.base.type === name.type && (s.nonDefaultBounds || matches(name, s.base) !== false))
      )
        return false;
      if (set.permitted) {
        const ofType = set.permitted.filter((s) => s.base.type === name.type && sameOtherTag(name, s.base));
        if (ofType.length && !ofType.some((s) => !s.nonDefaultBounds && matches(name, s.base) === true)) return false;
      }
    }
  }
  return true;
}

function sameOtherTag(a: GeneralName, b: GeneralName): boolean {
  return a.type !== 'other' || (b.type === 'other' && a.tag === b.tag);
}

/** true: within the subtree; false: outside; null: cannot be decided (treated as a match when excluding). */
function matches(name: GeneralName, base: GeneralName): boolean | null {
  switch (name.type) {
    case 'dn':
      return base.type === 'dn' ? nameWithin(name.value, base.value) : false;
    case 'email':
      return base.type === 'email' ? emailMatches(name.value, base.value) : false;
    case 'dns':
      return base.type === 'dns' ? dnsMatches(name.value, base.value) : false;
    case 'uri':
      return base.type === 'uri' ? uriMatches(name.value, base.value) : false;
    case 'ip':
      return base.type === 'ip' ? ipMatches(name.value, base.value) : false;
    case 'other':
      return null;
  }
}

function lower(s: string): string {
  return s.toLowerCase();
}

function hostWithin(host: string, constraint: string): boolean {
  host = lower(host).replace(/\.$/, '');
  constraint = lower(constraint).replace(/\.$/, '');
  if (constraint === '') return true;
  if (constraint.startsWith('.')) return host.endsWith(constraint);
  return host === constraint || host.endsWith('.' + constraint);
}

export function dnsMatches(name: string, constraint: string): boolean {
  return hostWithin(name, constraint);
}

export function emailMatches(address: string, constraint: string): boolean {
  const at = address.lastIndexOf('@');
  if (at < 1) return false;
  const host = lower(address.slice(at + 1));
  if (constraint.includes('@')) {
    const cAt = constraint.lastIndexOf('@');
    return address.slice(0, at) === constraint.slice(0, cAt) && host === lower(constraint.slice(cAt + 1));
  }
  if (constraint.startsWith('.')) return host.endsWith(lower(constraint));
  return host === lower(constraint);
}

export function uriMatches(uri: string, constraint: string): boolean | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(uri);
  if (!m || !m[1]) return null;
  const host = lower(m[1]);
  constraint = lower(constraint);
  if (constraint.startsWith('.')) return host.endsWith(constraint);
  return host === constraint;
}

function ipMatches(ip: Buffer, base: Buffer): boolean {
  if (base.length !== ip.length * 2) return false;
  for (let i = 0; i < ip.length; i++) {
    const mask = base[ip.length + i]!;
    if ((ip[i]! & mask) !== (base[i]! & mask)) return false;
  }
  return true;
}
