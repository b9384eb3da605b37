import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../../../../renderer/src/i18n';
import { useAppStore } from '../../../../renderer/src/stores/app';
import { useSessionStore } from '../../../../renderer/src/stores/session';
import { useSettingsStore } from '../../../../renderer/src/stores/settings';
import { installFakeHcp, type FakeHcp } from '../fake-hcp';
import { appInfo, sessionStatus, settings } from '../fixtures';

describe('app store', () => {
  let hcp: FakeHcp;
  let html: { lang: string };
  beforeEach(() => {
    ({ hcp, html } = installFakeHcp());
    i18n.global.locale.value = 'en';
  });
  afterEach(() => {
    expect(hcp.violations).toEqual([]);
    vi.unstubAllGlobals();
  });

  it("loads the workstation, then the session and the settings; the clinician's language wins", async () => {
    hcp.answer('app.info', appInfo({ defaultLanguage: 'el' }));
    hcp.answer('session.status', sessionStatus());
    hcp.answer('settings.get', settings({ language: 'en' }));
    const app = useAppStore();
    await app.load();
    expect(hcp.calls.map((c) => c.channel)).toEqual(['app.info', 'session.status', 'settings.get']);
    expect(app.training).toBe(true);
    expect(useSessionStore().signedIn).toBe(true);
    expect(useSettingsStore().values?.language).toBe('en');
    expect(i18n.global.locale.value).toBe('en');
    expect(html.lang).toBe('en');
    expect(app.loadError).toBeNull();
  });

  it('a broken configuration or none: only app.info is asked, in the default language', async () => {
    hcp.answer('app.info', appInfo({ configProblems: [{ source: 'machine', key: 'pki', message: 'missing' }] }));
    const app = useAppStore();
    await app.load();
    expect(app.configBroken).toBe(true);
    expect(hcp.calls.map((c) => c.channel)).toEqual(['app.info']);
    expect(i18n.global.locale.value).toBe('el');

    hcp.answer(
      'app.info',
      appInfo({ notConfigured: { machineFile: '/etc/hcp/config.json', platform: 'linux', checkCommand: 'hcp check' } }),
    );
    await app.load();
    expect(app.notConfigured).toBe(true);
    expect(hcp.calls.map((c) => c.channel)).toEqual(['app.info', 'app.info']);
  });

  it('a failure at any step is kept as the typed load error', async () => {
    hcp.answer('app.info', appInfo());
    hcp.answer('session.status', sessionStatus());
    hcp.fail('settings.get', { code: 'CONFIG_FILE_UNREADABLE', details: { file: 'user-config.json' } });
    const app = useAppStore();
    await app.load();
    expect(app.loadError).toEqual({ code: 'CONFIG_FILE_UNREADABLE', details: { file: 'user-config.json' } });
    expect(app.info?.hospitalName).toBe('Training Hospital');
  });

  it('follows the serial scanner status (one listener however often it loads)', async () => {
    hcp.answer('app.info', appInfo({ configProblems: [{ source: 'machine', key: 'x', message: 'y' }] }));
    const app = useAppStore();
    await app.load();
    await app.load();
    expect(app.serial).toBeNull();
    expect(hcp.listenerCount('scanner.status')).toBe(1);
    hcp.emit('scanner.status', { serial: 'connected', port: '/dev/ttyACM0' });
    expect(app.serial).toEqual({ serial: 'connected', port: '/dev/ttyACM0' });
  });
});
