/**
 * Makes sure the Ceph binaries the sandbox runs are present. A fresh CI machine (Debian, root)
 * installs them from Debian's archive; anywhere else we say which command to run.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from './processes';

/** The binaries the sandbox calls, and the packages that carry them. */
export const CEPH_BINARIES = [
  'ceph-authtool',
  'monmaptool',
  'ceph-mon',
  'ceph',
  'ceph-osd',
  'radosgw',
  'radosgw-admin',
] as const;
export type CephBinary = (typeof CEPH_BINARIES)[number];
export const CEPH_PACKAGES = ['radosgw', 'ceph-mon', 'ceph-osd', 'ceph-common'] as const;
export const CEPH_INSTALL_COMMAND = `apt-get install -y --no-install-recommends ${CEPH_PACKAGES.join(' ')}`;

// Daemons live in sbin on some systems; a non-login root shell may not have it on PATH.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return null;
}

export type CephPaths = Record<CephBinary, string>;

function locateAll(): { found: Partial<CephPaths>; missing: CephBinary[] } {
  const found: Partial<CephPaths> = {};
  const missing: CephBinary[] = [];
  for (const name of CEPH_BINARIES) {
    const path = findBinary(name);
    if (path) found[name] = path;
    else missing.push(name);
  }
  return { found, missing };
}

let installation: Promise<void> | null = null;

/**
 * Absolute paths of the Ceph binaries. When some are missing: as root, `apt-get update` (once)
 * and install the packages; otherwise throw with the command to run.
 */
export async function ensureCephBinaries(log: (line: string) => void = () => {}): Promise<CephPaths> {
  let { found, missing } = locateAll();
  if (missing.length === 0) return found as CephPaths;

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !findBinary('apt-get')) {
    throw new Error(
      `Ceph binaries missing (${missing.join(', ')}). Install them as root:\n` +
        `  apt-get update && ${CEPH_INSTALL_COMMAND}`,
    );
  }
  installation ??= installWithApt(log);
  try {
    await installation;
  } catch (e) {
    installation = null; // let a later call try again
    throw e;
  }
  ({ found, missing } = locateAll());
  if (missing.length > 0) {
    throw new Error(`Ceph binaries still missing after installing ${CEPH_PACKAGES.join(' ')}: ${missing.join(', ')}`);
  }
  return found as CephPaths;
}

async function installWithApt(log: (line: string) => void): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Wait for a concurrent apt/dpkg (another job on the same machine) rather than failing at once.
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  log('Ceph not found: apt-get update');
  // Never killed half-way (that could leave dpkg broken): an interrupted install finishes alone.
  await run('apt-get', [...lock, 'update'], { env, timeoutMs: 600_000, killOnExit: false });
  log(`installing Ceph: ${CEPH_INSTALL_COMMAND}`);
  await run('apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...CEPH_PACKAGES], {
    env,
    timeoutMs: 900_000,
    killOnExit: false,
  });
}
