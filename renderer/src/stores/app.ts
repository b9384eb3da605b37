import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AppInfo } from '../../../common/ipc/channels/app';
import type { SessionStatus } from '../../../common/ipc/channels/session';
import type { ErrorInfo } from '../../../common/errors';
import { call, errorInfoOf, onEvent } from '../api/client';
import { setLocale } from '../i18n';
import type { Locale } from '../../../common/i18n/messages';

/** What the app frame needs: the workstation's identity and the signed-in clinician. */
export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);
  const session = ref<SessionStatus>({ clinician: null, locked: false });
  const loadError = ref<ErrorInfo | null>(null);

  const training = computed(() => info.value?.mode === 'training');
  const configBroken = computed(() => (info.value?.configProblems.length ?? 0) > 0);

  async function load(): Promise<void> {
    try {
      info.value = await call('app.info', {});
      session.value = await call('session.status', {});
      setLocale(info.value.defaultLanguage as Locale);
    } catch (e) {
      loadError.value = errorInfoOf(e);
    }
    onEvent('session.changed', (s) => (session.value = s));
  }

  return { info, session, loadError, training, configBroken, load };
});
