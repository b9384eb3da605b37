/**
 * The training environment of `npm start`, on its own sandbox (separate from the global setup's):
 * a configuration that the real loader accepts and the real workstation works with — the demo
 * clinician signs in, the revoked one is refused, a seeded patient's QR opens their record.
 * It seeds the generated training patients by default (nothing from ../shared).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWorkstationError } from '../../../common/errors';
import { loadConfig } from '../../../main/config/index';
import { silentLogger } from '../../../main/log';
import { createWorkstation } from '../../../main/workstation';
import { sandboxOwnerAlive } from '../../../scripts/sandbox/index';
import { startTrainingEnvironment, type TrainingEnvironment } from '../../../scripts/training/index';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

let dir: string;
let env: TrainingEnvironment;

beforeAll(async () => {
  // Short path: Ceph's admin sockets live inside and Unix socket paths are limited to 108 bytes.
  dir = mkdtempSync(join(tmpdir(), 'hcp-trn-'));
  env = await startTrainingEnvironment({ dir, attachmentsMb: [] });
});

afterAll(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const load = () =>
  loadConfig({
    defaultsFile: join(REPO, 'resources/config/defaults.json'),
    machineFile: env.configFile,
    machineFileRequired: true,
  });

describe('startTrainingEnvironment', () => {
  it('starts its own sandbox, makes the training PKI and seeds the generated training patients', () => {
    expect(env.startedSandbox).toBe(true);
    expect(env.seededNow).toBe(true);
    expect(env.sandbox.dir).toBe(join(dir, 'sandbox'));
    expect(env.patients.map((p) => [p.name, p.displayName])).toEqual([
      ['dnr-john-miller', 'John Miller'],
      ['allergy-eleni-georgiou', 'Ελένη Γεωργίου'],
      ['pregnant-maria-papadopoulou', 'Μαρία Παπαδοπούλου'],
      ['noinfo-klaus-becker', 'Klaus Becker'],
      ['noneknown-andreas-nikolaou', 'Andreas Nikolaou'],
    ]);
    for (const p of env.patients) expect(p.sample).toBe(`generated:${p.name}`);
    // What the screenshot tooling selects by.
    for (const f of ['dnr', 'high-criticality-allergy', 'pregnancy'] as const)
      expect(
        env.patients.filter((p) => p.features.includes(f)),
        f,
      ).toHaveLength(1);
    for (const f of [
      env.pki.root,
      env.pki.crl,
      env.pki.clinician,
      env.pki.revokedClinician,
      ...env.patients.map((p) => p.qrPng),
    ])
      expect(existsSync(f)).toBe(true);
  });

  it('writes a training-mode configuration that loads cleanly and points at the sandbox', () => {
    const loaded = load();
    expect(loaded.problems).toEqual([]);
    const c = loaded.config;
    expect(c.mode).toBe('training');
    expect(c.hri.url).toBe(env.sandbox.hri.url);
    expect(c.cloud.defaultEndpoint).toBe(env.sandbox.s3.endpoint);
    expect(c.cloud.credentials).toEqual({
      kind: 'sts-assume-role',
      stsEndpoint: env.sandbox.workstation.stsEndpoint,
      accessKey: env.sandbox.workstation.accessKey,
      secretKey: env.sandbox.workstation.secretKey,
      roleArn: env.sandbox.workstation.roleArn,
      durationSeconds: 900,
    });
    expect(c.pki).toMatchObject({ trustAnchors: [env.pki.root], crlFiles: [env.pki.crl], revocation: 'hard-fail' });
  });

  it('the workstation on that configuration: the demo clinician signs in, the revoked one is refused, a seeded QR opens', async () => {
    const dataDir = join(dir, 'workstation');
    mkdirSync(dataDir, { recursive: true });
    const ws = createWorkstation({ loaded: load(), dataDir, version: 'test', background: false, logger: silentLogger });
    try {
      const refused = await ws.session.signIn(readFileSync(env.pki.revokedClinician), env.pki.passphrase).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isWorkstationError(refused) && refused.code).toBe('PKI_REVOKED');

      const status = await ws.session.signIn(readFileSync(env.pki.clinician), env.pki.passphrase);
      expect(status.clinician?.name).toBe('Dr Eleni Training');

      const patient = env.patients[0]!;
      const preview = ws.emergency.scan(readFileSync(patient.qrTxt, 'utf8').trim(), 'manual');
      const record = await ws.emergency.open(preview.scanId, { code: 'emergency-treatment', text: 'training test' });
      expect(record.view.patient.names[0]).toBe('John Miller');
      const directives = record.view.sections.find((s) => s.kind === 'advanceDirectives');
      expect(directives?.entries.map((e) => e.type === 'directive' && e.directive)).toEqual(['Not for resuscitation']);
      expect(record.integrity).toMatchObject({ verified: true, manifestSigned: true });
      expect(record.attachments.map((a) => a.contentType).sort()).toEqual(['application/pdf', 'image/png']);
    } finally {
      await ws.close();
    }
  });

  it("writes the trainer's sheet: credential files, passphrase, QR images", () => {
    const sheet = readFileSync(env.sheetFile, 'utf8');
    expect(sheet).toContain(env.pki.clinician);
    expect(sheet).toContain(env.pki.revokedClinician);
    expect(sheet).toContain(`\`${env.pki.passphrase}\``);
    for (const p of env.patients) {
      expect(sheet).toContain(p.qrPng);
      expect(sheet).toContain(`| ${p.name} | ${p.displayName} | ${p.scenario} |`);
    }
    expect(sheet).not.toContain('shared/testdata');
  });

  it('a second start on the same directory reuses the running sandbox and its patients, and leaves it running', async () => {
    const again = await startTrainingEnvironment({ dir, attachmentsMb: [] });
    expect(again.startedSandbox).toBe(false);
    expect(again.seededNow).toBe(false);
    expect(again.sandbox.startedAt).toBe(env.sandbox.startedAt);
    expect(again.patients.map((p) => p.citizenId)).toEqual(env.patients.map((p) => p.citizenId));
    await again.stop();
    expect(sandboxOwnerAlive(env.sandbox)).toBe(true);
  });
});
