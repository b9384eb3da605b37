import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../../main/audit/trail';
import { AuditEvent, canonicalJson, entryHash, verifyAuditChain } from '../../../main/audit/index';
import { runCli } from '../../../main/cli/index';
import { WorkstationError } from '../../../common/errors';
import { auditFixture, clinician, recordWholeFlow, type AuditFixture } from './helpers';

let fx: AuditFixture;
afterEach(() => fx?.close());

function cli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }).then((code) => ({
    code,
    out: out.join('\n'),
    err: err.join('\n'),
  }));
}

describe('audit trail (real SQLite file)', () => {
  it('records every step as a valid FHIR AuditEvent, chained from the genesis hash', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const entries = fx.trail.entries();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(entries[0]!.prevHash).toBe('0'.repeat(64));
    for (let i = 1; i < entries.length; i++) expect(entries[i]!.prevHash).toBe(entries[i - 1]!.entryHash);
    for (const e of entries) expect(AuditEvent.safeParse(e.event).success).toBe(true);
    expect(verifyAuditChain(fx.db)).toEqual({
      intact: true,
      entries: 11,
      head: { seq: 11, entryHash: entries[10]!.entryHash },
    });
  });

  it('codes break-the-glass as DCM 110113 / 110127 / 110138 with purpose ETREAT and BTG', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const [start, stop] = fx.trail
      .entries()
      .filter((e) => e.event.type.code === '110113')
      .map((e) => e.event);
    expect(start!.subtype).toEqual([
      { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110127', display: 'Emergency Override Started' },
    ]);
    expect(stop!.subtype?.[0]?.code).toBe('110138');
    expect(start!.purposeOfEvent?.[0]?.coding.map((c) => c.code)).toEqual(['ETREAT', 'BTG']);
    expect(start!.purposeOfEvent?.[0]?.text).toBe('Brought in unresponsive');
    expect(start!.period).toEqual({ start: '2026-03-01T10:00:00.000Z', end: '2026-03-01T11:00:00.000Z' });
    const agent = start!.agent[0]!;
    expect(agent).toMatchObject({
      name: clinician.name,
      requestor: true,
      altId: `sha256:${'ab'.repeat(32)}`,
      who: { identifier: { value: 'GR-MED-12345' } },
    });
    expect(start!.agent[1]!.who.identifier.value).toBe('ws-er-01');
    expect(start!.entity?.[0]?.what?.identifier.value).toBe('0123456789abcdef0123456789abcdef');
  });

  it('records failures with outcome 8 and the error code only', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const failed = fx.trail.entries().find((e) => e.event.outcome !== '0')!.event;
    expect(failed).toMatchObject({ outcome: '8', outcomeDesc: 'OBJECT_INTEGRITY_FAILED', action: 'R' });
    const minor = fx.trail.certificateChecked({
      clinician,
      failure: { code: 'PKI_REVOCATION_UNKNOWN', severity: 'minor' },
    });
    expect(minor.event.outcome).toBe('4');
  });

  it('refuses an event with fields outside the schema (no place for record contents)', () => {
    fx = auditFixture();
    const event = fx.trail.entries()[0]?.event;
    expect(event).toBeUndefined();
    const good = fx.trail.certificateChecked({ clinician }).event;
    expect(() => fx.trail.record({ ...good, allergies: ['penicillin'] } as never)).toThrow();
    expect(() => fx.trail.record({ ...good, outcomeDesc: 'a free text message' })).toThrow();
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: true, entries: 1 });
  });

  it('audits a scan either way: the parsed scan, or the refusal with its code (minor) before the error goes on', () => {
    fx = auditFixture();
    expect(fx.trail.scanned({ clinician, source: 'wedge' }, () => 'payload')).toBe('payload');
    expect(() =>
      fx.trail.scanned({ clinician, source: 'paste' }, () => {
        throw new WorkstationError('QR_TRUNCATED');
      }),
    ).toThrow(expect.objectContaining({ code: 'QR_TRUNCATED' }));
    expect(() =>
      fx.trail.scanned({ clinician: null, source: 'manual' }, () => {
        throw new Error('a bug');
      }),
    ).toThrow('a bug');
    const events = fx.trail.entries().map((e) => e.event);
    expect(events.map((e) => [e.outcome, e.outcomeDesc])).toEqual([
      ['0', undefined],
      ['4', 'QR_TRUNCATED'],
      ['4', 'INTERNAL_ERROR'],
    ]);
  });

  it('hashes canonical JSON: SHA-256(prev_hash || entry) recomputes from the stored text', () => {
    fx = auditFixture();
    const e = fx.trail.qrScanned({ clinician, source: 'serial' });
    const row = fx.db.prepare('SELECT entry FROM audit_log WHERE seq = 1').pluck().get() as string;
    expect(row).toBe(canonicalJson({ seq: 1, event: e.event }));
    expect(entryHash('0'.repeat(64), row)).toBe(e.entryHash);
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
  });
});

