import { execFileSync } from 'node:child_process';

/**
 * OpenSSL's own time for a command: CPU (user + sys of the child, from the shell's `times`) and
 * wall, in ms. For the KDF figures (test/unit/pki/kdf.test.ts, scripts/bench/event-loop.ts).
 */
export function opensslTime(args: string[]): { cpuMs: number; wallMs: number } {
  const t0 = performance.now();
  const out = execFileSync('sh', ['-c', '"$@" >/dev/null; times', 'sh', 'openssl', ...args], { encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  // `times` prints the shell's and its children's user/sys times; the second line is the children's.
  const child = out
    .trim()
    .split('\n')
    .at(-1)!
    .match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  const cpuMs = child
    ? (Number(child[1]) * 60 + Number(child[2]) + Number(child[3]) * 60 + Number(child[4])) * 1000
    : NaN;
  return { cpuMs, wallMs };
}
