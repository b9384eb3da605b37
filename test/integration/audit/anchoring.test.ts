/**
 * Audit anchoring on the real RGW: what one workstation shipped can never be overwritten — not by
 * the same workstation after its database was reset, not by a second OS user (a second data
 * directory with the same workstation id) — and a shipped signed head, downloaded from the bucket,
 * reveals truncation and wipes of the local chain that the local check alone cannot see.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Minio from 'minio';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AuditShipper,
  AuditTrail,
  auditPrefix,
  auditSignerFromWorkstationKey,
  canonicalJson,
  chainIdOf,
  chainResets,
  checkAuditSignature,
  entryHash,
  verifyAgainstHead,
  verifyAuditChain,
  type AuditBatchObject,
  type AuditClinician,
  type AuditHeadObject,
} from '../../../main/audit/index';
import { startAuditChain } from '../../../main/audit/startup';
import { openStorageWithOutbox } from '../../../main/additions/recovery';
import { FileKeyStore } from '../../../main/cache/index';
import { runCli } from '../../../main/cli/index';
import { readAll, sandbox, workstationCredentials } from '../cloud/helpers';

const clinician: AuditClinician = { name: 'Dr Anchor', registration: 'GR-MED-7', certFingerprint: 'ef'.repeat(32) };
const root = mkdtempSync(join(tmpdir(), 'hcp-it-anchor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function roleClientFactory(): () => Promise<Minio.Client> {
  const credentials = workstationCredentials();
  return async () => {
    const c = await credentials.get();
    const url = new URL(sandbox().s3.endpoint);
    return new Minio.Client({
      endPoint: url.hostname,
      port: Number(url.port),
      useSSL: false,
      accessKey: c.accessKey,
      secretKey: c.secretKey,
      sessionToken: c.sessionToken,
      region: sandbox().s3.region,
    });
  };
}

function adminClient(): Minio.Client {
  const s = sandbox();
  const url = new URL(s.s3.endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port),
    useSSL: false,
    accessKey: s.s3.admin.accessKey,
    secretKey: s.s3.admin.secretKey,
    region: s.s3.region,
  });
}

async function bucketSnapshot(prefix: string): Promise<Map<string, Buffer>> {
  const admin = adminClient();
  const out = new Map<string, Buffer>();
  const keys: string[] = [];
  for await (const o of admin.listObjectsV2(sandbox().buckets.audit, prefix, true)) if (o.name) keys.push(o.name);
  for (const k of keys.sort()) out.set(k, await readAll(await admin.getObject(sandbox().buckets.audit, k)));
  return out;
}

/** A workstation's storage as the app opens it (data directory, key file, anchor file), with a real shipper. */
function station(dataDir: string, workstationId: string) {
  const { db, report } = openStorageWithOutbox({
    file: join(dataDir, 'workstation.sqlite'),
    spoolDir: join(dataDir, 'outbox'),
  });
  const trail = new AuditTrail({ db, workstationId });
  const anchorFile = join(dataDir, 'audit-anchor.json');
  const start = startAuditChain({ db, trail, anchorFile, quarantinedTo: report.quarantinedTo });
  const signer = auditSignerFromWorkstationKey(new FileKeyStore(join(dataDir, 'workstation.key')).loadOrCreateKey());
  const shipper = new AuditShipper({
    db,
    workstationId,
    bucket: sandbox().buckets.audit,
    client: roleClientFactory(),
    batchSize: 4,
    signer,
    anchorFile,
  });
  return { db, trail, shipper, signer, start };
}

function flow(trail: AuditTrail, n: number): void {
  for (let i = 0; i < n; i++) trail.qrScanned({ clinician, source: 'wedge' });
}

