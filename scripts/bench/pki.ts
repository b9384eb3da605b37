/**
 * `npm run bench:pki` — clinician chains verified per second, RSA-2048 against P-256, both
 * 3-level chains (root -> issuing CA -> clinician) measured in the same run.
 *
 *  - "verify": verifyClinicianChain over parsed certificates, revocation checked against one
 *    CRL per CA (hard-fail): path building, every RFC 5280 rule, signatures, CRL signatures.
 *  - "parse+verify": the clinician and issuing-CA certificates arrive as PEM each time (what
 *    the CLI and sign-in do); trust anchors and CRLs are loaded once, as the app does.
 *
 * Rates use CPU time (user+system of this process), best of N rounds, so that other load on a
 * shared machine does not decide the ratio; wall-clock rates are printed beside them.
 * Options (env): BENCH_ROUNDS (default 7), BENCH_ROUND_MS (default 400).
 */
import { createChain, issueCrl, type TestChain } from '../../test/support/test-ca';
import { verifyClinicianChain, parseCertificates, type Crl } from '../../main/pki';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 400);

interface Case {
  name: string;
  chain: TestChain;
  crls: Crl[];
}

function makeCase(name: string, key: 'rsa2048' | 'p256'): Case {
  const chain = createChain({ levels: 3, key, slot: 900 });
  const crls = [
    issueCrl({ issuer: chain.root }).crl,
    issueCrl({ issuer: chain.intermediates[0]!, revoked: [{ serial: '0123456789' }] }).crl,
  ];
  return { name, chain, crls };
}

function verifyParsed(c: Case): boolean {
  return verifyClinicianChain({
    leaf: c.chain.leaf.cert,
    intermediates: [c.chain.intermediates[0]!.cert],
    trustAnchors: [c.chain.root.cert],
    crls: c.crls,
    policy: { revocation: 'hard-fail' },
  }).valid;
}

function verifyFromPem(c: Case): boolean {
  const [leaf, ...rest] = parseCertificates(c.chain.leaf.pem + c.chain.intermediates[0]!.pem);
  return verifyClinicianChain({
    leaf: leaf!,
    intermediates: rest,
    trustAnchors: [c.chain.root.cert],
    crls: c.crls,
    policy: { revocation: 'hard-fail' },
  }).valid;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One round: as many verifications as fit in ROUND_MS of wall time. */
function round(fn: () => boolean): { perSecCpu: number; perSecWall: number } {
  let n = 0;
  const w0 = performance.now();
  const c0 = cpuMs();
  while (performance.now() - w0 < ROUND_MS) {
    if (!fn()) throw new Error('benchmark chain did not verify');
    n++;
  }
  const wall = performance.now() - w0;
  const cpu = Math.max(cpuMs() - c0, 1e-3);
  return { perSecCpu: (n / cpu) * 1000, perSecWall: (n / wall) * 1000 };
}

function measure(cases: Case[], fn: (c: Case) => boolean): Map<string, { cpu: number; wall: number }> {
  const best = new Map(cases.map((c) => [c.name, { cpu: 0, wall: 0 }]));
  for (const c of cases) for (let i = 0; i < 50; i++) fn(c); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      // interleaved so that both see the same machine conditions
      const { perSecCpu, perSecWall } = round(() => fn(c));
      const b = best.get(c.name)!;
      b.cpu = Math.max(b.cpu, perSecCpu);
      b.wall = Math.max(b.wall, perSecWall);
    }
  }
  return best;
}

const cases = [makeCase('RSA-2048', 'rsa2048'), makeCase('P-256', 'p256')];
console.log(
  `pki bench: 3-level chains, revocation hard-fail with one CRL per CA; best of ${ROUNDS} rounds of ${ROUND_MS} ms (node ${process.version})\n`,
);
for (const [label, fn] of [
  ['verify', verifyParsed],
  ['parse+verify', verifyFromPem],
] as const) {
  const m = measure(cases, fn);
  const rsa = m.get('RSA-2048')!;
  const ec = m.get('P-256')!;
  console.log(`${label}`);
  for (const [name, v] of m)
    console.log(
      `  ${name.padEnd(9)} ${v.cpu.toFixed(0).padStart(7)} chains/s (CPU)  ${v.wall.toFixed(0).padStart(7)} chains/s (wall)`,
    );
  console.log(
    `  ratio P-256 / RSA-2048: ${(ec.cpu / rsa.cpu).toFixed(2)} (CPU)  ${(ec.wall / rsa.wall).toFixed(2)} (wall)\n`,
  );
}
