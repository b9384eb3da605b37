/**
 * npm run simulator -- seed --state <sandbox state.json> --out DIR [--samples GLOB|DIR]... [--attachments 25,50] [--documents] [--sign]
 * npm run simulator -- review ...   (the patient's review of pending clinician additions: scripts/simulator/review.ts)
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SandboxState } from '../sandbox/index';
import { seedPatients } from './seed';

const USAGE = [
  'usage: npm run simulator -- seed --state <sandbox state.json> --out DIR [--samples GLOB|DIR]... [--attachments 25,50] [--documents] [--sign]',
  '       npm run simulator -- review [options of the review tool]',
].join('\n');

function parseSizes(text: string | undefined): number[] {
  if (!text) return [];
  const sizes = text.split(',').map((s) => Number(s.trim()));
  if (sizes.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`--attachments: expected sizes in MB such as 25,50 (got "${text}")`);
  return sizes;
}

async function seed(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      state: { type: 'string' },
      out: { type: 'string' },
      samples: { type: 'string', multiple: true },
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
    attachmentsMb: parseSizes(values.attachments),
    documents: values.documents,
    signManifest: values.sign,
    log: values.json ? undefined : (line) => console.log(line),
  });
  if (values.json) {
    console.log(JSON.stringify({ indexFile: result.indexFile, patients: result.patients.length, failures: result.failures }, null, 2));
  } else {
    console.log(`\n${result.patients.length} patient(s) seeded, ${result.failures.length} sample(s) skipped. Index (holds key material, training data only): ${result.indexFile}`);
    for (const f of result.failures) console.log(`  skipped ${f.sample}: ${f.error}`);
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
    console.error(`scripts/simulator/review.ts exports no runReviewCli(args) (it exports: ${Object.keys(mod).join(', ') || 'nothing'})`);
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
