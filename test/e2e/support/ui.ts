import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { launchHarness, type LaunchedHarness } from '../../../scripts/harness/launch';
import { launchChromium } from '../../support/chromium';
import { typeAsScanner } from './scanner-keys';
import type { EventName, EventPayload } from '../../../common/ipc/events';
import type { IpcResult } from '../../../common/ipc/result';
import { createTrainingPki, type TrainingPki } from '../../support/test-ca/training';

/**
 * Helpers for the clinician-UI e2e tests: the real renderer in Debian's Chromium, through the
 * browser harness, against the real main-process handlers (scripts/harness). One `UiApp` per test
 * file: a harness with its own data directory, a browser, and one page at a time.
 */
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');
export const SAMPLES_DIR = resolve(process.cwd(), '../shared/testdata/ips-samples');
export type Lang = 'en' | 'el';

export interface UiAppOptions {
  /** A hospital configuration file (null: the built-in training defaults). */
  configFile?: string | null;
  /** Written to the per-user file before start, as a clinician's saved setting would be. */
  language?: Lang;
  /** Set up files in the data directory before the harness starts. */
  prepare?: (dataDir: string) => void;
  /**
   * Make the training PKI (test CA, clinician credentials) and a hospital configuration that trusts
   * it, so that session.signIn verifies a real credential. Ignored when configFile is given.
   */
  pki?: boolean;
}

