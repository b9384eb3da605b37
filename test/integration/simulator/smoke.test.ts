/**
 * `npm start -- --smoke` as a user runs it (tsx scripts/start.ts --smoke, no HCP_CONFIG): the
 * training environment starts on its own sandbox, one generated patient opens through the IPC
 * dispatcher and handlers, `smoke ok` is printed, exit 0 and the sandbox stopped. And when a step
 * fails (a revoked credential in place of the training clinician's), exit 1 with the cause.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
// Short path: Ceph's admin sockets live inside and Unix socket paths are limited to 108 bytes.
const dir = mkdtempSync(join(tmpdir(), 'hcp-smk-'));

function smoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HCP_TRAINING_DIR: dir };
  delete env.HCP_CONFIG;
  return new Promise((done, failed) => {
    const child = spawn(join(REPO, 'node_modules/.bin/tsx'), ['scripts/start.ts', '--smoke'], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', failed);
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start -- --smoke', () => {
  it('starts the training environment, opens a training patient through the handlers, prints smoke ok, exits 0 and stops the sandbox', async () => {
    const run = await smoke();
    expect(run.stderr).not.toMatch(/smoke failed/);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain('smoke ok');
    expect(run.stdout).toContain('TRAINING MODE — synthetic patients only (5 seeded, sandbox started)');
    expect(run.stdout).toMatch(/opened dnr-john-miller \(John Miller\) through the IPC handlers/);
    expect(run.stdout).toContain('stopping the training sandbox...');
    expect(existsSync(join(dir, 'sandbox/state.json'))).toBe(false);
  }, 300_000);

  it("a step that fails exits 1 with the cause (the revoked credential in place of the clinician's), and stops the sandbox", async () => {
    copyFileSync(join(dir, 'pki/revoked-clinician.p12'), join(dir, 'pki/clinician.p12'));
    const run = await smoke();
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('smoke ok');
    expect(run.stderr).toMatch(/smoke failed: session\.signIn: PKI_REVOKED/);
    expect(existsSync(join(dir, 'sandbox/state.json'))).toBe(false);
  }, 300_000);
});
