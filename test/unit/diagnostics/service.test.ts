import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../main/config/index';
import { DiagnosticsService } from '../../../main/diagnostics/index';
import { createTrainingPki, makeTempDir } from '../../support/test-ca/index';
import { DEFAULTS_FILE } from '../config/helpers';

describe('DiagnosticsService', () => {
  it('reads and parses the trust files asynchronously (present, missing, junk), sizes the database, reports the audit chain', async () => {
    const dir = makeTempDir('hcp-diag-');
    const pki = createTrainingPki(dir);
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
    // The loader refuses a configuration naming a missing file: the status must still say so, so it is set here.
    const loaded = loadConfig({ defaultsFile: DEFAULTS_FILE });
    Object.assign(loaded.config.pki, {
      trustAnchors: [pki.files.root, join(dir, 'missing.pem')],
      intermediates: [junk],
      crlFiles: [pki.files.crl],
    });
    const db = join(dir, 'workstation.sqlite');
    writeFileSync(db, Buffer.alloc(4096));
    writeFileSync(`${db}-wal`, Buffer.alloc(100));
    const now = new Date('2026-03-01T10:00:00Z');
    const service = new DiagnosticsService({
      loaded,
      databaseFile: db,
      now: () => now,
      auditChain: {
        chainId: 'c1',
        reset: 'unknown',
        verification: { intact: true, entries: 3 },
        verifiedAt: now.toISOString(),
      },
      auditPublicKey: 'pk',
      auditShipper: { lastHead: () => ({ seq: 3, madeAt: now.toISOString(), shippedAt: null, key: 'k' }) },
      storage: { quarantinedTo: null, outbox: { recovered: 0, unrecoverable: 0 } },
    } as ConstructorParameters<typeof DiagnosticsService>[0]);
    const status = await service.status();
    expect(status.checkedAt).toBe(now.toISOString());
    expect(status.trust.map((t) => [t.kind, t.present, t.error, !!t.name])).toEqual([
      ['anchor', true, null, true],
      ['anchor', false, null, false],
      ['intermediate', true, expect.stringMatching(/^PKI_/), false],
      ['crl', true, null, true],
    ]);
    expect(status.cache.databaseBytes).toBe(4196);
    expect(status.audit).toMatchObject({
      chainId: 'c1',
      verification: 'intact',
      entries: 3,
      reset: { previousChainId: null, previousSeq: null },
      lastHeadSeq: 3,
    });
  });
});
