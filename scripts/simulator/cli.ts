/**
 * npm run simulator -- seed --state <sandbox state.json> --out DIR [--samples GLOB|DIR]... [--seed N] [--attachments 25,50] [--documents] [--sign]
 * npm run simulator -- generate --out DIR [--seed N]   (the training patients' IPS bundles as files)
 * npm run simulator -- review ...   (the patient's review of pending clinician additions: scripts/simulator/review.ts)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SandboxState } from '../sandbox/index';
import { generateTrainingPatients } from './generate';
import { seedPatients } from './seed';

const USAGE = [
  'usage: npm run simulator -- seed --state <sandbox state.json> --out DIR [--samples GLOB|DIR]... [--seed N] [--attachments 25,50] [--documents] [--sign]',
  '       npm run simulator -- generate --out DIR [--seed N]',
  '       npm run simulator -- review [options of the review tool]',
].join('\n');

function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--seed: expected a non-negative integer (got "${text}")`);
  return n;
}

function parseSizes(text: string | undefined): number[] {
  if (!text) return [];
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isFinite(n) || n <= 0))
    throw new Error(`--attachments: expected sizes in MB such as 25,50 (got "${text}")`);
  return sizes;
}

async function seed(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      state: { type: 'string' },
      out: { type: 'string' },
      samples: { type: 'string', multiple: true },
      seed: { type: 'string' },
      attachments: { type: 'string' },
      documents: { type: 'boolean', default: false },
      sign: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.state || !values.out) {
    console.error(USAGE);
    return 2;
  }
  const sandbox = JSON.parse(readFileSync(resolve(values.state), 'utf8')) as SandboxState;
  const result = await seedPatients({
    sandbox,
    outDir: values.out,
    samples: values.samples,
    seed: parseSeed(values.seed),
    attachmentsMb: parseSizes(values.attachments),
    documents: values.documents,
    signManifest: values.sign,
    log: values.json ? undefined : (line) => console.log(line),
  });
  if (values.json) {
    console.log(
      JSON.stringify(
        { indexFile: result.indexFile, patients: result.patients.length, failures: result.failures },
        null,
        2,
      ),
    );
  } else {
    console.log(
      `\n${result.patients.length} patient(s) seeded, ${result.failures.length} sample(s) skipped. Index (holds key material, training data only): ${result.indexFile}`,
    );
    for (const f of result.failures) console.log(`  skipped ${f.sample}: ${f.error}`);
  }
  return 0;
}

/** Writes the generated training patients' bundles (DIR/<name>.json) without seeding anything. */
function generate(args: string[]): number {
  const { values } = parseArgs({ args, options: { out: { type: 'string' }, seed: { type: 'string' } } });
  if (!values.out) {
    console.error(USAGE);
    return 2;
  }
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  for (const p of generateTrainingPatients({ seed: parseSeed(values.seed) ?? 1 })) {
    const file = join(out, `${p.name}.json`);
    writeFileSync(file, JSON.stringify(p.bundle, null, 2) + '\n');
    console.log(`${file}: ${p.displayName} — ${p.scenario}`);
  }
  return 0;
}

/**
 * The review tool is another module (scripts/simulator/review.ts); this only hands it the
 * arguments. Its CLI entry is the exported `runReviewCli(args)`.
 */
async function review(args: string[]): Promise<number> {
  const file = fileURLToPath(new URL('./review.ts', import.meta.url));
  if (!existsSync(file)) {
    console.error('the review tool (scripts/simulator/review.ts) is not available in this checkout');
    return 2;
  }
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const entry = mod.runReviewCli;
  if (typeof entry !== 'function') {
    console.error(
      `scripts/simulator/review.ts exports no runReviewCli(args) (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`,
    );
    return 2;
  }
  const code: unknown = await (entry as (args: string[]) => unknown)(args);
  return typeof code === 'number' ? code : 0;
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'seed':
      return seed(rest);
    case 'generate':
      return generate(rest);
    case 'review':
      return review(rest);
    case '-h':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`simulator: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