describe('verifyAuditChain detects tampering at the first broken entry', () => {
  const tamper = (sql: string, ...params: unknown[]) => fx.db.prepare(sql).run(...params);

  it('an edited entry', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const text = fx.db.prepare('SELECT entry FROM audit_log WHERE seq = 5').pluck().get() as string;
    tamper('UPDATE audit_log SET entry = ? WHERE seq = 5', text.replace('sts-assume-role', 'static'));
    expect(verifyAuditChain(fx.db)).toMatchObject({
      intact: false,
      brokenAt: 5,
      problem: 'entry-hash-mismatch',
      error: { code: 'AUDIT_CHAIN_BROKEN', details: { index: 5 } },
    });
  });

  it('an edited entry whose hash was recomputed (the next link breaks)', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const row = fx.db.prepare('SELECT entry, prev_hash FROM audit_log WHERE seq = 3').get() as {
      entry: string;
      prev_hash: string;
    };
    const forged = row.entry.replace('"E"', '"R"');
    tamper('UPDATE audit_log SET entry = ?, entry_hash = ? WHERE seq = 3', forged, entryHash(row.prev_hash, forged));
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 4, problem: 'prev-hash-mismatch' });
  });

  it('a deleted entry in the middle, the first entry, and the newest entry', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    tamper('DELETE FROM audit_log WHERE seq = 7');
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 7, problem: 'missing-entry' });
    fx.close();

    fx = auditFixture();
    recordWholeFlow(fx.trail);
    tamper('DELETE FROM audit_log WHERE seq = 1');
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 1, problem: 'missing-entry' });
    fx.close();

    fx = auditFixture();
    recordWholeFlow(fx.trail);
    tamper('DELETE FROM audit_log WHERE seq >= 10');
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 10, problem: 'missing-entry' });
    // Later entries do not paper over the gap.
    fx.trail.qrScanned({ clinician, source: 'wedge' });
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 10, problem: 'missing-entry' });
  });

  it('an inserted entry', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    // Make room after seq 4 and insert a forged entry chained onto 4.
    tamper('UPDATE audit_log SET seq = seq + 1000 WHERE seq > 4');
    tamper('UPDATE audit_log SET seq = seq - 999 WHERE seq > 1000');
    const prev = fx.db.prepare('SELECT entry_hash FROM audit_log WHERE seq = 4').pluck().get() as string;
    const forged = canonicalJson({ seq: 5, event: fx.trail.entries(1, 1)[0]!.event });
    tamper(
      'INSERT INTO audit_log (seq, entry, prev_hash, entry_hash) VALUES (5, ?, ?, ?)',
      forged,
      prev,
      entryHash(prev, forged),
    );
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 6 });
  });

  it('reordered entries', () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    tamper('UPDATE audit_log SET seq = -1 WHERE seq = 2');
    tamper('UPDATE audit_log SET seq = 2 WHERE seq = 3');
    tamper('UPDATE audit_log SET seq = 3 WHERE seq = -1');
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 2, problem: 'prev-hash-mismatch' });
  });

  it("an entry appended behind the head's back, and a removed head", () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    const last = fx.db.prepare('SELECT entry_hash FROM audit_log WHERE seq = 11').pluck().get() as string;
    const forged = canonicalJson({ seq: 12, event: fx.trail.entries(1, 1)[0]!.event });
    tamper(
      'INSERT INTO audit_log (seq, entry, prev_hash, entry_hash) VALUES (12, ?, ?, ?)',
      forged,
      last,
      entryHash(last, forged),
    );
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, brokenAt: 12, problem: 'head-mismatch' });
    tamper('DELETE FROM audit_head');
    expect(verifyAuditChain(fx.db)).toMatchObject({ intact: false, problem: 'head-missing' });
  });
});

