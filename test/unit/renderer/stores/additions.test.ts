import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { STAGE_CHUNK_BYTES, type AdditionForm, type OutboxItem } from '../../../../common/additions';
import type { IpcResult } from '../../../../common/ipc/result';
import { draftHasWork, useAdditionsStore } from '../../../../renderer/src/stores/additions';
import { useRecordStore } from '../../../../renderer/src/stores/record';
import { deferred, installFakeHcp, type FakeHcp } from '../fake-hcp';
import { COUNTS, NOW, openRecord, outboxItem } from '../fixtures';

const NOTE: AdditionForm = { kind: 'note', text: 'Arrived by ambulance, GCS 14.' };
const NOTE2: AdditionForm = { kind: 'note', title: 'Triage', text: 'Orange.' };
const STAGING = '0123456789abcdef0123456789abcdef';
const PATIENT = { name: 'Maria Ioannou', birthDate: '1990-02-01', sex: 'female' };
type ListAnswer = IpcResult<{ items: OutboxItem[]; counts: typeof COUNTS }>;

describe('additions store', () => {
  let hcp: FakeHcp;
  beforeEach(() => {
    vi.useFakeTimers({ now: NOW });
    ({ hcp } = installFakeHcp());
  });
  afterEach(() => {
    expect(hcp.violations).toEqual([]);
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  /** The record open on screen, with its draft made (as the editor does). */
  function withOpenRecord() {
    const record = useRecordStore();
    record.show(openRecord());
    const additions = useAdditionsStore();
    additions.draftFor({ recordId: 'rec-1', patientRef: 'K7Q2-M9XD', patient: PATIENT });
    return { record, additions };
  }

  it('start listens once and loads the outbox; a failed list keeps its typed error and the items', async () => {
    hcp.answer('outbox.list', { items: [outboxItem(1)], counts: { ...COUNTS, queued: 1 } });
    const additions = useAdditionsStore();
    additions.start();
    additions.start();
    await vi.waitFor(() => expect(additions.loaded).toBe(true));
    expect(hcp.requests('outbox.list')).toEqual([{ limit: 200 }]);
    expect(hcp.listenerCount('outbox.changed')).toBe(1);
    expect(additions.waiting).toBe(1);
    hcp.fail('outbox.list', { code: 'STORAGE_BUSY' });
    await additions.refresh();
    expect(additions.listError).toEqual({ code: 'STORAGE_BUSY' });
    expect(additions.items.map((i) => i.id)).toEqual([1]);
    additions.stop();
    expect(hcp.listenerCount('outbox.changed')).toBe(0);
  });

  it("outbox.changed: the item's status at once, then one more list however many events came meanwhile", async () => {
    hcp.answer('outbox.list', { items: [outboxItem(1)], counts: { ...COUNTS, queued: 1 } });
    const additions = useAdditionsStore();
    additions.start();
    await vi.waitFor(() => expect(additions.loaded).toBe(true));
    const pending = deferred<ListAnswer>();
    hcp.respond('outbox.list', () => pending.promise);
    const sending = { ...COUNTS, sending: 1 };
    hcp.emit('outbox.changed', { counts: sending, item: { id: 1, status: 'sending', lastError: null } });
    hcp.emit('outbox.changed', {
      counts: { ...COUNTS, 'failed-retrying': 1 },
      item: { id: 1, status: 'failed-retrying', lastError: 'CLOUD_UNAVAILABLE' },
    });
    hcp.emit('outbox.changed', { counts: { ...COUNTS, 'failed-retrying': 1 }, item: null });
    expect(additions.items[0]).toMatchObject({ status: 'failed-retrying', lastError: 'CLOUD_UNAVAILABLE' });
    expect(additions.counts['failed-retrying']).toBe(1);
    expect(hcp.requests('outbox.list')).toHaveLength(2);
    const sent = outboxItem(1, { status: 'sent', sentAt: NOW.toISOString() });
    hcp.answer('outbox.list', { items: [sent], counts: { ...COUNTS, sent: 1 } });
    pending.resolve({ ok: true, value: { items: [outboxItem(1, { status: 'failed-retrying' })], counts: sending } });
    await vi.waitFor(() => expect(additions.items[0]?.status).toBe('sent'));
    // The one in flight, then a single refresh for the two events that came while it was.
    expect(hcp.requests('outbox.list')).toHaveLength(3);
    expect(additions.waiting).toBe(0);
  });

  it("drafts are per record: another patient's record does not see them, and they survive it", () => {
    const { record, additions } = withOpenRecord();
    additions.addToDraft(NOTE);
    expect(additions.draft).toEqual([NOTE]);
    record.show(openRecord({ recordId: 'rec-2' }));
    expect(additions.draft).toEqual([]);
    additions.addToDraft(NOTE2); // no draft made for rec-2: nothing is added anywhere
    expect(additions.drafts.get('rec-1')?.forms).toEqual([NOTE]);
    record.show(openRecord());
    expect(additions.draft).toEqual([NOTE]);
    expect(additions.withWork.map((d) => d.recordId)).toEqual(['rec-1']);
  });

  it('draftHasWork: forms, a file, or anything typed counts; the defaults alone do not', () => {
    const { additions } = withOpenRecord();
    const d = additions.current!;
    expect(draftHasWork(d)).toBe(false);
    expect(draftHasWork(undefined)).toBe(false);
    d.values.note = { text: '  ' };
    expect(draftHasWork(d)).toBe(false);
    d.values.note = { text: 'x' };
    expect(draftHasWork(d)).toBe(true);
    d.values.note = {};
    d.file = { name: 'ecg.png', contentType: 'image/png', size: 4, stagingId: STAGING };
    expect(draftHasWork(d)).toBe(true);
  });

  it('submit sends the draft, empties only what was sent, and lists the queued item', async () => {
    const { additions } = withOpenRecord();
    additions.addToDraft(NOTE);
    const pending = deferred<IpcResult<{ additionId: string; item: OutboxItem }>>();
    hcp.respond('additions.submit', () => pending.promise);
    hcp.answer('outbox.list', { items: [outboxItem(7)], counts: { ...COUNTS, queued: 1 } });
    const submitting = additions.submit('rec-1');
    expect(additions.submitting).toBe(true);
    expect(await additions.submit('rec-1')).toBeNull(); // one submission at a time
    additions.addToDraft(NOTE2); // typed while the first one was on its way
    pending.resolve({ ok: true, value: { additionId: 'a'.repeat(64), item: outboxItem(7) } });
    const result = await submitting;
    expect(hcp.requests('additions.submit')).toEqual([{ recordId: 'rec-1', items: [NOTE] }]);
    expect(result).toMatchObject({ additionId: 'a'.repeat(64), count: 1 });
    expect(additions.lastResult).toEqual(result);
    expect(additions.draft).toEqual([NOTE2]);
    expect(additions.items.map((i) => i.id)).toEqual([7]);
    expect(additions.submitting).toBe(false);
  });

  it('a refused submission keeps every form of the draft and shows the typed error', async () => {
    const { additions } = withOpenRecord();
    additions.addToDraft(NOTE);
    additions.addToDraft(NOTE2);
    hcp.fail('additions.submit', { code: 'NOT_SIGNED_IN' });
    expect(await additions.submit('rec-1')).toBeNull();
    expect(additions.submitError).toEqual({ code: 'NOT_SIGNED_IN' });
    expect(additions.draft).toEqual([NOTE, NOTE2]);
    expect(additions.submitting).toBe(false);
    // An empty draft is not sent at all.
    additions.removeFromDraft(0);
    additions.removeFromDraft(0);
    expect(await additions.submit('rec-1')).toBeNull();
    expect(hcp.requests('additions.submit')).toHaveLength(1);
  });

  it('retry: busy per item while main answers, the new state on success, the typed error per item', async () => {
    hcp.answer('outbox.list', { items: [outboxItem(1, { status: 'failed-retrying' }), outboxItem(2)], counts: COUNTS });
    const additions = useAdditionsStore();
    await additions.refresh();
    const pending = deferred<IpcResult<OutboxItem>>();
    hcp.respond('outbox.retry', () => pending.promise);
    const retrying = additions.retry(1);
    expect([...additions.retrying]).toEqual([1]);
    pending.resolve({ ok: true, value: outboxItem(1, { status: 'sending', attempts: 2 }) });
    await retrying;
    expect(additions.retrying.size).toBe(0);
    expect(additions.items[0]).toMatchObject({ status: 'sending', attempts: 2 });
    hcp.fail('outbox.retry', { code: 'OUTBOX_ITEM_MISSING' });
    await additions.retry(2);
    expect(additions.retryErrors.get(2)).toEqual({ code: 'OUTBOX_ITEM_MISSING' });
    expect(additions.items.map((i) => i.id)).toEqual([1, 2]);
    hcp.answer('outbox.retry', outboxItem(2, { status: 'sending' }));
    await additions.retry(2);
    expect(additions.retryErrors.has(2)).toBe(false);
  });

  it('a file is staged in main in slices (begin, chunks in order, end) with the bytes sent so far', async () => {
    const { additions } = withOpenRecord();
    const bytes = new Uint8Array(STAGE_CHUNK_BYTES * 2 + 10).map((_, i) => i % 253);
    const file = new File([bytes], 'ecg.png', { type: 'image/png' });
    let received = 0;
    hcp.answer('additions.stageAttachment', (r) => {
      if (r.op === 'chunk') received += Buffer.from(r.dataBase64, 'base64').length;
      return { stagingId: STAGING, received };
    });
    const progress: number[] = [];
    const chosen = await additions.stageFile('rec-1', file, (sent) => progress.push(sent));
    expect(chosen).toEqual({ name: 'ecg.png', contentType: 'image/png', size: bytes.length, stagingId: STAGING });
    const requests = hcp.requests('additions.stageAttachment');
    expect(requests.map((r) => (r.op === 'chunk' ? `chunk ${r.index}` : r.op))).toEqual([
      'begin',
      'chunk 0',
      'chunk 1',
      'chunk 2',
      'end',
    ]);
    expect(requests[0]).toEqual({ op: 'begin', recordId: 'rec-1', contentType: 'image/png', size: bytes.length });
    const sent = Buffer.concat(
      requests.flatMap((r) => (r.op === 'chunk' ? [Buffer.from(r.dataBase64, 'base64')] : [])),
    );
    expect(sent.equals(Buffer.from(bytes))).toBe(true);
    expect(progress).toEqual([STAGE_CHUNK_BYTES, STAGE_CHUNK_BYTES * 2, bytes.length]);
  });

  it('a refused slice discards the half-staged file in main and rejects with the typed refusal', async () => {
    const { additions } = withOpenRecord();
    const file = new File([new Uint8Array(STAGE_CHUNK_BYTES + 1)], 'scan.pdf', { type: 'application/pdf' });
    hcp.respond('additions.stageAttachment', async (r) =>
      r.op === 'chunk' && r.index === 1
        ? { ok: false, error: { code: 'STORAGE_FULL' } }
        : { ok: true, value: { stagingId: STAGING, received: 0 } },
    );
    await expect(additions.stageFile('rec-1', file)).rejects.toMatchObject({ info: { code: 'STORAGE_FULL' } });
    expect(hcp.requests('additions.stageAttachment').map((r) => r.op)).toEqual(['begin', 'chunk', 'chunk', 'discard']);
  });

  it("a change of clinician discards the previous one's drafts and result", async () => {
    const { additions } = withOpenRecord();
    additions.addToDraft(NOTE);
    hcp.answer('additions.submit', { additionId: 'b'.repeat(64), item: outboxItem(3) });
    hcp.answer('outbox.list', { items: [outboxItem(3)], counts: COUNTS });
    await additions.submit('rec-1');
    additions.addToDraft(NOTE2);
    additions.resetDraft();
    expect(additions.drafts.size).toBe(0);
    expect(additions.lastResult).toBeNull();
    expect(additions.withWork).toEqual([]);
  });
});
