import { pathToFileURL } from 'node:url';
import { processIo, type CliCommand, type CliIo } from './types';
import { configCommand } from './commands/config-check';
import { verifyAuditCommand } from './commands/verify-audit';
import { summaryCommand } from './commands/summary';
import { verifyAdditionCommand } from './commands/verify-addition';
import { verifyCertCommand } from './commands/verify-cert';
import { openCommand } from './commands/open';

/**
 * `npm run -s cli -- <command> ...`: tools for IT staff, running the same main-process services
 * as the app. Each command lives in main/cli/commands/ and is listed here.
 */
export const COMMANDS: CliCommand[] = [
  configCommand,
  verifyAuditCommand,
  summaryCommand,
  verifyCertCommand,
  verifyAdditionCommand,
  openCommand,
];

export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    if (name && name !== 'help' && name !== '--help') io.err(`unknown command: ${name}`);
    io.out('usage: npm run -s cli -- <command> [options]\n\ncommands:');
    for (const c of COMMANDS) io.out(`  ${c.name.padEnd(16)} ${c.summary}`);
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  return command.run(rest, io);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      processIo.err(`internal error: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(3);
    },
  );
}
export { configureCliPaths } from './paths';
