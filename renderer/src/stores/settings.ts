import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { SettingsBounds, SettingsValues } from '../../../common/ipc/channels/settings';
import { call } from '../api/client';
import { setLocale } from '../i18n';

/** The clinician-adjustable settings, persisted by main in the per-user configuration file. */
export const useSettingsStore = defineStore('settings', () => {
  const values = ref<SettingsValues | null>(null);
  const bounds = ref<SettingsBounds | null>(null);

  async function load(): Promise<void> {
    const s = await call('settings.get', {});
    values.value = s.values;
    bounds.value = s.bounds;
  }

  async function save(change: Partial<SettingsValues>): Promise<void> {
    const s = await call('settings.set', change);
    values.value = s.values;
    bounds.value = s.bounds;
    setLocale(s.values.language);
  }

  return { values, bounds, load, save };
});
