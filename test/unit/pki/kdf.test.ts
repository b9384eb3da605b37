import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { createChain, der, exportPkcs12, makeTempDir, writePkiFiles } from '../../support/test-ca';
import { ClinicianVerifier, loadClinicianCredential } from '../../../main/pki';
import { bmpPassword, MAX_KDF_ITERATIONS, pbkdf2Key, pkcs12KdfSync } from '../../../main/pki/kdf';
import { kdfWorkerThreads, pkcs12Kdf, stopKdfWorkers } from '../../../main/pki/kdf-pool';
import { ClinicianSession } from '../../../main/session/clinician-session';
import { WorkstationEvents } from '../../../main/events';
import { errorMessage } from '../../../common/i18n/messages';
import { auditFixture } from '../audit/helpers';
import { opensslTime } from '../../support/openssl-time';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs `work` while sampling the event loop (10 ms resolution): the largest delay, wall time and process CPU time (all threads), in ms. */
async function eventLoopDelayDuring<T>(
  work: () => Promise<T>,
): Promise<{ value: T; maxDelayMs: number; wallMs: number; cpuMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  h.disable();
  return { value, maxDelayMs: h.max / 1e6, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const ITERATIONS = 600_000;

describe('PKCS#12 key derivation (RFC 7292 appendix B)', () => {
  const salt = Buffer.from('0a1b2c3d4e5f60718293', 'hex');
  const forgeKey = (
    passphrase: string,
    id: 1 | 2 | 3,
    iterations: number,
    length: number,
    md: forge.md.MessageDigest,
  ) =>
    Buffer.from(
      forge.pkcs12
        .generateKey(passphrase, forge.util.createBuffer(salt.toString('binary')), id, iterations, length, md)
        .getBytes(),
      'binary',
    ).toString('hex');
  it.each([
    ['sha1', 24, () => forge.md.sha1.create()],
    ['sha1', 8, () => forge.md.sha1.create()],
    ['sha256', 32, () => forge.md.sha256.create()],
    ['sha256', 70, () => forge.md.sha256.create()],
    ['sha512', 64, () => forge.md.sha512.create()],
  ] as const)(
    'agrees with node-forge for %s, %i bytes (also multi-block), at several iteration counts and passphrases',
    (hash, length, md) => {
      for (const passphrase of ['correct horse ©', '', 'Καλημέρα']) {
        for (const iterations of [1, 2, 2048, 25_001]) {
          for (const id of [1, 2, 3] as const) {
            expect(pkcs12KdfSync(bmpPassword(passphrase), salt, id, iterations, length, hash).toString('hex')).toBe(
              forgeKey(passphrase, id, iterations, length, md()),
            );
          }
        }
      }
    },
  );

  it('derives the same keys in the worker thread, several at once', async () => {
    const cases = [
      ['sha1', 24, 1, 2048, () => forge.md.sha1.create()],
      ['sha1', 8, 2, 2048, () => forge.md.sha1.create()],
      ['sha256', 32, 3, 10_000, () => forge.md.sha256.create()],
      ['sha512', 64, 3, 1, () => forge.md.sha512.create()],
    ] as const;
    const keys = await Promise.all(
      cases.map(([hash, length, id, iterations]) => pkcs12Kdf(bmpPassword('pw ©'), salt, id, iterations, length, hash)),
    );
    keys.forEach((key, i) => {
      const [, length, id, iterations, md] = cases[i]!;
      expect(key.toString('hex')).toBe(forgeKey('pw ©', id, iterations, length, md()));
    });
    expect(kdfWorkerThreads()).toHaveLength(1);
  });

  it(`caps iteration counts at ${MAX_KDF_ITERATIONS} before any work (no worker started)`, async () => {
    await stopKdfWorkers();
    const over = MAX_KDF_ITERATIONS + 1;
    await expect(pkcs12Kdf(bmpPassword('x'), salt, 3, over, 32, 'sha256')).rejects.toMatchObject({
      code: 'PKI_CREDENTIAL_ITERATIONS',
      details: { iterations: over, limit: MAX_KDF_ITERATIONS },
    });
    await expect(pbkdf2Key(Buffer.from('x'), salt, over, 32, 'sha256')).rejects.toMatchObject({
      code: 'PKI_CREDENTIAL_ITERATIONS',
    });
    await expect(pkcs12Kdf(bmpPassword('x'), salt, 3, 0, 32, 'sha256')).rejects.toMatchObject({
      code: 'PKI_CREDENTIAL_ITERATIONS',
    });
    expect(() => pkcs12KdfSync(bmpPassword('x'), salt, 3, over, 32, 'sha256')).toThrow(/PKI_CREDENTIAL_ITERATIONS/);
    expect(kdfWorkerThreads()).toHaveLength(0);
    expect(
      errorMessage({ code: 'PKI_CREDENTIAL_ITERATIONS', details: { iterations: over, limit: MAX_KDF_ITERATIONS } }),
    ).toBe(
      `This credential file uses ${over} key-derivation iterations, more than the ${MAX_KDF_ITERATIONS} allowed. Re-export it with fewer iterations.`,
    );
    expect(
      errorMessage(
        { code: 'PKI_CREDENTIAL_ITERATIONS', details: { iterations: over, limit: MAX_KDF_ITERATIONS } },
        'el',
      ),
    ).toContain('επαναλήψεις');
  });
});

describe('the KDF worker thread', () => {
  const salt = Buffer.alloc(8, 7);
  it('stopKdfWorkers terminates it: a derivation in flight fails with PKI_KDF_WORKER_FAILED, the next starts a new worker', async () => {
    const inFlight = pkcs12Kdf(bmpPassword('x'), salt, 3, MAX_KDF_ITERATIONS, 32, 'sha256');
    const [worker] = kdfWorkerThreads();
    expect(worker).toBeDefined();
    const exited = new Promise<number>((resolve) => worker!.once('exit', resolve));
    const refused = expect(inFlight).rejects.toMatchObject({
      code: 'PKI_KDF_WORKER_FAILED',
      details: { reason: 'stopped' },
    });
    await stopKdfWorkers();
    await refused;
    await exited;
    expect(kdfWorkerThreads()).toHaveLength(0);
    expect((await pkcs12Kdf(bmpPassword('x'), salt, 3, 5, 20, 'sha1')).length).toBe(20);
    expect(kdfWorkerThreads()).toHaveLength(1);
    expect(kdfWorkerThreads()[0]).not.toBe(worker);
    expect(errorMessage({ code: 'PKI_KDF_WORKER_FAILED', details: { reason: 'stopped' } })).toContain('Try again');
    expect(errorMessage({ code: 'PKI_KDF_WORKER_FAILED' }, 'el')).toContain('Δοκιμάστε ξανά');
  });

  it('an idle worker does not keep the process alive (a process that loaded a credential and never stopped the worker exits)', () => {
    const script = [
      "import { pkcs12Kdf, kdfWorkerThreads } from './main/pki/kdf-pool.ts';",
      "import { bmpPassword } from './main/pki/kdf.ts';",
      "const key = await pkcs12Kdf(bmpPassword('pw'), Buffer.alloc(8, 1), 3, 50_000, 32, 'sha256');",
      'console.log(key.length, kdfWorkerThreads().length);',
    ].join('\n');
    // The child must end by itself: a live ref'ed worker would hold it until the timeout kills it (status null).
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('32 1');
  }, 130_000);
});

describe('credential files over the iteration cap are refused, not derived', () => {
  const c = createChain({ levels: 2, key: 'p256', slot: 70 });
  it('a PKCS#12 whose MAC claims 2,000,001 iterations', async () => {
    const p12 = exportPkcs12(c.leaf, 'pw', { macIterationsField: MAX_KDF_ITERATIONS + 1 });
    await expect(loadClinicianCredential(p12, 'pw')).rejects.toMatchObject({ code: 'PKI_CREDENTIAL_ITERATIONS' });
    // the same file with an honest count loads
    expect((await loadClinicianCredential(exportPkcs12(c.leaf, 'pw'), 'pw')).certificate.fingerprint).toBe(
      c.leaf.cert.fingerprint,
    );
  });
  it('an encrypted PKCS#8 PEM whose PBKDF2 claims 5,000,000 iterations (or more than 2^53)', async () => {
    for (const count of [der.int(5_000_000), der.int(Buffer.from('0fffffffffffffffff', 'hex'))]) {
      const info = der.seq(
        der.seq(
          der.oid('1.2.840.113549.1.5.13'),
          der.seq(
            der.seq(
              der.oid('1.2.840.113549.1.5.12'),
              der.seq(der.octet(Buffer.alloc(16, 1)), count, der.seq(der.oid('1.2.840.113549.2.9'), der.nul())),
            ),
            der.seq(der.oid('2.16.840.1.101.3.4.1.42'), der.octet(Buffer.alloc(16, 2))),
          ),
        ),
        der.octet(Buffer.alloc(64, 3)),
      );
      const pem = `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${der.der(info).toString('base64')}\n-----END ENCRYPTED PRIVATE KEY-----\n`;
      await expect(loadClinicianCredential(Buffer.from(c.leaf.pem + pem), 'pw')).rejects.toMatchObject({
        code: 'PKI_CREDENTIAL_ITERATIONS',
      });
    }
  });
});

describe.runIf(hasOpenssl())('a real high-iteration PKCS#12 (openssl pkcs12 -export -iter 600000)', () => {
  const dir = makeTempDir();
  const c = createChain({ levels: 3, key: 'p256', slot: 71, prefix: 'KDF' });
  const f = writePkiFiles(dir, {
    'leaf.pem': c.leaf.pem,
    'key.pem': c.leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    'ca.pem': c.intermediates[0]!.pem,
    'root.pem': c.root.pem,
  });
  const big = join(dir, 'big.p12');
  execFileSync('openssl', [
    'pkcs12',
    '-export',
    '-in',
    f['leaf.pem']!,
    '-inkey',
    f['key.pem']!,
    '-certfile',
    f['ca.pem']!,
    '-passout',
    'pass:pw ©',
    '-iter',
    String(ITERATIONS),
    '-out',
    big,
  ]);
  const bytes = readFileSync(big);

  it('loads in native time, the event loop answering throughout (max delay printed)', async () => {
    const openssl = opensslTime(['pkcs12', '-in', big, '-passin', 'pass:pw ©', '-nodes']);
    // The machine's own scheduling noise: the same measurement over an idle wait.
    const idle = await eventLoopDelayDuring(() => new Promise((resolve) => setTimeout(resolve, 500)));
    const {
      value: cred,
      maxDelayMs,
      wallMs,
      cpuMs,
    } = await eventLoopDelayDuring(() => loadClinicianCredential(bytes, 'pw ©'));
    expect(cred.certificate.fingerprint).toBe(c.leaf.cert.fingerprint);
    expect(cred.chain).toHaveLength(1);
    console.log(
      `[event-loop] PKCS#12 ${ITERATIONS} iterations (MAC SHA-256 + 2 x PBES2/PBKDF2-SHA256): load ${wallMs.toFixed(0)} ms wall / ${cpuMs.toFixed(0)} ms CPU; ` +
        `openssl pkcs12 ${openssl.wallMs.toFixed(0)} ms wall / ${openssl.cpuMs.toFixed(0)} ms CPU; event-loop max delay ${maxDelayMs.toFixed(1)} ms (idle baseline ${idle.maxDelayMs.toFixed(1)} ms, load average ${loadavg()[0]!.toFixed(1)})`,
    );
    await expect(loadClinicianCredential(bytes, 'wrong')).rejects.toMatchObject({
      code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE',
    });
  });

  it('sign-in and unlock derive off the event loop too (ClinicianSession, real verifier and audit database)', async () => {
    const audit = auditFixture();
    try {
      const verifier = new ClinicianVerifier({
        trustAnchors: [f['root.pem']!],
        intermediates: [],
        crlFiles: [],
        fetchCrlDistributionPoints: false,
        revocation: 'warn',
        clockSkewSeconds: 300,
        clinicianEku: '1.3.6.1.5.5.7.3.2',
        requiredPolicy: null,
        roleExtensionOid: null,
      });
      const session = new ClinicianSession({
        verifier,
        audit: audit.trail,
        events: new WorkstationEvents(),
      });
      const signIn = await eventLoopDelayDuring(() => session.signIn(bytes, 'pw ©'));
      expect(signIn.value.clinician?.name).toBe('Dr KDF Clinician');
      session.lock();
      const unlock = await eventLoopDelayDuring(() => session.unlock('pw ©'));
      expect(unlock.value.locked).toBe(false);
      console.log(
        `[event-loop] sign-in ${signIn.wallMs.toFixed(0)} ms (max delay ${signIn.maxDelayMs.toFixed(1)} ms), unlock ${unlock.wallMs.toFixed(0)} ms (max delay ${unlock.maxDelayMs.toFixed(1)} ms), load average ${loadavg()[0]!.toFixed(1)}`,
      );
    } finally {
      audit.close();
    }
  });
});

describe.runIf(hasOpenssl())(
  'files written by openssl pkcs12 -export (iterations, MAC digests, PBES2 and legacy PBE)',
  () => {
    const dir = makeTempDir();
    const c = createChain({ levels: 2, key: 'p256', slot: 72 });
    const f = writePkiFiles(dir, {
      'leaf.pem': c.leaf.pem,
      'key.pem': c.leaf.key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    });
    /** Writes the file, or null when this OpenSSL cannot (e.g. RC2 without the legacy provider). */
    const exportWith = (name: string, args: string[]): Buffer | null => {
      const out = join(dir, `${name}.p12`);
      const base = ['pkcs12', '-export', '-in', f['leaf.pem']!, '-inkey', f['key.pem']!, '-passout', 'pass:pw ©'];
      try {
        execFileSync('openssl', [...base, ...args, '-out', out], { stdio: 'ignore' });
      } catch {
        return null;
      }
      return readFileSync(out);
    };
    it.each([
      ['PBES2 AES-256 + MAC SHA-256 (OpenSSL 3 defaults), 2,048 iterations', ['-iter', '2048']],
      ['one iteration everywhere (-noiter -nomaciter)', ['-noiter', '-nomaciter']],
      ['MAC SHA-1, 10,000 iterations', ['-macalg', 'sha1', '-iter', '10000']],
      ['MAC SHA-512', ['-macalg', 'sha512', '-iter', '3000']],
      ['PBES2 AES-128-CBC key and certificates', ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-128-CBC']],
      ['PBES2 3DES key, certificates not encrypted', ['-keypbe', 'DES-EDE3-CBC', '-certpbe', 'NONE']],
      [
        'legacy PBE-SHA1-3DES key and certificates, MAC SHA-1',
        ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-iter', '20000'],
      ],
      ['-legacy (PBE-SHA1-3DES key, PBE-SHA1-RC2-40 certificates, MAC SHA-1)', ['-legacy']],
    ] as const)('%s: loads; a wrong passphrase is PKI_CREDENTIAL_WRONG_PASSPHRASE', async (name, args) => {
      const bytes = exportWith(name.replace(/\W+/g, '-'), [...args]);
      if (!bytes) {
        console.log(`[pkcs12] this OpenSSL cannot write "${name}": skipped`);
        return;
      }
      const cred = await loadClinicianCredential(bytes, 'pw ©');
      expect(cred.certificate.fingerprint).toBe(c.leaf.cert.fingerprint);
      await expect(loadClinicianCredential(bytes, 'pw')).rejects.toMatchObject({
        code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE',
      });
    });

    it('an iteration count over the cap is refused with PKI_CREDENTIAL_ITERATIONS (openssl -iter 2000001)', async () => {
      // -maciter: the MAC uses the -iter count too, so the PKCS#12 KDF would be the first derivation.
      const over = exportWith('over-cap-mac', [
        '-maciter',
        '-iter',
        String(MAX_KDF_ITERATIONS + 1),
        '-certpbe',
        'NONE',
        '-keypbe',
        'NONE',
      ]);
      expect(over).not.toBeNull();
      await stopKdfWorkers();
      await expect(loadClinicianCredential(over!, 'pw ©')).rejects.toMatchObject({
        code: 'PKI_CREDENTIAL_ITERATIONS',
        details: { iterations: MAX_KDF_ITERATIONS + 1, limit: MAX_KDF_ITERATIONS },
      });
      expect(kdfWorkerThreads()).toHaveLength(0);
    });
  },
);
