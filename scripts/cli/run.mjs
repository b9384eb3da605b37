// `npm run -s cli -- <command> ...`: runs the compiled CLI (out/cli/index.js), building it first
// when it is missing or older than its sources. Stays tiny: it is on the CLI's start-up path.
import { pathToFileURL } from 'node:url';
import { CLI_OUT, buildCli, cliStaleness } from './build.mjs';

const stale = cliStaleness();
if (stale) {
  process.stderr.write(`(building the CLI: out/cli is ${stale})\n`);
  await buildCli();
}
const { runCli } = await import(pathToFileURL(CLI_OUT).href);
process.exitCode = await runCli(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  return 3;
});
