/**
 * One EHR-cloud sandbox (real Ceph RGW + HRI stand-in) per integration run, in a temp dir.
 * Tests read it with `inject('sandbox')` (typed in ./sandbox.d.ts); teardown stops every process
 * it started and removes the dir.
 *
 * HCP_SANDBOX_STATE=/path/to/state.json reuses a sandbox already running from
 * `npm run sandbox -- start --tls` (faster local iterations); it is left running afterwards.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startSandbox, type SandboxState } from '../../scripts/sandbox/index';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const reuse = process.env.HCP_SANDBOX_STATE;
  if (reuse) {
    const state = JSON.parse(readFileSync(reuse, 'utf8')) as SandboxState;
    project.provide('sandbox', state);
    return async () => {};
  }

  // Short path: Ceph's admin sockets live inside and Unix socket paths are limited to 108 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'hcp-sbx-'));
  const removeDir = (): void => {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: it is a temp dir.
    }
  };
  // Interrupted runs (Ctrl-C) skip teardown; the sandbox kills its daemons on exit, this the dir.
  process.once('exit', removeDir);
  let sandbox;
  try {
    // With TLS: the https endpoints beside the http ones (a CA and a server certificate made at start,
    // ~0.1 s); the TLS tests use them (test/integration/flow/tls.test.ts), the others stay on http.
    sandbox = await startSandbox({ dir, tls: true });
  } catch (e) {
    process.off('exit', removeDir);
    removeDir();
    throw e;
  }
  // Re-register so that on exit the sandbox's own hook (kill the daemons) runs before this one.
  process.off('exit', removeDir);
  process.once('exit', removeDir);
  project.provide('sandbox', sandbox.state);

  return async () => {
    try {
      await sandbox.stop();
    } finally {
      process.off('exit', removeDir);
      removeDir();
    }
  };
}
