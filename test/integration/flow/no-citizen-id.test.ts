/**
 * No citizen id in clear in the shipped audit or in what the workstation's database keeps about
 * records and access (issue 12 §6): after a full flow — open from the cloud, an attachment, an
 * addition sent, close — the audit log, the record cache, the freshness table and every audit
 * batch shipped to the cloud are searched for the citizen id. Objects are named relative to the
 * patient's prefix; the patient by the keyed patient reference. The outbox (its table and its
 * spool files) keeps the pending object key sealed, and the break-the-glass free text is sealed
 * with the workstation key: neither is in the database file, its WAL or the shipped batches.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sandboxS3Client } from '../../../scripts/sandbox/index';
import { createFlowFixture, readObject, scanAndOpen, signInDemoClinician, type FlowFixture } from '../../support/flow';
import { outboxDrained } from '../../support/outbox';

let fx: FlowFixture;
const sandbox = inject('sandbox');

beforeAll(async () => {
  fx = await createFlowFixture({ sandbox, samples: ['IPS_IG-bundle-01.json'] });
});
afterAll(async () => fx?.close());

describe('no citizen id in clear', () => {
  it('is found neither in the audit log, cache or freshness tables nor in the shipped audit batches after a full flow', async () => {
    const p = fx.patients[0]!;
    const ws = fx.workstation();
    await signInDemoClinician(ws, fx.pki);
    const reasonText = 'Found collapsed at Syntagma kiosk 7731, no relatives';
    const { record } = await scanAndOpen(ws, p.qrText, { code: 'unconscious-patient', text: reasonText });
    await ws.emergency.attachment(record.recordId, record.attachments[0]!.id);
    await ws.additions.submit(ws.emergency.submissionContext(record.recordId), [
      { kind: 'note', text: 'Given 1 g paracetamol IV.' },
    ]);
    // The spool file of the unsent addition, before the sender removes it.
    const spoolDir = join(ws.dataDir, 'outbox');
    const spoolFiles = readdirSync(spoolDir).filter((n) => n.endsWith('.hcpo'));
    expect(spoolFiles.length).toBe(1);
    for (const name of spoolFiles)
      expect(
        readFileSync(join(spoolDir, name)).toString('latin1').includes(p.citizenId),
        `spool file ${name} holds the citizen id`,
      ).toBe(false);
    const pendingRow = JSON.stringify(ws.db.prepare('SELECT * FROM outbox').all(), (_k, v: unknown) =>
      Buffer.isBuffer(v) ? v.toString('latin1') : v,
    );
    expect(pendingRow.includes(p.citizenId), 'the unsent outbox row holds the citizen id').toBe(false);
    ws.outboxSender.start();
    await outboxDrained(
      () => ws.additions.list(1).counts,
      (listener) => ws.events.on('outbox.changed', listener),
      30_000,
    );
    await ws.outboxSender.stop();
    ws.emergency.close(record.recordId);
    const shipped = await ws.auditShipper!.shipNow();
    expect(shipped.error).toBeNull();
    expect(shipped.shipped).toBeGreaterThan(5);

    const dump = (table: string) =>
      JSON.stringify(ws.db.prepare(`SELECT * FROM ${table}`).all(), (_k, v: unknown) =>
        Buffer.isBuffer(v) ? v.toString('latin1') : v,
      );
    for (const table of ['audit_log', 'cached_records', 'cached_attachments', 'record_freshness', 'outbox']) {
      const text = dump(table);
      expect(text.length, table).toBeGreaterThan(2);
      expect(text.includes(p.citizenId), `${table} holds the citizen id`).toBe(false);
      expect(text.includes(reasonText), `${table} holds the break-the-glass text`).toBe(false);
    }
    // Sealed, not lost: main opens it for the signed-in clinician's Audit view.
    const start = ws.audit.entries().find((e) => e.event.subtype?.some((c) => c.code === '110127'));
    expect(start && ws.audit.emergencyReasonText(start)).toBe(reasonText);
    // The break-the-glass text is nowhere in the database file or its WAL.
    const dbFile = join(ws.dataDir, 'workstation.sqlite');
    for (const file of [dbFile, `${dbFile}-wal`])
      if (existsSync(file))
        expect(
          readFileSync(file).toString('latin1').includes(reasonText),
          `${file} holds the break-the-glass text`,
        ).toBe(false);
    // The audit names objects relative to the patient's prefix.
    expect(dump('audit_log')).toMatch(/s3:\/\/ehr\/manifest\.hcpc/);

    const admin = sandboxS3Client(sandbox.s3.endpoint, sandbox.s3.admin, sandbox.s3.region);
    const keys: string[] = [];
    for await (const o of admin.listObjectsV2(
      sandbox.buckets.audit,
      `audit/${ws.loaded.config.hospital.workstationId}/`,
      true,
    ))
      if (o.name) keys.push(o.name);
    expect(keys.length).toBeGreaterThan(0);
    let batches = '';
    for (const key of keys) batches += (await readObject(admin, sandbox.buckets.audit, key)).toString('utf8');
    expect(batches).toContain(record.patientRef);
    expect(batches.includes(p.citizenId)).toBe(false);
    expect(batches.includes(reasonText)).toBe(false);
    expect(batches).toContain('unconscious-patient');
  });
});