describe('audit anchoring on the real RGW', () => {
  it('RGW refuses to replace an audit object: a conditional put over an existing name answers 412', async () => {
    const client = await roleClientFactory()();
    const key = `audit/it-cond-${randomBytes(4).toString('hex')}/probe.json`;
    const meta = { 'Content-Type': 'application/json', 'x-amz-acl': 'bucket-owner-full-control', 'If-None-Match': '*' };
    await client.putObject(sandbox().buckets.audit, key, Buffer.from('{"a":1}'), 7, meta);
    await expect(client.putObject(sandbox().buckets.audit, key, Buffer.from('{"a":2}'), 7, meta)).rejects.toMatchObject(
      { code: 'PreconditionFailed' },
    );
    expect((await readAll(await adminClient().getObject(sandbox().buckets.audit, key))).toString()).toBe('{"a":1}');
  });

  it('a database reset and a second OS user cannot collide with what was shipped; the reset is audited with the old head', async () => {
    const ws = `it-anchor-${randomBytes(4).toString('hex')}`;
    const dirA = mkdtempSync(join(root, 'user-a-'));
    const dirB = mkdtempSync(join(root, 'user-b-'));

    // 1. User A's workstation ships entries 1-6 and a signed head.
    const a1 = station(dirA, ws);
    flow(a1.trail, 6);
    expect(await a1.shipper.shipNow()).toMatchObject({ shipped: 6, error: null, head: { seq: 6 } });
    const oldChain = chainIdOf(a1.db);
    const before = await bucketSnapshot(`audit/${ws}/`);
    a1.db.close();

    // 2. A's database is damaged and replaced: a new chain whose first entry names the old head; its seqs restart at 1.
    writeFileSync(join(dirA, 'workstation.sqlite'), Buffer.alloc(8192, 0));
    const a2 = station(dirA, ws);
    const newChain = chainIdOf(a2.db);
    expect(newChain).not.toBe(oldChain);
    expect(a2.start.status.reset).toMatchObject({ chainId: oldChain, seq: 6, source: 'last-signed-head' });
    expect(chainResets(a2.db)).toEqual([
      { previousChainId: oldChain, previousSeq: 6, previousEntryHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    flow(a2.trail, 3);
    expect(await a2.shipper.shipNow()).toMatchObject({ shipped: 4, error: null, head: { seq: 4 } });

    // 3. User B: same workstation id, its own data directory.
    const b = station(dirB, ws);
    flow(b.trail, 6);
    expect(await b.shipper.shipNow()).toMatchObject({ shipped: 6, error: null });

    // Everything A shipped first is still there, byte for byte; each chain has its own names.
    const after = await bucketSnapshot(`audit/${ws}/`);
    for (const [k, v] of before) expect(after.get(k)?.equals(v), k).toBe(true);
    const prefixes = new Set([...after.keys()].map((k) => k.split('/').slice(0, 3).join('/') + '/'));
    expect(prefixes).toEqual(new Set([oldChain, newChain, chainIdOf(b.db)].map((c) => auditPrefix(ws, c))));
    // Every object is signed by its workstation's key, and every chain re-verifies from the objects alone.
    for (const [key, bytes] of after) {
      const o = JSON.parse(bytes.toString()) as AuditBatchObject | AuditHeadObject;
      expect(checkAuditSignature(o), key).toBe('valid');
    }
    for (const chain of [oldChain, newChain]) {
      let prev = '0'.repeat(64);
      for (const [key, bytes] of after) {
        if (!key.startsWith(auditPrefix(ws, chain)) || key.includes('/heads/')) continue;
        for (const e of (JSON.parse(bytes.toString()) as AuditBatchObject).entries) {
          expect(e.prevHash).toBe(prev);
          expect(entryHash(prev, canonicalJson(e.entry))).toBe(e.entryHash);
          prev = e.entryHash;
        }
      }
    }
    console.log(
      `reset + second OS user: ${before.size} objects of the first chain untouched, ${after.size} objects under ${prefixes.size} chains, 0 overwritten`,
    );

    // The old chain's shipped head is accounted for by the new chain's reset entry.
    const oldHead = JSON.parse(
      [...after].find(([k]) => k.startsWith(auditPrefix(ws, oldChain) + 'heads/'))![1].toString(),
    ) as AuditHeadObject;
    expect(
      verifyAgainstHead(a2.db, oldHead, { pinnedKey: a2.signer.publicKey, resets: chainResets(a2.db) }),
    ).toMatchObject({ ok: true, via: 'reset-entry' });
    // B's chain knows nothing of A's: replaced without a trace.
    expect(verifyAgainstHead(b.db, oldHead, { resets: chainResets(b.db) })).toMatchObject({
      ok: false,
      problem: 'chain-replaced',
    });
    for (const s of [a2, b]) s.db.close();
  });

  it('truncation and a wipe pass the local check but not the shipped head (verify-audit --head)', async () => {
    const ws = `it-anchor-${randomBytes(4).toString('hex')}`;
    const dir = mkdtempSync(join(root, 'trunc-'));
    const s = station(dir, ws);
    flow(s.trail, 10);
    expect(await s.shipper.shipNow()).toMatchObject({ shipped: 10, head: { seq: 10 } });
    const shipped = await bucketSnapshot(auditPrefix(ws, chainIdOf(s.db)) + 'heads/');
    expect(shipped.size).toBe(1);
    const headFile = join(dir, 'shipped-head.json');
    writeFileSync(headFile, [...shipped.values()][0]!);
    const file = join(dir, 'workstation.sqlite');
    const cli = async (argv: string[]) => {
      const out: string[] = [];
      const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
      return { code, out: out.join('\n') };
    };
    expect(await cli(['verify-audit', '--db', file, '--head', headFile, `--key=${s.signer.publicKey}`])).toMatchObject({
      code: 0,
    });

    // Truncation: the newest 3 entries deleted and audit_head pointed at the new last row.
    s.db.prepare('DELETE FROM audit_log WHERE seq > 7').run();
    const seven = s.db.prepare('SELECT entry_hash FROM audit_log WHERE seq = 7').pluck().get() as string;
    s.db.prepare('UPDATE audit_head SET seq = 7, entry_hash = ? WHERE id = 1').run(seven);
    expect(verifyAuditChain(s.db)).toMatchObject({ intact: true, entries: 7 }); // the local check cannot see it
    const truncated = await cli(['verify-audit', '--db', file, '--head', headFile]);
    expect(truncated.code).toBe(1);
    expect(truncated.out).toContain('truncated');

    // Wipe: every entry and the head deleted.
    s.db.prepare('DELETE FROM audit_log').run();
    s.db.prepare('DELETE FROM audit_head').run();
    expect(verifyAuditChain(s.db)).toMatchObject({ intact: true, entries: 0 });
    const wiped = await cli(['verify-audit', '--db', file, '--head', headFile, '--json']);
    expect(wiped.code).toBe(1);
    expect(JSON.parse(wiped.out)).toMatchObject({
      againstHead: { ok: false, problem: 'truncated', headSeq: 10, localSeq: 0 },
    });

    // A head that was tampered with, or signed by another key, is refused.
    const head = JSON.parse([...shipped.values()][0]!.toString()) as AuditHeadObject;
    writeFileSync(headFile, JSON.stringify({ ...head, seq: 3 }));
    expect((await cli(['verify-audit', '--db', file, '--head', headFile])).out).toContain('head-signature-invalid');
    writeFileSync(headFile, JSON.stringify(head));
    expect(
      (
        await cli([
          'verify-audit',
          '--db',
          file,
          '--head',
          headFile,
          `--key=${auditSignerFromWorkstationKey(randomBytes(32)).publicKey}`,
        ])
      ).out,
    ).toContain('head-key-not-pinned');
    s.db.close();
  });
});
