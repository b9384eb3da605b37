import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxEntryInput } from '../../../main/additions/outbox';
import { openDatabase, type Db } from '../../../main/cache/database';

/** Issue 12 §6: the pending object key (it names the citizen) is sealed at rest in the outbox row and its spool file. */
const CITIZEN = 'GR-CITIZEN-778899';
const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-outbox-key-'));
  dirs.push(dir);
  const { db } = openDatabase(join(dir, 'workstation.sqlite'));
  dbs.push(db);
  return { dir, db, spoolDir: join(dir, 'outbox') };
}

function entry(n: number): OutboxEntryInput {
  const additionId = n.toString(16).padStart(64, '0');
  return {
    additionId,
    patientRef: '0123456789abcdef0123456789abcdef',
    target: { endpoint: 'http://s3.test', region: 'us-east-1', bucket: 'pending' },
    objectKey: `${CITIZEN}/ws-er-01/${additionId}.hcpc`,
    body: randomBytes(64),
    kinds: { note: 1 },
    clinician: { name: 'Dr A', registration: 'GR-1', certFingerprint: 'ab'.repeat(32) },
  };
}

const clearIn = (db: Db, spoolDir: string) =>
  JSON.stringify(db.prepare('SELECT * FROM outbox').all()).includes(CITIZEN) ||
  readdirSync(spoolDir).some(
    (n) => n.endsWith('.hcpo') && readFileSync(join(spoolDir, n)).toString('latin1').includes(CITIZEN),
  );

describe('outbox object key at rest', () => {
  it('is sealed in the row and the spool file, and given in clear to the sender', () => {
    const { db, spoolDir } = setup();
    const key = randomBytes(32);
    const outbox = new Outbox(db, { spoolDir, workstationKey: key });
    outbox.enqueue(entry(1));
    expect(clearIn(db, spoolDir)).toBe(false);
    expect(outbox.due().map((d) => d.objectKey)).toEqual([entry(1).objectKey]);
  });

  it('seals rows and spool files written in clear before, and recovers a lost database from sealed spool files', () => {
    const { dir, db, spoolDir } = setup();
    new Outbox(db, { spoolDir }).enqueue(entry(2)); // no key: the old layout, in clear
    expect(clearIn(db, spoolDir)).toBe(true);
    const key = randomBytes(32);
    const outbox = new Outbox(db, { spoolDir, workstationKey: key });
    outbox.recoverFromSpool();
    expect(clearIn(db, spoolDir)).toBe(false);
    expect(outbox.due().map((d) => d.objectKey)).toEqual([entry(2).objectKey]);

    // The database lost: rebuilt from the (now sealed) spool file.
    const fresh = openDatabase(join(dir, 'other.sqlite')).db;
    dbs.push(fresh);
    const rebuilt = new Outbox(fresh, { spoolDir, workstationKey: key });
    expect(rebuilt.recoverFromSpool().recovered).toBe(1);
    expect(rebuilt.due().map((d) => d.objectKey)).toEqual([entry(2).objectKey]);
  });

  it('sets aside a spool file sealed under another workstation key instead of queueing what cannot be sent', () => {
    const { dir, db, spoolDir } = setup();
    new Outbox(db, { spoolDir, workstationKey: randomBytes(32) }).enqueue(entry(3));
    const fresh = openDatabase(join(dir, 'other.sqlite')).db;
    dbs.push(fresh);
    const other = new Outbox(fresh, { spoolDir, workstationKey: randomBytes(32) });
    expect(other.recoverFromSpool()).toMatchObject({ recovered: 0, unrecoverable: 1 });
    expect(other.due()).toEqual([]);
  });

  it('a row whose sealed key does not open is not handed to the sender: failed with CACHE_CORRUPT', () => {
    const { db, spoolDir } = setup();
    new Outbox(db, { spoolDir, workstationKey: randomBytes(32) }).enqueue(entry(4));
    const other = new Outbox(db, { workstationKey: randomBytes(32) });
    expect(other.due()).toEqual([]);
    expect(other.list()[0]).toMatchObject({
      status: 'failed-retrying',
      lastError: 'CACHE_CORRUPT',
      nextAttemptAt: null,
    });
  });
});
