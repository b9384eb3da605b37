/**
 * Which S3 server the sandbox runs (scripts/sandbox/s3-server.ts): Ceph RGW when installed (or
 * installable: root with apt-get), else a `minio` binary on PATH, else one line saying what to
 * install. The MinIO server itself cannot run here (not installable); the choice is what is tested,
 * plus the one-line message npm start prints.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CEPH_BINARIES, CEPH_INSTALL_COMMAND } from '../../../scripts/sandbox/ceph-install';
import { chooseS3Server, chooseS3ServerHere, NO_S3_SERVER_MESSAGE } from '../../../scripts/sandbox/s3-server';

const REPO = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const none: string[] = [];
const allMissing = [...CEPH_BINARIES];

describe('chooseS3Server', () => {
  it('Ceph installed: RGW, whatever else is there', () => {
    for (const minio of [null, '/usr/local/bin/minio']) {
      expect(chooseS3Server({ cephMissing: none, isRoot: false, hasAptGet: false, minio })).toEqual({
        kind: 'ceph-rgw',
        install: false,
      });
    }
  });

  it('Ceph missing, minio on PATH: MinIO (no system change, even as root)', () => {
    for (const isRoot of [false, true]) {
      expect(chooseS3Server({ cephMissing: allMissing, isRoot, hasAptGet: true, minio: '/opt/minio/minio' })).toEqual({
        kind: 'minio',
        binary: '/opt/minio/minio',
      });
    }
  });

  it('Ceph missing, no minio, root with apt-get: install Ceph (the CI machine)', () => {
    expect(chooseS3Server({ cephMissing: ['radosgw'], isRoot: true, hasAptGet: true, minio: null })).toEqual({
      kind: 'ceph-rgw',
      install: true,
    });
  });

  it('Ceph missing, no minio, not root (or no apt-get): one line naming both ways out', () => {
    for (const [isRoot, hasAptGet] of [
      [false, true],
      [true, false],
      [false, false],
    ] as const) {
      const choice = chooseS3Server({ cephMissing: allMissing, isRoot, hasAptGet, minio: null });
      expect(choice).toEqual({ kind: 'none', message: NO_S3_SERVER_MESSAGE });
    }
    expect(NO_S3_SERVER_MESSAGE).not.toContain('\n');
    expect(NO_S3_SERVER_MESSAGE).toContain(CEPH_INSTALL_COMMAND);
    expect(NO_S3_SERVER_MESSAGE).toContain('"minio" on PATH');
  });

  it('HCP_SANDBOX_S3 forces a choice, and says why it cannot be honoured', () => {
    expect(
      chooseS3Server({ cephMissing: none, isRoot: false, hasAptGet: false, minio: '/m/minio', prefer: 'minio' }),
    ).toEqual({ kind: 'minio', binary: '/m/minio' });
    expect(
      chooseS3Server({ cephMissing: none, isRoot: false, hasAptGet: false, minio: null, prefer: 'minio' }),
    ).toMatchObject({ kind: 'none', message: expect.stringMatching(/no "minio" server binary on PATH/) });
    expect(
      chooseS3Server({ cephMissing: allMissing, isRoot: false, hasAptGet: true, minio: '/m/minio', prefer: 'ceph' }),
    ).toMatchObject({ kind: 'none', message: expect.stringContaining(CEPH_INSTALL_COMMAND) });
    expect(chooseS3Server({ cephMissing: none, isRoot: false, hasAptGet: false, minio: null, prefer: 'ceph' })).toEqual(
      { kind: 'ceph-rgw', install: false },
    );
    expect(
      chooseS3Server({ cephMissing: none, isRoot: false, hasAptGet: false, minio: null, prefer: 'garage' }),
    ).toMatchObject({ kind: 'none', message: expect.stringMatching(/must be "ceph" or "minio"/) });
  });

  it('on this machine, an executable named minio on PATH is found (and HCP_SANDBOX_S3=minio picks it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-minio-path-'));
    const bin = join(dir, 'minio');
    writeFileSync(bin, '#!/bin/sh\nexit 1\n');
    chmodSync(bin, 0o755);
    const path = process.env.PATH;
    try {
      process.env.PATH = `${dir}:${path ?? ''}`;
      expect(chooseS3ServerHere({ HCP_SANDBOX_S3: 'minio' })).toEqual({ kind: 'minio', binary: bin });
    } finally {
      process.env.PATH = path;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** npm start -- --smoke with this PATH and these variables: exit status and stderr. */
function startWith(env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const training = mkdtempSync(join(tmpdir(), 'hcp-trn-'));
  try {
    const run = spawnSync(
      process.execPath,
      [join(REPO, 'node_modules/tsx/dist/cli.mjs'), 'scripts/start.ts', '--smoke'],
      {
        cwd: REPO,
        env: { HOME: process.env.HOME, HCP_TRAINING_DIR: training, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    return { status: run.status, stderr: run.stderr };
  } finally {
    rmSync(training, { recursive: true, force: true });
  }
}

describe('npm start says in one line what is missing', () => {
  it('no S3 server usable (HCP_SANDBOX_S3=minio, no minio anywhere): one line, exit 1, nothing started', () => {
    const run = startWith({ PATH: process.env.PATH, HCP_SANDBOX_S3: 'minio' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe('smoke failed: HCP_SANDBOX_S3=minio, but there is no "minio" server binary on PATH');
  });

  it.skipIf(process.getuid?.() === 0 || chooseS3ServerHere({}).kind !== 'none')(
    'neither Ceph nor minio, not root: the install line',
    () => {
      const run = startWith({ PATH: process.env.PATH });
      expect(run.status).toBe(1);
      expect(run.stderr.trim()).toBe(`smoke failed: ${NO_S3_SERVER_MESSAGE}`);
    },
  );
});
