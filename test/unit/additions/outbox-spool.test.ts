import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxEntryInput } from '../../../main/additions/outbox';
import { decodeSpoolFile, encodeSpoolFile } from '../../../main/additions/outbox-spool';
import { openStorageWithOutbox } from '../../../main/additions/recovery';
import { openDatabase } from '../../../main/cache/database';

/** The outbox spool on real SQLite files and real files: what survives, what is counted. */
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): { file: string; spoolDir: string } {
  const d = mkdtempSync(join(tmpdir(), 'hcp-spool-'));
  dirs.push(d);
  return { file: join(d, 'workstation.sqlite'), spoolDir: join(d, 'outbox') };
}

const entry = (n: number): OutboxEntryInput => ({
  additionId: n.toString(16).padStart(64, '0'),
  patientRef: 'pref',
  target: { endpoint: 'http://s3.test', region: 'r', bucket: 'pending' },
  objectKey: `CIT/${n.toString(16).padStart(64, '0')}.hcpc`,
  body: Buffer.from(`container ${n} `.repeat(100)),
  kinds: { note: 1 },
  clinician: { name: 'Dr A', registration: 'R', certFingerprint: 'ff' },
});

describe('outbox spool', () => {
  it('every committed addition has a 0600 spool file until it is sent', () => {
    const { file, spoolDir } = tmp();
    const { db, outbox } = openStorageWithOutbox({ file, spoolDir });
    const a = outbox.enqueue(entry(1));
    outbox.enqueue(entry(2));
    expect(readdirSync(spoolDir).sort()).toEqual([`${entry(1).additionId}.hcpo`, `${entry(2).additionId}.hcpo`]);
    const spoolFile = join(spoolDir, `${entry(1).additionId}.hcpo`);
    if (process.platform !== 'win32') expect(statSync(spoolFile).mode & 0o777).toBe(0o600);
    expect(decodeSpoolFile(readFileSync(spoolFile))?.body).toEqual(entry(1).body);
    outbox.markSending(a.id);
    outbox.markSent(a.id);
    expect(existsSync(spoolFile)).toBe(false);
    expect(readdirSync(spoolDir)).toEqual([`${entry(2).additionId}.hcpo`]);
    db.close();
  });

  it('a database that lost its rows gets them back; already sent ones are not sent again', () => {
    const { file, spoolDir } = tmp();
    const first = openStorageWithOutbox({ file, spoolDir });
    for (const n of [1, 2, 3]) first.outbox.enqueue(entry(n));
    first.db.close();
    rmSync(file); // the database is gone (reinstall, reset)
    const second = openStorageWithOutbox({ file, spoolDir });
    expect(second.report.outbox).toEqual({ recovered: 3, unrecoverable: 0, waiting: 3 });
    const due = second.outbox.due(10);
    expect(due.map((d) => d.additionId).sort()).toEqual([1, 2, 3].map((n) => entry(n).additionId));
    expect(due.find((d) => d.additionId === entry(2).additionId)!.body).toEqual(entry(2).body);
    // Recovery again changes nothing.
    expect(second.outbox.recoverFromSpool()).toEqual({ recovered: 0, unrecoverable: 0, waiting: 3 });
    second.db.close();
  });

  it('a row whose body was damaged in place is repaired from its spool file', () => {
    const { file, spoolDir } = tmp();
    const first = openStorageWithOutbox({ file, spoolDir });
    first.outbox.enqueue(entry(7));
    first.db.prepare('UPDATE outbox SET body = ?').run(Buffer.from('garbage'));
    first.db.close();
    const second = openStorageWithOutbox({ file, spoolDir });
    expect(second.report).toMatchObject({
      quarantinedTo: null,
      outbox: { recovered: 1, unrecoverable: 0, waiting: 1 },
    });
    expect(second.outbox.due(1)[0]!.body).toEqual(entry(7).body);
    second.db.close();
  });

  it('a damaged spool file is counted as unrecoverable and set aside, never used', () => {
    const { file, spoolDir } = tmp();
    const first = openStorageWithOutbox({ file, spoolDir });
    first.outbox.enqueue(entry(1));
    first.outbox.enqueue(entry(2));
    first.db.close();
    rmSync(file);
    const damaged = join(spoolDir, `${entry(2).additionId}.hcpo`);
    const bytes = readFileSync(damaged);
    bytes[bytes.length >> 1]! ^= 0x40;
    writeFileSync(damaged, bytes);
    const second = openStorageWithOutbox({ file, spoolDir });
    expect(second.report.outbox).toEqual({ recovered: 1, unrecoverable: 1, waiting: 1 });
    expect(readdirSync(join(spoolDir, 'unreadable'))).toEqual([`${entry(2).additionId}.hcpo`]);
    second.db.close();
  });

  it('unsent rows from before spooling get a spool file; a half-written temporary file is dropped', () => {
    const { file, spoolDir } = tmp();
    const { db } = openDatabase(file);
    new Outbox(db).enqueue(entry(4)); // no spool directory: the old behaviour
    db.close();
    const opened = openStorageWithOutbox({ file, spoolDir });
    writeFileSync(join(spoolDir, `${entry(5).additionId}.hcpo.tmp`), 'half');
    expect(opened.outbox.recoverFromSpool()).toEqual({ recovered: 0, unrecoverable: 0, waiting: 1 });
    expect(readdirSync(spoolDir)).toEqual([`${entry(4).additionId}.hcpo`]);
    opened.db.close();
  });

  it('the file format rejects truncation, a changed body and a renamed file', () => {
    const spooled = { ...entry(9), bodySha256: createHash('sha256').update(entry(9).body).digest('hex'), createdAt: 1 };
    const bytes = encodeSpoolFile(spooled);
    expect(decodeSpoolFile(bytes)?.additionId).toBe(entry(9).additionId);
    expect(decodeSpoolFile(bytes.subarray(0, bytes.length - 1))).toBeNull();
    expect(decodeSpoolFile(Buffer.alloc(10))).toBeNull();
  });
});

describe('the clinician and IT are told', () => {
  it('a workstation started on a damaged database reports what the outbox recovered, in the outbox list and in its storage report', async () => {
    const { loadConfig } = await import('../../../main/config/index');
    const { createWorkstation } = await import('../../../main/workstation');
    const { silentLogger } = await import('../../../main/log');
    const { DEFAULTS_FILE } = await import('../config/helpers');
    const { file, spoolDir } = tmp();
    const first = openStorageWithOutbox({ file, spoolDir });
    first.outbox.enqueue(entry(1));
    first.outbox.enqueue(entry(2));
    first.db.close();
    writeFileSync(file, Buffer.alloc(4096, 0));
    const ws = createWorkstation({
      loaded: loadConfig({ defaultsFile: DEFAULTS_FILE }),
      dataDir: join(file, '..'),
      version: 't',
      background: false,
      logger: silentLogger,
    });
    expect(ws.storage).toMatchObject({
      quarantinedTo: expect.stringContaining('workstation.sqlite.corrupt-'),
      outbox: { recovered: 2, unrecoverable: 0, waiting: 2 },
    });
    expect(ws.additions.list()).toMatchObject({ counts: { queued: 2 }, recovery: { recovered: 2, unrecoverable: 0 } });
    await ws.close();
  });
});
