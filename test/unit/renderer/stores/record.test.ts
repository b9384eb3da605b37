import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../renderer/src/api/client';
import { useRecordStore } from '../../../../renderer/src/stores/record';
import { deferred, installFakeHcp, type FakeHcp } from '../fake-hcp';
import { NOW, openRecord } from '../fixtures';
import type { OpenRecord } from '../../../../common/ipc/channels/emergency';
import type { IpcResult } from '../../../../common/ipc/result';

const REASON = { code: 'emergency-treatment', text: '' } as const;

describe('record store', () => {
  let hcp: FakeHcp;
  let print: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
    ({ hcp, print } = installFakeHcp());
  });
  afterEach(() => {
    expect(hcp.violations).toEqual([]);
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('opens a record (the reason goes to main) and clears it at the access limit, on the wall clock', async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    expect(hcp.requests('emergency.open')).toEqual([{ scanId: 'scan-1', reason: REASON }]);
    expect(record.isOpen).toBe(true);
    await vi.advanceTimersByTimeAsync(60 * 60_000 - 1000);
    expect(record.current?.recordId).toBe('rec-1');
    await vi.advanceTimersByTimeAsync(1000);
    expect(record.current).toBeNull();
    expect(record.ended).toBe('expired');
  });

  it('a machine that slept past the limit clears the record at the first check after waking', async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    // Suspend: the wall clock jumps past the limit while no timer ran.
    vi.setSystemTime(NOW.getTime() + 2 * 60 * 60_000);
    expect(record.isOpen).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(record.current).toBeNull();
    expect(record.ended).toBe('expired');
  });

  it('a record whose access ends beyond the longest timer (24.8 days) is not cleared early', async () => {
    hcp.answer(
      'emergency.open',
      openRecord({ accessExpiresAt: new Date(NOW.getTime() + 30 * 86_400_000).toISOString() }),
    );
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    await vi.advanceTimersToNextTimerAsync();
    expect(record.isOpen).toBe(true);
    vi.setSystemTime(NOW.getTime() + 25 * 86_400_000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(record.isOpen).toBe(true);
    vi.setSystemTime(NOW.getTime() + 30 * 86_400_000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(record.ended).toBe('expired');
  });

  it('an already expired or unreadable access limit never puts the record on screen', async () => {
    const record = useRecordStore();
    record.show(openRecord({ accessExpiresAt: new Date(NOW.getTime() - 1).toISOString() }));
    expect(record.current).toBeNull();
    expect(record.ended).toBe('expired');
    record.show(openRecord({ accessExpiresAt: 'not a time' }));
    expect(record.current).toBeNull();
  });

  it('a refusal from main rejects with its typed error and leaves the screen as it was', async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    hcp.fail('emergency.open', { code: 'HRI_UNAVAILABLE', details: { status: 503 } });
    const refused = await record.open('scan-2', REASON).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).info).toEqual({ code: 'HRI_UNAVAILABLE', details: { status: 503 } });
    expect(record.current?.recordId).toBe('rec-1');
  });

  it('a broken bridge is an INTERNAL_ERROR, not a raw exception', async () => {
    hcp.break('shl.open');
    const record = useRecordStore();
    const refused = await record.openShl('scan-1', REASON, '1234').catch((e: unknown) => e);
    expect((refused as ApiError).info).toEqual({ code: 'INTERNAL_ERROR' });
    expect(hcp.requests('shl.open')).toEqual([{ scanId: 'scan-1', reason: REASON, passcode: '1234' }]);
  });

  it('an answer that arrives after a lock (or a change of clinician) is not put on screen', async () => {
    const pending = deferred<IpcResult<OpenRecord>>();
    hcp.respond('emergency.open', () => pending.promise);
    const record = useRecordStore();
    const opening = record.open('scan-1', REASON);
    record.clear('locked');
    pending.resolve({ ok: true, value: openRecord() });
    await opening;
    expect(record.current).toBeNull();
  });

  it('after an unlock the record main holds comes back; if main cannot say, the typed error is kept', async () => {
    const record = useRecordStore();
    hcp.answer('emergency.current', openRecord({ recordId: 'rec-9' }));
    await record.refresh();
    expect(record.current?.recordId).toBe('rec-9');
    record.clear('locked');
    expect(record.keptUntil).toBe(openRecord().accessExpiresAt);
    hcp.fail('emergency.current', { code: 'SESSION_LOCKED' });
    await record.refresh();
    expect(record.current).toBeNull();
    expect(record.fetchError).toEqual({ code: 'SESSION_LOCKED' });
    hcp.answer('emergency.current', null);
    await record.refresh();
    expect(record.fetchError).toBeNull();
  });

  it('close clears the screen at once, then ends access in main; a failure of main is reported', async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    hcp.fail('emergency.close', { code: 'INTERNAL_ERROR' });
    const closing = record.close();
    expect(record.current).toBeNull();
    expect(record.ended).toBe('closed');
    await expect(closing).rejects.toBeInstanceOf(ApiError);
    expect(hcp.requests('emergency.close')).toEqual([{ recordId: 'rec-1' }]);
  });

  it('main ending access (emergency.ended) clears only that record', async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    hcp.emit('emergency.ended', { recordId: 'rec-other', reason: 'expired' });
    expect(record.isOpen).toBe(true);
    hcp.emit('emergency.ended', { recordId: 'rec-1', reason: 'clinician-changed' });
    expect(record.current).toBeNull();
    expect(record.ended).toBe('closed');
  });

  it("an attachment: progress from main, then the viewer's URL of main's streamed route; gone on close", async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    const pending = deferred<IpcResult<{ contentType: string; size: number }>>();
    hcp.respond('emergency.attachment', () => pending.promise);
    const downloading = record.download('att-1');
    expect(record.attachments.get('att-1')).toEqual({ phase: 'downloading' });
    hcp.emit('emergency.attachmentProgress', {
      recordId: 'rec-1',
      attachmentId: 'att-1',
      receivedBytes: 2,
      totalBytes: 4,
      state: 'downloading',
    });
    // Progress of another record's attachment changes nothing.
    hcp.emit('emergency.attachmentProgress', {
      recordId: 'rec-2',
      attachmentId: 'att-1',
      receivedBytes: 3,
      totalBytes: 4,
      state: 'downloading',
    });
    expect(record.attachments.get('att-1')).toEqual({ phase: 'downloading', receivedBytes: 2, totalBytes: 4 });
    pending.resolve({ ok: true, value: { contentType: 'image/png', size: 4 } });
    await downloading;
    expect(record.attachments.get('att-1')).toEqual({
      phase: 'ready',
      url: 'hcp-attachment://record/rec-1/att-1',
      contentType: 'image/png',
      bytes: 4,
    });
    hcp.answer('emergency.close', { closed: true });
    await record.close();
    expect(record.attachments.size).toBe(0);
  });

  it('a failed attachment keeps its typed error; a cancelled one drops the late bytes', async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    hcp.fail('emergency.attachment', { code: 'OBJECT_INTEGRITY_FAILED' });
    await record.download('att-1');
    expect(record.attachments.get('att-1')).toEqual({ phase: 'failed', error: { code: 'OBJECT_INTEGRITY_FAILED' } });

    const pending = deferred<IpcResult<{ contentType: string; size: number }>>();
    hcp.respond('emergency.attachment', () => pending.promise);
    hcp.answer('emergency.cancelAttachment', { cancelled: true });
    const downloading = record.download('att-1');
    await record.cancel('att-1');
    expect(hcp.requests('emergency.cancelAttachment')).toEqual([{ recordId: 'rec-1', attachmentId: 'att-1' }]);
    pending.resolve({ ok: true, value: { contentType: 'image/png', size: 4 } });
    await downloading;
    expect(record.attachments.get('att-1')).toEqual({ phase: 'cancelled' });
  });

  it('print is audited in main first; the page prints itself only when main did not', async () => {
    hcp.answer('emergency.open', openRecord());
    const record = useRecordStore();
    await record.open('scan-1', REASON);
    hcp.answer('emergency.print', { handled: true, savedTo: null });
    await record.print();
    expect(print).not.toHaveBeenCalled();
    hcp.answer('emergency.print', { handled: false, savedTo: null });
    await record.print('pdf');
    expect(print).toHaveBeenCalledTimes(1);
    expect(hcp.requests('emergency.print')).toEqual([
      { recordId: 'rec-1', output: 'printer' },
      { recordId: 'rec-1', output: 'pdf' },
    ]);
    hcp.fail('emergency.print', { code: 'STORAGE_FULL' });
    await expect(record.print()).rejects.toMatchObject({ info: { code: 'STORAGE_FULL' } });
    expect(print).toHaveBeenCalledTimes(1);
  });
});
