/**
 * The "not configured" screen in the real renderer (Chromium, browser harness). The harness runs
 * main's handlers in plain Node, where the startup decision is "built-in defaults"; the installed
 * app's answer cannot be produced here, so app.info is answered in the page with the real
 * handler's value plus the decision main/config/startup.ts makes for Electron on this machine
 * with no machine file (the same values the installed app sends). Everything else stays real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { machineConfigLocation } from '../../main/config/paths';
import { decideStartup } from '../../main/config/startup';
import { createHandlers } from '../../main/ipc/handlers/index';
import { answerChannel, recordCalls, screenshot, startUiApp, untranslatedKeys, type UiApp } from './support/ui';

describe('the installed app without a machine configuration', () => {
  let app: UiApp;
  beforeAll(async () => {
    app = await startUiApp();
  }, 240_000);
  afterAll(async () => {
    await app?.close();
  });

  async function notConfiguredPage(language: 'en' | 'el'): Promise<{ page: Page; calls: { channel: string }[] }> {
    const page = await app.open();
    const env = { ...process.env };
    delete env.HCP_CONFIG;
    const decision = decideStartup({
      loaded: app.harness.workstation.loaded,
      platform: process.platform,
      env,
      electron: '45.0.0',
    });
    expect(decision.kind).toBe('not-configured');
    const real = await createHandlers(app.harness.workstation)['app.info']({});
    await answerChannel(page, 'app.info', () => ({
      ok: true,
      value: {
        ...real,
        defaultLanguage: language,
        notConfigured: decision.kind === 'not-configured' ? decision.notConfigured : null,
      },
    }));
    const calls = recordCalls(page);
    await page.reload();
    await page.getByTestId('not-configured').waitFor();
    return { page, calls };
  }

  it('shows "This workstation is not configured", what IT must provide, where, and the config check command — and nothing else', async () => {
    const { page, calls } = await notConfiguredPage('en');
    const screen = page.getByTestId('not-configured');
    const text = await screen.innerText();
    const file = machineConfigLocation(process.platform, {}).file;
    expect(text).toContain('This workstation is not configured');
    expect(text).toContain('What IT must provide');
    expect(await page.getByTestId('not-configured-file').innerText()).toBe(file);
    expect(await page.getByTestId('not-configured-check').innerText()).toContain(`config check "${file}"`);
    for (const other of ['view-scan', 'lock-screen', 'config-error', 'switch-clinician', 'nav-scan'])
      expect(await page.getByTestId(other).count(), other).toBe(0);
    // The renderer asks for nothing else (main would refuse it anyway: CONFIG_NOT_CONFIGURED).
    expect(calls.map((c) => c.channel)).toEqual(['app.info']);
    expect(await untranslatedKeys(page)).toEqual([]);
    expect(app.errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
    await screenshot(page, 'not-configured-en');
  });

  it('in Greek', async () => {
    const { page } = await notConfiguredPage('el');
    const text = await page.getByTestId('not-configured').innerText();
    expect(text).toContain('Αυτός ο σταθμός εργασίας δεν έχει ρυθμιστεί');
    expect(text).toContain('config check');
    expect(await untranslatedKeys(page)).toEqual([]);
    await screenshot(page, 'not-configured-el');
  });
});