export interface UiApp {
  harness: LaunchedHarness;
  browser: Browser;
  dataDir: string;
  /** The training PKI when started with `pki: true`. */
  pki: TrainingPki | null;
  /** Uncaught page errors and console errors of every page opened so far. */
  errors: string[];
  /** A fresh page (own context) on the app's first screen, loaded. */
  open(options?: { viewport?: { width: number; height: number }; clock?: boolean }): Promise<Page>;
  /** Emit a main-process event to the page(s), as a service would. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  close(): Promise<void>;
}

export async function startUiApp(options: UiAppOptions = {}): Promise<UiApp> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'hcp-e2e-ui-'));
  if (options.language)
    writeFileSync(join(dataDir, 'user-config.json'), JSON.stringify({ ui: { defaultLanguage: options.language } }));
  options.prepare?.(dataDir);
  let configFile = options.configFile ?? null;
  let pki: TrainingPki | null = null;
  if (options.pki && !configFile) {
    pki = createTrainingPki(join(dataDir, 'pki'));
    configFile = join(dataDir, 'hospital-config.json');
    const trust = {
      trustAnchors: [pki.files.root],
      intermediates: [pki.files.intermediate],
      crlFiles: [pki.files.crl],
      revocation: 'hard-fail',
    };
    writeFileSync(configFile, JSON.stringify({ mode: 'training', pki: trust }));
  }
  const harness = await launchHarness({ configFile, dataDir, build: false });
  const browser = await launchChromium();
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];
  return {
    harness,
    browser,
    dataDir,
    pki,
    errors,
    async open({ viewport = { width: 1280, height: 900 }, clock = false } = {}) {
      const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'Europe/Athens' });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      if (clock) await page.clock.install();
      await page.goto(harness.url);
      await page
        .locator('[data-testid="view-scan"], [data-testid="config-error"], [data-testid="lock-screen"]')
        .first()
        .waitFor();
      return page;
    },
    emit(event, payload) {
      harness.workstation.events.emit(event, payload);
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await harness.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Go to a route by the main navigation, as a clinician would. */
export async function navigate(
  page: Page,
  route: 'scan' | 'patient' | 'additions' | 'audit' | 'diagnostics' | 'settings',
): Promise<void> {
  await page.getByTestId(`nav-${route}`).click();
  await page.getByTestId(`view-${route}`).waitFor();
}

/**
 * Type like a keyboard-wedge scanner: a pause, then the characters `delay` ms apart, then the
 * suffix key, each key stamped with the scanner's timing (support/scanner-keys.ts).
 */
export async function scanWithWedge(
  page: Page,
  text: string,
  { delay = 5, suffix = 'Enter' as 'Enter' | 'Tab' } = {},
): Promise<void> {
  await typeAsScanner(page, text, { suffix, gap: () => delay });
}

/** Every IPC call the page makes: channel and request, in order (observes; changes nothing). */
export function recordCalls(page: Page): { channel: string; request: unknown }[] {
  const calls: { channel: string; request: unknown }[] = [];
  page.on('request', (r: Request) => {
    const m = /\/ipc\/([^?]+)$/.exec(new URL(r.url()).pathname);
    if (m && r.method() === 'POST')
      calls.push({ channel: decodeURIComponent(m[1]!), request: JSON.parse(r.postData() ?? 'null') });
  });
  return calls;
}

/**
 * Answer one channel in the page instead of main. Only for rendering tests that need a state the
 * real handlers cannot produce on demand (an access that expires in seconds, a given refusal code):
 * the answers are typed contract values built from real samples (see record-fixtures.ts). The real
 * handlers, on the real RGW, are exercised by ui-full-flow and additions-flow.
 */
export async function answerChannel<T>(
  page: Page,
  channel: string,
  answer: (request: unknown) => IpcResult<T> | Promise<IpcResult<T>>,
): Promise<void> {
  await page.route(`**/ipc/${encodeURIComponent(channel)}`, async (route) => {
    const body = await answer(JSON.parse(route.request().postData() ?? 'null'));
    await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
  });
}

/** Text of the page that looks like an untranslated message key ("scan.prompt"): must be none. */
export async function untranslatedKeys(page: Page): Promise<string[]> {
  const text = await page.locator('body').innerText();
  const sections =
    'app|nav|common|session|lock|signIn|scan|breakGlass|record|absence|sections|notices|patient|fields|codes|documents|additions|audit|diagnostics|settings|clinician|errors';
  return [...text.matchAll(new RegExp(`\\b(?:${sections})\\.[A-Za-z][\\w-]*(?:\\.[\\w-]+)*`, 'g'))].map((m) => m[0]);
}

export function readUserConfig(dataDir: string): unknown {
  return JSON.parse(readFileSync(join(dataDir, 'user-config.json'), 'utf8'));
}

/** Sign in through the sign-in screen with a credential file and its passphrase; waits for the outcome. */
export async function signIn(page: Page, file: string, passphrase: string): Promise<void> {
  await page.getByTestId('switch-clinician').click();
  const view = page.getByTestId('view-signin');
  await view.waitFor();
  await view.getByTestId('credential-file').setInputFiles(file);
  await view.getByTestId('credential-passphrase').fill(passphrase);
  const answered = page.waitForResponse((r) => r.url().endsWith('/ipc/session.signIn'), { timeout: 30_000 });
  await view.getByTestId('sign-in').click();
  await answered;
  await view.getByTestId('identity').or(view.getByTestId('sign-in-refused')).first().waitFor({ timeout: 30_000 });
}

/**
 * Scan a patient's QR at scanner speed, break the glass with a reason and wait for the summary.
 * `rescans`: as at the bedside, a scan the detector did not take as one (a burst slowed by a busy
 * machine reads as human typing) is scanned again; 0 where the wedge timing itself is under test.
 */
export async function openByScan(p: Page, qrText: string, { rescans = 0 } = {}): Promise<void> {
  await navigate(p, 'scan');
  const recent = p.getByTestId('recent-scans').locator('li');
  for (let attempt = 0; ; attempt++) {
    const before = await recent.count();
    await scanWithWedge(p, qrText);
    if (attempt >= rescans) break;
    const read = await expect
      .poll(() => recent.count(), { timeout: 15_000 })
      .toBeGreaterThan(before)
      .then(() => true)
      .catch(() => false);
    if (read && (await recent.first().getAttribute('class')) === 'recent-ok') break;
  }
  await p.getByTestId('scan-preview').or(p.getByTestId('error-message')).first().waitFor({ timeout: 30_000 });
  expect(
    await p.getByTestId('error-message').count(),
    (await p.getByTestId('error-message').allInnerTexts()).join(' '),
  ).toBe(0);
  await p.getByTestId('open-record').click();
  await p.getByTestId('reason-emergency-treatment').check();
  await p.getByTestId('confirm-open').click();
  // Either the summary or the dialog's error: the caller asserts which one it expects.
  await p
    .getByTestId('patient-header')
    .or(p.getByTestId('break-glass').getByTestId('error-message'))
    .first()
    .waitFor({ timeout: 60_000 });
}
