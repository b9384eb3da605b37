import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../scripts/training/index';
import { ensureElectronNative } from '../../scripts/electron-native';
import { REPO, ensureAppBuild } from '../support/app-build';
import { openByScan, screenshot } from './support/ui';

/**
 * The real app in the real Electron: the packaged layout (out/main, out/preload, out/renderer,
 * loaded as electron-builder packages them), the sandboxed preload, the app:// scheme and its CSP,
 * the training environment (real Ceph RGW sandbox, training PKI, generated patients). Where
 * Electron's binary is absent (it cannot be downloaded on our build machines) the whole suite is
 * SKIPPED, with the reason in its name: counted as skipped, never as passed.
 *
 * Run it where the binary exists:  npx vitest run --project e2e test/e2e/electron-smoke.test.ts
 * (Linux without a display: Xvfb is started for it.)
 */
type Lookup = { path?: string; error?: string };
const { findElectronBinary } = (await import(pathToFileURL(join(REPO, 'scripts/electron-binary.mjs')).href)) as {
  findElectronBinary(o: { download: boolean }): Lookup;
};

function why(): { binary: string | null; skip: string | null } {
  const found = findElectronBinary({ download: false });
  if (!found.path) return { binary: null, skip: found.error ?? "Electron's binary is absent" };
  const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
  if (headless && spawnSync('Xvfb', ['-help'], { stdio: 'ignore' }).error)
    return { binary: found.path, skip: 'no display and no Xvfb (apt-get install xvfb)' };
  return { binary: found.path, skip: null };
}
const lookup = why();

