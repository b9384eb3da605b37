import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../renderer/src/api/client';
import { useSessionStore } from '../../../../renderer/src/stores/session';
import { deferred, installFakeHcp, type FakeHcp } from '../fake-hcp';
import { sessionStatus } from '../fixtures';
import type { SessionStatus } from '../../../../common/ipc/channels/session';
import type { IpcResult } from '../../../../common/ipc/result';

describe('session store', () => {
  let hcp: FakeHcp;
  beforeEach(() => {
    ({ hcp } = installFakeHcp());
  });
  afterEach(() => {
    expect(hcp.violations).toEqual([]);
    vi.unstubAllGlobals();
  });

  it('loads the status from main and follows session.changed (one listener however often it loads)', async () => {
    hcp.answer('session.status', sessionStatus());
    const session = useSessionStore();
    expect(session.signedIn).toBe(false);
    await session.load();
    await session.load();
    expect(session.signedIn).toBe(true);
    expect(session.clinician?.name).toBe('Dr Eleni Training');
    expect(hcp.listenerCount('session.changed')).toBe(1);
    hcp.emit('session.changed', sessionStatus({ locked: true }));
    expect(session.locked).toBe(true);
    hcp.emit('session.changed', { clinician: null, locked: false });
    expect(session.signedIn).toBe(false);
  });

  it('signs in with the file read as base64 and its name', async () => {
    hcp.answer('session.signIn', sessionStatus());
    const session = useSessionStore();
    const bytes = new Uint8Array(70_000).map((_, i) => i % 251);
    const file = new File([bytes], 'clinician.p12', { type: 'application/x-pkcs12' });
    await session.signIn(file, 'secret');
    const [sent] = hcp.requests('session.signIn');
    expect(sent).toMatchObject({ fileName: 'clinician.p12', passphrase: 'secret' });
    expect(Buffer.from(sent!.credentialBase64, 'base64')).toEqual(Buffer.from(bytes));
    expect(session.signedIn).toBe(true);
  });

  it('a refused sign-in rejects with the typed refusal and changes nothing', async () => {
    hcp.fail('session.signIn', { code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE' });
    const session = useSessionStore();
    const refused = await session.signIn(new File([new Uint8Array([1])], 'c.p12'), 'wrong').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).info.code).toBe('PKI_CREDENTIAL_WRONG_PASSPHRASE');
    expect(session.status).toEqual({ clinician: null, locked: false });
  });

  it('lock hides at once, before main answers, and stays locked when main cannot be reached', async () => {
    hcp.answer('session.status', sessionStatus());
    const session = useSessionStore();
    await session.load();
    const pending = deferred<IpcResult<SessionStatus>>();
    hcp.respond('session.lock', () => pending.promise);
    const locking = session.lock('idle');
    expect(session.locked).toBe(true);
    expect(hcp.requests('session.lock')).toEqual([{ trigger: 'idle' }]);
    pending.resolve({ ok: false, error: { code: 'INTERNAL_ERROR' } });
    await expect(locking).rejects.toBeInstanceOf(ApiError);
    expect(session.locked).toBe(true);
  });

  it('unlock: a wrong passphrase keeps the lock (typed error); the right one lifts it', async () => {
    hcp.answer('session.status', sessionStatus());
    hcp.answer('session.lock', sessionStatus({ locked: true }));
    const session = useSessionStore();
    await session.load();
    await session.lock();
    expect(hcp.requests('session.lock')).toEqual([{ trigger: 'manual' }]);
    hcp.fail('session.unlock', { code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE' });
    await expect(session.unlock('nope')).rejects.toMatchObject({ info: { code: 'PKI_CREDENTIAL_WRONG_PASSPHRASE' } });
    expect(session.locked).toBe(true);
    // Main still says locked (e.g. another check pending): the screen stays locked.
    hcp.answer('session.unlock', sessionStatus({ locked: true }));
    await session.unlock('right');
    expect(session.locked).toBe(true);
    hcp.answer('session.unlock', sessionStatus());
    await session.unlock('right');
    expect(session.locked).toBe(false);
    expect(hcp.requests('session.unlock').map((r) => r.passphrase)).toEqual(['nope', 'right', 'right']);
  });

  it('sign-out clears the clinician and the local lock; a failure keeps both (typed error)', async () => {
    hcp.answer('session.status', sessionStatus());
    hcp.answer('session.lock', sessionStatus({ locked: true }));
    const session = useSessionStore();
    await session.load();
    await session.lock();
    hcp.fail('session.signOut', { code: 'STORAGE_IO_ERROR' });
    await expect(session.signOut()).rejects.toMatchObject({ info: { code: 'STORAGE_IO_ERROR' } });
    expect(session.locked).toBe(true);
    expect(session.signedIn).toBe(true);
    hcp.answer('session.signOut', { clinician: null, locked: false });
    await session.signOut();
    expect(session.signedIn).toBe(false);
    expect(session.locked).toBe(false);
  });
});