describe('verify-audit CLI', () => {
  it('exits 0 on an intact chain and 1 with the first broken entry (edit, delete, reorder)', async () => {
    fx = auditFixture();
    recordWholeFlow(fx.trail);
    expect(await cli(['verify-audit', '--db', fx.file])).toEqual({
      code: 0,
      out: 'OK: 11 entries, chain intact',
      err: '',
    });

    fx.db.prepare("UPDATE audit_log SET entry = replace(entry, 'wedge', 'paste') WHERE seq = 1").run();
    const edited = await cli(['verify-audit', '--db', fx.file]);
    expect(edited.code).toBe(1);
    expect(edited.out).toContain('BROKEN: entry 1 (entry-hash-mismatch)');
    fx.close();

    fx = auditFixture();
    recordWholeFlow(fx.trail);
    fx.db.prepare('DELETE FROM audit_log WHERE seq = 6').run();
    const deleted = await cli(['verify-audit', '--db', fx.file, '--json']);
    expect(deleted.code).toBe(1);
    expect(JSON.parse(deleted.out)).toMatchObject({
      intact: false,
      brokenAt: 6,
      problem: 'missing-entry',
      entries: 10,
    });
    fx.close();

    fx = auditFixture();
    recordWholeFlow(fx.trail);
    fx.db.prepare('UPDATE audit_log SET seq = -1 WHERE seq = 8').run();
    fx.db.prepare('UPDATE audit_log SET seq = 8 WHERE seq = 9').run();
    fx.db.prepare('UPDATE audit_log SET seq = 9 WHERE seq = -1').run();
    const reordered = await cli(['verify-audit', '--db', fx.file]);
    expect(reordered).toMatchObject({ code: 1 });
    expect(reordered.out).toContain('BROKEN: entry 8');
  });

  it('exits 2 on a missing file or a database without an audit trail, and does not create files', async () => {
    fx = auditFixture();
    const missing = await cli(['verify-audit', '--db', `${fx.dir}/nope.sqlite`]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('file not found');
    expect(await cli(['verify-audit', '--bogus'])).toMatchObject({ code: 2 });
    fx.db.close();
    const empty = await cli(['verify-audit', '--db', fx.file]);
    expect(empty).toEqual({ code: 0, out: 'OK: 0 entries, chain intact', err: '' });
  });

  it('with the workstation key, keeps the break-the-glass free text only sealed (code and reference in clear); verify-audit passes; main opens it', async () => {
    fx = auditFixture();
    const key = randomBytes(32);
    const trail = new AuditTrail({ db: fx.db, workstationId: 'ws-er-01', workstationKey: key });
    const text = 'Collapsed at the Omonia tram stop 4471';
    const entry = trail.emergencyAccessStarted({
      clinician,
      patientRef: '0123456789abcdef0123456789abcdef',
      reasonCode: 'unconscious',
      reasonText: text,
      until: new Date('2026-03-01T11:00:00Z'),
    });
    expect(AuditEvent.safeParse(entry.event).success).toBe(true);
    const stored = JSON.stringify(fx.db.prepare('SELECT * FROM audit_log').all());
    expect(stored.includes(text)).toBe(false);
    expect(stored).toContain('reason-code');
    expect(stored).toContain('unconscious');
    expect(trail.emergencyReasonText(trail.entries()[0]!)).toBe(text);
    // Another key (or a moved entry) does not open it.
    expect(
      new AuditTrail({ db: fx.db, workstationId: 'ws-er-01', workstationKey: randomBytes(32) }).emergencyReasonText(
        trail.entries()[0]!,
      ),
    ).toBeNull();
    fx.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(fx.file).toString('latin1').includes(text)).toBe(false);
    fx.db.close();
    expect(await cli(['verify-audit', '--db', fx.file])).toEqual({
      code: 0,
      out: 'OK: 1 entries, chain intact',
      err: '',
    });
  });
});
