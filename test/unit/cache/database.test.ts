import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/cache/database';
import { MIGRATIONS } from '../../../main/cache/migrations/index';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hcp-db-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('workstation database (real SQLite file)', () => {
  it('opens in WAL mode and applies every migration exactly once', () => {
    const file = join(tmp(), 'ws.sqlite');
    const first = openDatabase(file);
    expect(first.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const ids = first.db.prepare('SELECT id FROM schema_migrations ORDER BY id').pluck().all();
    expect(ids).toEqual(MIGRATIONS.map((m) => m.id).sort((a, b) => a - b));
    first.db.close();
    const again = openDatabase(file);
    expect(again.db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
    again.db.close();
  });

  it('rolls back a failing migration and leaves the database usable', () => {
    const file = join(tmp(), 'ws.sqlite');
    expect(() =>
      openDatabase(file, [
        ...MIGRATIONS,
        { id: 999, name: 'broken', up: 'CREATE TABLE x (a); SELECT * FROM missing_table;' },
      ]),
    ).toThrow();
    const { db } = openDatabase(file);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'x'").pluck().get()).toBe(0);
    db.close();
  });

  it('quarantines a corrupt file and starts fresh instead of crashing', () => {
    const dir = tmp();
    const file = join(dir, 'ws.sqlite');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const { db, quarantinedTo } = openDatabase(file, MIGRATIONS, () => new Date('2026-01-02T03:04:05Z'));
    expect(quarantinedTo).toBe(`${file}.corrupt-2026-01-02T03-04-05-000Z`);
    expect(readdirSync(dir)).toContain('ws.sqlite.corrupt-2026-01-02T03-04-05-000Z');
    expect(db.prepare("SELECT count(*) FROM meta WHERE key <> 'audit.chain_id'").pluck().get()).toBe(0);
    db.close();
  });
});
