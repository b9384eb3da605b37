import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { SessionStatus } from '../../../common/ipc/channels/session';
import { call, onEvent } from '../api/client';
import { readSliceBase64 } from '../components/additions/forms';

/**
 * The signed-in clinician and the lock. Locking hides patient data at once, in the renderer,
 * before main confirms: `lockedHere` keeps the lock screen up even if main cannot be reached.
 */
export const useSessionStore = defineStore('session', () => {
  const status = ref<SessionStatus>({ clinician: null, locked: false });
  const lockedHere = ref(false);

  const clinician = computed(() => status.value.clinician);
  const signedIn = computed(() => status.value.clinician !== null);
  const locked = computed(() => status.value.locked || lockedHere.value);

  let off: (() => void) | null = null;

  async function load(): Promise<void> {
    off ??= onEvent('session.changed', (s) => (status.value = s));
    status.value = await call('session.status', {});
  }

  /** Verify the credential in main and sign in; rejects with an ApiError naming the refusal. */
  async function signIn(file: File, passphrase: string): Promise<SessionStatus> {
    const credentialBase64 = await readSliceBase64(file);
    status.value = await call('session.signIn', { fileName: file.name.slice(0, 260), credentialBase64, passphrase });
    lockedHere.value = false;
    return status.value;
  }

  async function signOut(): Promise<void> {
    status.value = await call('session.signOut', {});
    lockedHere.value = false;
  }

  async function lock(trigger: 'manual' | 'idle' = 'manual'): Promise<void> {
    lockedHere.value = true;
    status.value = await call('session.lock', { trigger });
  }

  async function unlock(passphrase: string): Promise<void> {
    status.value = await call('session.unlock', { passphrase });
    lockedHere.value = status.value.locked;
  }

  return { status, clinician, signedIn, locked, lockedHere, load, signIn, signOut, lock, unlock };
});
