/** TRAINING.md: the trainer's sheet — how to sign in, which QR codes to scan, what to demonstrate. */
import { basename, join, relative } from 'node:path';
import type { SandboxState } from '../sandbox/index';
import { INDEX_FILE, type SeededPatient } from '../simulator/index';
import type { TrainingPkiFiles } from './index';

export interface SheetInput {
  dir: string;
  configFile: string;
  sandbox: SandboxState;
  pki: TrainingPkiFiles;
  patientsDir: string;
  patients: SeededPatient[];
}

export function trainingSheet({ dir, configFile, sandbox, pki, patientsDir, patients }: SheetInput): string {
  const rel = (p: string) => relative(dir, p) || '.';
  const lines = [
    '# HCP Workstation — training sheet',
    '',
    'TRAINING ONLY: synthetic patients in a throw-away sandbox. Everything here (QR codes, keys,',
    'credentials) is training data and must never be used for real patients.',
    '',
    '## Sign in',
    '',
    '| credential file | who | passphrase | expected |',
    '| --- | --- | --- | --- |',
    `| \`${pki.clinician}\` | Dr Eleni Training, physician | \`${pki.passphrase}\` | signed in |`,
    `| \`${pki.revokedClinician}\` | Nikos Revoked, nurse | \`${pki.passphrase}\` | refused: certificate revoked (revocation is hard-fail) |`,
    '',
    `Trust anchor: \`${rel(pki.root)}\`, CRLs: \`${rel(pki.crl)}\` (both under \`${pki.dir}\`).`,
    '',
    '## Patients',
    '',
    'Show the QR image to a scanner (or a phone camera pointed at the screen), or type/paste the',
    "payload text into the scan screen's manual entry.",
    '',
    '| name | patient | what it shows | QR image | payload text | objects |',
    '| --- | --- | --- | --- | --- | --- |',
    ...patients.map(
      (p) =>
        `| ${p.name} | ${p.displayName ?? '(no name in the document)'} | ${p.scenario ?? `sample ${basename(p.sample)}`} | \`${p.qrPng}\` | \`${p.qrTxt}\` | ${p.objects.map((o) => o.title).join('; ')} |`,
    ),
    '',
    '## Environment',
    '',
    `- Configuration (mode "training"): \`${configFile}\``,
    `- EHR cloud (Ceph RGW): ${sandbox.s3.endpoint}, buckets ${sandbox.buckets.ehr} / ${sandbox.buckets.pending} / ${sandbox.buckets.audit}`,
    `- HRI stand-in: ${sandbox.hri.url}`,
    `- Sandbox directory: \`${sandbox.dir}\` (records live in memory; a new start seeds fresh patients with new QR codes)`,
    `- Patients index (key material): \`${join(patientsDir, INDEX_FILE)}\``,
    '',
  ];
  return lines.join('\n');
}
