import { describe, expect, it } from 'vitest';
import { additionsChannels } from '../../../common/ipc/channels/additions';
import { events } from '../../../common/ipc/events';
import { WorkstationError } from '../../../common/errors';
import { Outbox } from '../../../main/additions/outbox';
import { AdditionsService, type SubmissionContext } from '../../../main/additions/service';
import { openDatabase } from '../../../main/cache/database';
import { generateMasterKey } from '../../../main/crypto/keys';
import { additionsHandlers } from '../../../main/ipc/handlers/additions';
import { PATIENT, testClinician } from './helpers';

describe('additions IPC handlers and schemas', () => {
  const { db } = openDatabase(':memory:');
  const service = new AdditionsService({ outbox: new Outbox(db), sender: null, workstation: { id: 'ws-1' } });
  const c = testClinician('p256', 2);
  const ctx: SubmissionContext = {
    credential: c.credential,
    author: c.author,
    citizenId: 'CITIZENBBBBBBBBBBBBBBBBBBB',
    masterKey: generateMasterKey(),
    patientRef: 'pref',
    patient: PATIENT,
    target: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', bucket: 'pending' },
  };
  const handlers = additionsHandlers({
    service,
    submissionContext: (recordId) => {
      if (recordId !== 'rec-1') throw new WorkstationError('CACHE_RECORD_MISSING');
      return ctx;
    },
  });

  it('submit -> queued item; list; retry; every response passes its schema', async () => {
    const req = additionsChannels['additions.submit'].request.parse({
      recordId: 'rec-1',
      items: [
        { kind: 'vitals', heartRate: 70 },
        { kind: 'note', text: 'ok' },
      ],
    });
    const res = await handlers['additions.submit'](req);
    expect(additionsChannels['additions.submit'].response.parse(res).item).toMatchObject({
      status: 'queued',
      kinds: { vitals: 1, note: 1 },
      patientRef: 'pref',
    });
    const list = additionsChannels['outbox.list'].response.parse(await handlers['outbox.list']({}));
    expect(list.counts.queued).toBe(1);
    expect(
      additionsChannels['outbox.retry'].response.parse(await handlers['outbox.retry']({ id: res.item.id })).id,
    ).toBe(res.item.id);
    await expect(async () => handlers['outbox.retry']({ id: 12345 })).rejects.toThrow('OUTBOX_ITEM_MISSING');
    expect(() => handlers['additions.submit']({ ...req, recordId: 'other' })).toThrow('CACHE_RECORD_MISSING');
  });

  it('requests are validated: unknown fields, an empty submission, an invalid form', () => {
    const schema = additionsChannels['additions.submit'].request;
    expect(schema.safeParse({ recordId: 'r', items: [] }).success).toBe(false);
    expect(schema.safeParse({ recordId: 'r', items: [{ kind: 'note', text: 'x' }], extra: 1 }).success).toBe(false);
    expect(schema.safeParse({ recordId: 'r', items: [{ kind: 'vitals', systolic: 120 }] }).success).toBe(false);
  });

  it("'outbox.changed' carries counts and an item state, nothing else", () => {
    const ok = {
      counts: { queued: 1, sending: 0, sent: 2, 'failed-retrying': 0 },
      item: { id: 1, status: 'sent', lastError: null },
    };
    expect(events['outbox.changed'].parse(ok)).toEqual(ok);
  });
});
