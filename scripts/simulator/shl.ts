/**
 * SMART Health Links for the training patients: the patient's app shares the same summary as an
 * HL7 SHL too, made through the sandbox SHL server's admin API. Kinds cycle over the patients so a
 * trainer can show each: a plain link (L), a passcode link (LP), and a SMART Health Card served
 * directly (U). Each link gets a QR image (byte mode, as SHL readers expect) and a text file.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import QRCode from 'qrcode';
import { createShlViaAdmin, type SandboxState } from '../sandbox/index';
import { generateTrainingPatients } from './generate';
import type { SeededPatient } from './seed';

export const SHL_INDEX_FILE = 'shl-index.json';
/** The passcode of the training P links (printed on the training sheet). */
export const TRAINING_SHL_PASSCODE = '4321';
const TRAINING_SHL_ATTEMPTS = 5;

export type TrainingShlKind = 'plain' | 'passcode' | 'card';
const KINDS: TrainingShlKind[] = ['plain', 'passcode', 'card'];

export interface TrainingShl {
  /** The seeded patient's name (same patient as the emergency QR). */
  patient: string;
  displayName: string | null;
  kind: TrainingShlKind;
  flag: string;
  passcode: string | null;
  label: string;
  /** The shlink:/ text (holds the link's key): training data only. */
  shlink: string;
  txtFile: string;
  pngFile: string;
}

export interface TrainingShlIndex {
  sandbox: { startedAt: string; shlUrl: string };
  links: TrainingShl[];
}

export interface TrainingShlOptions {
  sandbox: SandboxState;
  patients: SeededPatient[];
  /** Where <name>.shl.txt / .shl.png and shl-index.json go (the patients directory). */
  outDir: string;
  /** The seed the generated patients were made with (to rebuild their bundles). Default 1. */
  seed?: number;
}

/** One SHL per seeded patient, kinds cycling; none when the sandbox has no SHL server. */
export async function makeTrainingShls(options: TrainingShlOptions): Promise<TrainingShl[]> {
  const shl = options.sandbox.shl;
  if (!shl) return [];
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const generated = options.patients.some((p) => p.sample.startsWith('generated:'))
    ? generateTrainingPatients({ seed: options.seed ?? 1 })
    : [];
  const links: TrainingShl[] = [];
  for (const [i, p] of options.patients.entries()) {
    const bundle = p.sample.startsWith('generated:')
      ? generated.find((g) => `generated:${g.name}` === p.sample)?.bundle
      : (JSON.parse(readFileSync(p.sample, 'utf8')) as unknown);
    if (!bundle) continue;
    const kind = KINDS[i % KINDS.length]!;
    const label = `${p.displayName ?? p.name} — emergency summary`.slice(0, 80);
    const made = await createShlViaAdmin(shl, {
      bundle,
      label,
      ...(kind === 'plain'
        ? { flag: 'L' }
        : kind === 'passcode'
          ? { flag: 'LP', passcode: TRAINING_SHL_PASSCODE, maxAttempts: TRAINING_SHL_ATTEMPTS }
          : { flag: 'U', as: 'shc' as const }),
    });
    const txtFile = join(outDir, `${p.name}.shl.txt`);
    const pngFile = join(outDir, `${p.name}.shl.png`);
    writeFileSync(txtFile, `${made.shlink}\n`, { mode: 0o600 });
    writeFileSync(
      pngFile,
      await QRCode.toBuffer(made.shlink, { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 6 }),
      { mode: 0o600 },
    );
    links.push({
      patient: p.name,
      displayName: p.displayName,
      kind,
      flag: made.flag,
      passcode: made.passcode,
      label,
      shlink: made.shlink,
      txtFile,
      pngFile,
    });
  }
  const index: TrainingShlIndex = { sandbox: { startedAt: options.sandbox.startedAt, shlUrl: shl.url }, links };
  writeFileSync(join(outDir, SHL_INDEX_FILE), JSON.stringify(index, null, 2) + '\n', { mode: 0o600 });
  return links;
}

/** The links made earlier for this very sandbox (they live in its memory), or null. */
export function readTrainingShls(outDir: string, sandbox: SandboxState): TrainingShl[] | null {
  const file = join(resolve(outDir), SHL_INDEX_FILE);
  if (!existsSync(file)) return null;
  try {
    const index = JSON.parse(readFileSync(file, 'utf8')) as TrainingShlIndex;
    return index.sandbox.startedAt === sandbox.startedAt && index.sandbox.shlUrl === sandbox.shl?.url
      ? index.links
      : null;
  } catch {
    return null;
  }
}
