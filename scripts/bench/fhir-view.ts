/**
 * `npm run bench:fhir` — the emergency view is linear in the size of the document.
 *
 * Builds the view of generated IPS documents whose one section lists N entries (Observations in
 * four reference styles, a quarter of them panels linking others, one in fifty about another
 * patient), for N = 15k, 30k, 60k, 120k (200k generated entries exceed the 64 MB input limit), and prints CPU time per build (best of a few
 * rounds: other load on a shared machine does not shrink it) and the ratio to the previous N.
 * Linear: each doubling about doubles the time (the quadratic view of issue 17 took 25 s at 30k).
 * Also prints the time of parse (JSON + limits) separately. Options (env): BENCH_ROUNDS (default 3).
 */
import { cpuUsage } from 'node:process';
import { buildEmergencyView, parseIpsBundle } from '../../main/fhir/index';
import { buildGenerated, largeSectionSpec } from '../../test/unit/fhir/generators';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = [15_000, 30_000, 60_000, 120_000];

const cpuMs = (f: () => void): number => {
  const start = cpuUsage();
  f();
  const d = cpuUsage(start);
  return (d.user + d.system) / 1000;
};

let previous: { n: number; ms: number } | undefined;
console.log('entries  parse ms  build ms  build ratio to previous (size ratio)');
for (const n of SIZES) {
  const text = JSON.stringify(buildGenerated(largeSectionSpec(n)).bundle);
  let parseMs = Infinity;
  let buildMs = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    let bundle!: ReturnType<typeof parseIpsBundle>;
    parseMs = Math.min(
      parseMs,
      cpuMs(() => (bundle = parseIpsBundle(text))),
    );
    buildMs = Math.min(
      buildMs,
      cpuMs(() => buildEmergencyView(bundle)),
    );
  }
  const ratio = previous ? `${(buildMs / previous.ms).toFixed(2)} (${(n / previous.n).toFixed(2)})` : '-';
  console.log(
    `${String(n).padStart(7)}  ${parseMs.toFixed(0).padStart(8)}  ${buildMs.toFixed(0).padStart(8)}  ${ratio}`,
  );
  previous = { n, ms: buildMs };
}
