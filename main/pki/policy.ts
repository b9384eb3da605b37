import { ANY_POLICY, type Certificate } from './certificate';

/**
 * RFC 5280 §6.1 certificate policy processing (the valid_policy_tree), including policy
 * mappings, requireExplicitPolicy, inhibitPolicyMapping and inhibitAnyPolicy.
 */
interface PolicyNode {
  validPolicy: string;
  expected: Set<string>;
  parent: PolicyNode | null;
  children: PolicyNode[];
  depth: number;
}

export interface PolicyInputs {
  /** Acceptable policies; [ANY_POLICY] when the hospital requires none. */
  initialPolicySet: readonly string[];
  initialExplicitPolicy: boolean;
  initialPolicyMappingInhibit: boolean;
  initialAnyPolicyInhibit: boolean;
}

export type PolicyOutcome =
  { ok: true; policies: string[] } | { ok: false; at: number; reason: 'mapping-any' | 'no-valid-policy' };

/** Run policy processing over `path` (index 0 is issued by the trust anchor; the last is the target). */
export function processPolicies(path: readonly Certificate[], inputs: PolicyInputs): PolicyOutcome {
  const n = path.length;
  let root: PolicyNode | null = {
    validPolicy: ANY_POLICY,
    expected: new Set([ANY_POLICY]),
    parent: null,
    children: [],
    depth: 0,
  };
  let explicitPolicy = inputs.initialExplicitPolicy ? 0 : n + 1;
  let inhibitAny = inputs.initialAnyPolicyInhibit ? 0 : n + 1;
  let policyMapping = inputs.initialPolicyMappingInhibit ? 0 : n + 1;

  const nodesAt = (depth: number): PolicyNode[] => {
    const out: PolicyNode[] = [];
    const walk = (node: PolicyNode) => {
      if (node.depth === depth) out.push(node);
      else for (const c of node.children) walk(c);
    };
    if (root) walk(root);
    return out;
  };
  const addChild = (parent: PolicyNode, policy: string, expected: Iterable<string>) => {
    parent.children.push({
      validPolicy: policy,
      expected: new Set(expected),
      parent,
      children: [],
      depth: parent.depth + 1,
    });
  };
  const remove = (node: PolicyNode) => {
    if (!node.parent) root = null;
    else node.parent.children = node.parent.children.filter((c) => c !== node);
  };
  /** Delete childless nodes above `depth`, bottom up; the tree becomes null when the root goes. */
  const prune = (depth: number) => {
    for (let d = depth - 1; d >= 0 && root; d--) for (const node of nodesAt(d)) if (!node.children.length) remove(node);
  };

  for (let idx = 0; idx < n; idx++) {
    const cert = path[idx]!;
    const i = idx + 1;
    const isTarget = i === n;

    // (d) and (e)
    if (cert.policies && root) {
      const parents = nodesAt(i - 1);
      for (const { oid: p } of cert.policies) {
        if (p === ANY_POLICY) continue;
        const matching = parents.filter((node) => node.expected.has(p));
        if (matching.length) for (const node of matching) addChild(node, p, [p]);
        else for (const node of parents.filter((x) => x.validPolicy === ANY_POLICY)) addChild(node, p, [p]);
      }
      if (cert.policies.some((p) => p.oid === ANY_POLICY) && (inhibitAny > 0 || (!isTarget && cert.selfIssued))) {
        for (const node of parents) {
          for (const e of node.expected) if (!node.children.some((c) => c.validPolicy === e)) addChild(node, e, [e]);
        }
      }
      prune(i);
    } else if (!cert.policies) root = null;

    // (f)
    if (explicitPolicy <= 0 && !root) return { ok: false, at: idx, reason: 'no-valid-policy' };

    if (isTarget) break;

    // preparation for the next certificate: (a) and (b)
    if (cert.policyMappings) {
      if (cert.policyMappings.some((m) => m.issuerDomain === ANY_POLICY || m.subjectDomain === ANY_POLICY))
        return { ok: false, at: idx, reason: 'mapping-any' };
      const mapped = new Map<string, Set<string>>();
      for (const m of cert.policyMappings) {
        if (!mapped.has(m.issuerDomain)) mapped.set(m.issuerDomain, new Set());
        mapped.get(m.issuerDomain)!.add(m.subjectDomain);
      }
      for (const [issuerPolicy, subjects] of mapped) {
        const nodes = nodesAt(i).filter((node) => node.validPolicy === issuerPolicy);
        if (policyMapping > 0) {
          if (nodes.length) for (const node of nodes) node.expected = new Set(subjects);
          else {
            const anyNode = nodesAt(i).find((node) => node.validPolicy === ANY_POLICY);
            if (anyNode?.parent) addChild(anyNode.parent, issuerPolicy, subjects);
          }
        } else {
          for (const node of nodes) remove(node);
          prune(i);
        }
      }
    }

    // (h), (i), (j)
    if (!cert.selfIssued) {
      if (explicitPolicy > 0) explicitPolicy--;
      if (policyMapping > 0) policyMapping--;
      if (inhibitAny > 0) inhibitAny--;
    }
    const pc = cert.policyConstraints;
    if (pc?.requireExplicitPolicy != null && pc.requireExplicitPolicy < explicitPolicy)
      explicitPolicy = pc.requireExplicitPolicy;
    if (pc?.inhibitPolicyMapping != null && pc.inhibitPolicyMapping < policyMapping)
      policyMapping = pc.inhibitPolicyMapping;
    if (cert.inhibitAnyPolicy != null && cert.inhibitAnyPolicy < inhibitAny) inhibitAny = cert.inhibitAnyPolicy;
  }

  // wrap-up
  const target = path[n - 1]!;
  if (explicitPolicy > 0) explicitPolicy--;
  if (target.policyConstraints?.requireExplicitPolicy === 0) explicitPolicy = 0;

  // (g) intersection with the initial policy set
  const initial = new Set(inputs.initialPolicySet);
  if (root && !initial.has(ANY_POLICY)) {
    // valid_policy_node_set: nodes whose ancestors (except the root) are all anyPolicy
    const validSet: PolicyNode[] = [];
    const walk = (node: PolicyNode) => {
      for (const c of node.children) {
        validSet.push(c);
        if (c.validPolicy === ANY_POLICY) walk(c);
      }
    };
    walk(root);
    for (const node of validSet) {
      if (node.validPolicy !== ANY_POLICY && !initial.has(node.validPolicy)) removeSubtree(node);
    }
    const leafAny = validSet.filter((x) => x.depth === n && x.validPolicy === ANY_POLICY && stillAttached(x));
    for (const anyLeaf of leafAny) {
      const present = new Set(nodesAt(n).map((x) => x.validPolicy));
      for (const p of initial) if (!present.has(p)) addChild(anyLeaf.parent!, p, [p]);
      removeSubtree(anyLeaf);
    }
    prune(n);
  }

  if (explicitPolicy > 0 || root) {
    const policies = root ? [...new Set(nodesAt(n).map((x) => x.validPolicy))] : [];
    return { ok: true, policies };
  }
  return { ok: false, at: n - 1, reason: 'no-valid-policy' };

  function removeSubtree(node: PolicyNode) {
    remove(node);
  }
  function stillAttached(node: PolicyNode): boolean {
    let x: PolicyNode | null = node;
    while (x?.parent) {
      if (!x.parent.children.includes(x)) return false;
      x = x.parent;
    }
    return x === root;
  }
}
