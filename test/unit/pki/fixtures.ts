import { createChain, issueCrl, type ChainOptions, type TestChain } from '../../support/test-ca';
import { verifyClinicianChain, type ChainPolicy, type ChainResult } from '../../../main/pki';
import type { Crl } from '../../../main/pki';

export const KEYS = ['rsa2048', 'p256', 'p384'] as const;
export const LEVELS = [2, 3, 4] as const;
export const DAY = 86_400_000;

/** Verify a test chain (CRLs for every CA unless given). */
export function verifyChain(
  chain: TestChain,
  o: { policy?: Partial<ChainPolicy>; crls?: Crl[]; time?: Date; withCrls?: boolean } = {},
): ChainResult {
  const cas = [chain.root, ...chain.intermediates];
  const crls = o.crls ?? (o.withCrls ? cas.map((ca) => issueCrl({ issuer: ca }).crl) : []);
  return verifyClinicianChain({
    leaf: chain.leaf.cert,
    intermediates: chain.intermediates.map((c) => c.cert),
    trustAnchors: [chain.root.cert],
    crls,
    time: o.time,
    policy: { revocation: o.withCrls || o.crls ? 'hard-fail' : 'off', ...o.policy },
  });
}

export function chain(o: ChainOptions): TestChain {
  return createChain(o);
}
