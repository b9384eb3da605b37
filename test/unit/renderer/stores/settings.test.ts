import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { i18n } from '../../../../renderer/src/i18n';
import { useSettingsStore } from '../../../../renderer/src/stores/settings';
import { installFakeHcp, type FakeHcp } from '../fake-hcp';
import { settings } from '../fixtures';

describe('settings store', () => {
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

  it('loads the values and their bounds', async () => {
    hcp.answer('settings.get', settings({ idleLockMinutes: 7 }));
    const store = useSettingsStore();
    await store.load();
    expect(store.values?.idleLockMinutes).toBe(7);
    expect(store.bounds?.idleLockMinutesMax).toBe(30);
  });

  it('saves a change, takes what main kept (its clamping) and switches the language', async () => {
    hcp.answer('settings.get', settings());
    hcp.answer('settings.set', (change) => settings({ ...change, idleLockMinutes: 30 }));
    const store = useSettingsStore();
    await store.load();
    await store.save({ language: 'el', idleLockMinutes: 99 });
    expect(hcp.requests('settings.set')).toEqual([{ language: 'el', idleLockMinutes: 99 }]);
    expect(store.values).toEqual({ language: 'el', idleLockMinutes: 30, retentionHours: 72 });
    expect(i18n.global.locale.value).toBe('el');
    expect(html.lang).toBe('el');
  });

  it('a refused save rejects with its typed error and keeps the values and the language', async () => {
    hcp.answer('settings.get', settings());
    hcp.fail('settings.set', { code: 'STORAGE_READONLY' });
    const store = useSettingsStore();
    await store.load();
    await expect(store.save({ language: 'el' })).rejects.toMatchObject({ info: { code: 'STORAGE_READONLY' } });
    expect(store.values?.language).toBe('en');
    expect(i18n.global.locale.value).toBe('en');
  });

  it('an unknown language from main falls back to English', async () => {
    hcp.answer('settings.set', settings({ language: 'xx' }));
    const store = useSettingsStore();
    await store.save({ language: 'xx' });
    expect(i18n.global.locale.value).toBe('en');
    expect(html.lang).toBe('en');
  });
});
