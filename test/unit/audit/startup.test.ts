import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chainIdOf, chainResets } from '../../../main/audit/index';
import { loadConfig } from '../../../main/config/index';
import { silentLogger } from '../../../main/log';
import { createWorkstation, type Workstation } from '../../../main/workstation';
import { DEFAULTS_FILE } from '../config/helpers';
import { clinician } from './helpers';

/** The app's audit chain at start, through the composition root on a real data directory. */
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE });
const open = (dataDir: string) =>
  createWorkstation({ loaded, dataDir, version: 't', background: false, logger: silentLogger });

async function verified(ws: Workstation) {
  while (ws.auditChain.verification === null) await new Promise((r) => setImmediate(r));
  return ws.auditChain.verification;
}

describe('audit chain at start', () => {
  it('is verified at every start (intact, then broken after an edit) and the result is kept for Diagnostics', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hcp-audit-start-'));
    dirs.push(dataDir);
    const ws = open(dataDir);
    expect(ws.auditChain.chainId).toBe(chainIdOf(ws.db));
    expect(ws.auditPublicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await verified(ws)).toMatchObject({ intact: true, entries: 0 });
    for (let i = 0; i < 5; i++) ws.audit.qrScanned({ clinician, source: 'manual' });
    const key = ws.auditPublicKey;
    await ws.close();

    const again = open(dataDir);
    expect(again.auditPublicKey).toBe(key); // the same workstation key, the same audit key
    expect(again.auditChain.reset).toBeNull();
    expect(await verified(again)).toMatchObject({ intact: true, entries: 5 });
    again.db.prepare("UPDATE audit_log SET entry = replace(entry, 'manual', 'wedge') WHERE seq = 3").run();
    await again.close();

    const third = open(dataDir);
    expect(await verified(third)).toMatchObject({ intact: false, brokenAt: 3, error: { code: 'AUDIT_CHAIN_BROKEN' } });
    expect(third.auditChain.verifiedAt).not.toBeNull();
    await third.close();
  });

  it('a quarantined database starts a new chain whose first entry records the reset', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hcp-audit-start-'));
    dirs.push(dataDir);
    const ws = open(dataDir);
    const oldChain = ws.auditChain.chainId;
    await ws.close();
    writeFileSync(join(dataDir, 'workstation.sqlite'), Buffer.alloc(4096, 0x11));
    const fresh = open(dataDir);
    expect(fresh.storage.quarantinedTo).not.toBeNull();
    expect(fresh.auditChain.chainId).not.toBe(oldChain);
    // Nothing was ever signed or readable of the old chain here: the reset says so.
    expect(fresh.auditChain.reset).toBe('unknown');
    const [first] = fresh.audit.entries(1, 1);
    expect(first?.event.subtype?.[0]?.code).toBe('audit-chain-reset');
    expect(first?.event.entity?.[0]?.detail).toContainEqual({
      type: 'reset-reason',
      valueString: 'database-quarantined',
    });
    expect(chainResets(fresh.db)).toEqual([]);
    expect(await verified(fresh)).toMatchObject({ intact: true, entries: 1 });
    await fresh.close();
  });
});

describe('a long chain', () => {
  it('is verified in slices, and closing the workstation meanwhile is not reported as a broken chain', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hcp-audit-start-'));
    dirs.push(dataDir);
    const ws = open(dataDir);
    ws.db.transaction(() => {
      for (let i = 0; i < 4_500; i++) ws.audit.qrScanned({ clinician, source: 'manual' });
    })();
    await ws.close();
    const again = open(dataDir);
    expect(again.auditChain.verification).toBeNull(); // more than one slice: not done synchronously
    expect(await verified(again)).toMatchObject({ intact: true, entries: 4_500 });
    await again.close();
    const third = open(dataDir);
    await third.close(); // closed mid-check
    await new Promise((r) => setImmediate(r));
    expect(third.auditChain.verification === null || third.auditChain.verification.intact).toBe(true);
  });
});
