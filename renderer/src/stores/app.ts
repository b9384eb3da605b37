import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { AppInfo } from '../../../common/ipc/channels/app';
import type { ErrorInfo } from '../../../common/errors';
import type { EventPayload } from '../../../common/ipc/events';
import { call, errorInfoOf, onEvent } from '../api/client';
import { setLocale } from '../i18n';
import { useSessionStore } from './session';
import { useSettingsStore } from './settings';

export type SerialStatus = EventPayload<'scanner.status'>;

/** The workstation's identity and configuration as the UI needs it; loads the other stores at start. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const loadError = ref<ErrorInfo | null>(null);
  /** The serial scanner's state, from the 'scanner.status' event (null until main reports one). */
  const serial = shallowRef<SerialStatus | null>(null);

  const training = computed(() => info.value?.mode === 'training');
  const configBroken = computed(() => (info.value?.configProblems.length ?? 0) > 0);
  /** No machine configuration (the installed app): only the "not configured" screen, nothing else loads. */
  const notConfigured = computed(() => info.value?.notConfigured != null);

  let off: (() => void) | null = null;

  async function load(): Promise<void> {
    off ??= onEvent('scanner.status', (s) => (serial.value = s));
    const session = useSessionStore();
    const settings = useSettingsStore();
    try {
      info.value = await call('app.info', {});
      setLocale(info.value.defaultLanguage);
      if (configBroken.value || notConfigured.value) return;
      await session.load();
      await settings.load();
      if (settings.values) setLocale(settings.values.language);
    } catch (e) {
      loadError.value = errorInfoOf(e);
    }
  }

  return { info, loadError, serial, training, configBroken, notConfigured, load };
});
