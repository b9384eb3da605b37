import { describe, expect, it } from 'vitest';
import { AdditionForms, ATTACHMENT_MAX_BYTES, SUBMISSION_MAX_BYTES } from '../../../common/additions';
import { contract } from '../../../common/ipc/contract';
import { AdditionsService } from '../../../main/additions/service';
import { Outbox } from '../../../main/additions/outbox';
import { openDatabase } from '../../../main/cache/database';
import { PATIENT, testClinician } from './helpers';

/** A submission is capped in total (SUBMISSION_MAX_BYTES), not only per attachment. */
const attachment = (bytes: number, n: number) => ({
  kind: 'attachment' as const,
  title: `Photo ${n}`,
  contentType: 'image/jpeg' as const,
  dataBase64: Buffer.alloc(bytes, n).toString('base64'),
});

describe('submission size cap', () => {
  const tenMb = Array.from({ length: Math.floor(SUBMISSION_MAX_BYTES / ATTACHMENT_MAX_BYTES) }, (_, i) =>
    attachment(ATTACHMENT_MAX_BYTES, i),
  );

  it('exactly the cap passes; one byte more than the cap in total is refused by the IPC schema', () => {
    expect(AdditionForms.safeParse(tenMb).success).toBe(true);
    const over = [...tenMb, attachment(4, 99)];
    const parsed = contract['additions.submit'].request.safeParse({ recordId: 'r', items: over });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/larger than 100 MB/);
  });

  it('the service refuses it too (CLI and other callers): ADDITION_INVALID, nothing queued', () => {
    const { db } = openDatabase(':memory:');
    const outbox = new Outbox(db);
    const service = new AdditionsService({ outbox, sender: null, workstation: { id: 'ws' } });
    const c = testClinician('p256', 2);
    const ctx = {
      credential: c.credential,
      author: c.author,
      citizenId: 'C'.repeat(26),
      masterKey: Buffer.alloc(32, 1),
      patientRef: 'p',
      patient: PATIENT,
      target: { endpoint: 'http://s3', region: 'r', bucket: 'pending' },
    };
    expect(() => service.submit(ctx, [...tenMb, attachment(4, 99)])).toThrow(
      expect.objectContaining({
        code: 'ADDITION_INVALID',
        details: expect.objectContaining({ field: 'items', problem: 'too-large', limit: SUBMISSION_MAX_BYTES }),
      }),
    );
    expect(outbox.counts().queued).toBe(0);
    db.close();
  });
});