/** A private X display (Xvfb picks a free number and tells it through -displayfd). */
async function startXvfb(): Promise<{ display: string; proc: ChildProcess }> {
  const proc = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', '1440x960x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const display = await new Promise<string>((resolveDisplay, reject) => {
    let out = '';
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolveDisplay(`:${m[1]}`);
    });
    proc.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it gave a display`)));
  });
  return { display, proc };
}

describe.skipIf(lookup.skip !== null)(`Electron smoke test${lookup.skip ? ` — SKIPPED: ${lookup.skip}` : ''}`, () => {
  let dir: string;
  let env: TrainingEnvironment;
  let xvfb: { display: string; proc: ChildProcess } | null = null;
  let app: ElectronApplication;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureAppBuild();
    await ensureElectronNative({ say: (l) => process.stderr.write(`${l}\n`) });
    dir = mkdtempSync(join(tmpdir(), 'hcp-e2e-electron-'));
    env = await startTrainingEnvironment({ dir, attachmentsMb: [1] });
    if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) xvfb = await startXvfb();
    app = await _electron.launch({
      executablePath: lookup.binary!,
      // The app directory as electron-builder lays it out: package.json's main is out/main/index.js.
      args: [REPO, `--user-data-dir=${join(dir, 'user-data')}`],
      cwd: REPO,
      // Its own user data (Linux: XDG_CONFIG_HOME; elsewhere --user-data-dir): never the developer's.
      env: {
        ...process.env,
        XDG_CONFIG_HOME: join(dir, 'xdg-config'),
        HCP_CONFIG: env.configFile,
        HCP_TRAINING_DIR: env.dir,
        ...(xvfb ? { DISPLAY: xvfb.display } : {}),
      } as Record<string, string>,
      timeout: 120_000,
    });
    page = await app.firstWindow({ timeout: 120_000 });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.waitForLoadState('domcontentloaded');
  }, 600_000);

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    xvfb?.proc.kill('SIGTERM');
    await env?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens one window from the built app under app://, with DevTools closed and the app menu', async () => {
    expect(page.url()).toMatch(/^app:\/\/hcp\//);
    const windows = await app.evaluate(({ BrowserWindow }) =>
      BrowserWindow.getAllWindows().map((w) => ({
        devTools: w.webContents.isDevToolsOpened(),
        sandboxed: (
          w.webContents as unknown as { getLastWebPreferences(): { sandbox?: boolean } | null }
        ).getLastWebPreferences()?.sandbox,
      })),
    );
    expect(windows).toEqual([{ devTools: false, sandboxed: true }]);
    const menu = await app.evaluate(({ Menu }) =>
      JSON.stringify(
        (Menu.getApplicationMenu()?.items ?? []).map((i) => [i.label, i.submenu?.items.map((s) => s.label)]),
      ),
    );
    expect(menu).not.toMatch(/Learn More|Documentation|Community Discussions|Search Issues/);
  });

  it('window.hcp is the preload API: invoke, on and attachmentUrl, and main answers through it', async () => {
    expect(await page.evaluate(() => Object.keys((globalThis as unknown as { hcp: object }).hcp).sort())).toEqual([
      'attachmentUrl',
      'invoke',
      'on',
    ]);
    const info = await page.evaluate(() =>
      (globalThis as unknown as { hcp: { invoke(c: string, r: unknown): Promise<unknown> } }).hcp.invoke(
        'app.info',
        {},
      ),
    );
    expect(info).toMatchObject({ ok: true, value: { mode: 'training' } });
    const unknown = await page.evaluate(() =>
      (globalThis as unknown as { hcp: { invoke(c: string, r: unknown): Promise<unknown> } }).hcp.invoke(
        'fs.readFile',
        {},
      ),
    );
    expect(unknown).toMatchObject({ ok: false, error: { code: 'IPC_UNKNOWN_CHANNEL' } });
    expect(await page.evaluate(() => typeof (globalThis as unknown as { require?: unknown }).require)).toBe(
      'undefined',
    );
  });

  it('the CSP holds: no eval, no inline script, no remote script', async () => {
    const result = await page.evaluate(async () => {
      const out: Record<string, string> = {};
      try {
        eval('1');
        out.eval = 'ran';
      } catch {
        out.eval = 'blocked';
      }
      type El = { textContent: string; src: string; onerror: () => void; onload: () => void };
      const document = (
        globalThis as unknown as { document: { createElement(t: string): El; head: { appendChild(e: El): void } } }
      ).document;
      const w = globalThis as unknown as { __inline?: boolean };
      const inline = document.createElement('script');
      inline.textContent = 'window.__inline = true';
      document.head.appendChild(inline);
      const remote = document.createElement('script');
      remote.src = 'https://example.org/x.js';
      const remoteDone = new Promise<string>((r) => {
        remote.onerror = () => r('blocked');
        remote.onload = () => r('ran');
      });
      document.head.appendChild(remote);
      out.inline = w.__inline ? 'ran' : 'blocked';
      out.remote = await remoteDone;
      return out;
    });
    expect(result).toEqual({ eval: 'blocked', inline: 'blocked', remote: 'blocked' });
  });

  it('the training clinician signs in, and one scan opens the emergency summary', async () => {
    const form = page.getByTestId('credential-file');
    if (!(await form.isVisible())) await page.getByTestId('switch-clinician').click();
    await page.getByTestId('credential-file').setInputFiles(env.pki.clinician);
    await page.getByTestId('credential-passphrase').fill(env.pki.passphrase);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('identity').or(page.getByTestId('sign-in-refused')).first().waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('sign-in-refused').count()).toBe(0);
    expect(await page.getByTestId('clinician').innerText()).toContain('Dr Eleni Training');

    const patient = env.patients[0]!;
    await openByScan(page, patient.qrText, { rescans: 2 });
    expect(await page.getByTestId('break-glass').getByTestId('error-message').count()).toBe(0);
    await page.getByTestId('integrity').waitFor();
    if (patient.displayName)
      expect(await page.getByTestId('patient-header').innerText()).toContain(patient.displayName);
    await screenshot(page, 'electron-smoke-summary');

    // The photo streamed through the privileged hcp-attachment: scheme (main/viewer), shown decoded.
    const photo = patient.objects.find((o) => o.contentType === 'image/png')!;
    const row = page.getByTestId(`attachment-${photo.id}`);
    await row.getByTestId('attachment-view').click();
    const img = row.getByTestId('attachment-image');
    await img.waitFor({ timeout: 60_000 });
    expect(await img.getAttribute('src')).toMatch(/^hcp-attachment:\/\/record\//);
    await expect
      .poll(
        () =>
          img.evaluate((el) => {
            const image = el as unknown as { complete: boolean; naturalWidth: number };
            return image.complete ? image.naturalWidth : 0;
          }),
        { timeout: 60_000 },
      )
      .toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
});
