import { existsSync } from 'node:fs';
import { loadConfig, machineConfigLocation } from '../../config/index';
import type { CliCommand, CliIo } from '../types';
import { parseCommandArgs } from '../args';
import { cliPaths } from '../paths';

/** The defaults shipped with the app, as the packaged app layers them (main/cli/paths.ts finds them). */
export const defaultsFile = (): string => cliPaths().defaultsFile;

const USAGE = `usage: npm run -s cli -- config check [FILE] [--user USER_FILE]

Validates FILE (default: this machine's configuration file, or HCP_CONFIG) layered on the
built-in defaults, and USER_FILE (a per-user file) on top of it when given.
Prints "OK: <file>" or one line per problem: "<file>: <key>: <message>". Exit 0 when valid, 1 when not.`;

function check(argv: string[], io: CliIo, env: NodeJS.ProcessEnv): number {
  const parsed = parseCommandArgs(argv, { user: { type: 'string' }, defaults: { type: 'string' } }, USAGE, io, true);
  if (typeof parsed === 'number') return parsed;
  if (parsed.positionals.length > 1) {
    io.err(USAGE);
    return 2;
  }
  const file = parsed.positionals[0] ?? machineConfigLocation(process.platform, env).file;
  const loaded = loadConfig({
    defaultsFile: parsed.values.defaults ?? defaultsFile(),
    machineFile: file,
    // Asked to check this file: its absence is a problem, not training mode.
    machineFileRequired: true,
    userFile: parsed.values.user ?? null,
  });
  const user = parsed.values.user;
  // The app skips a missing user file; asked to check one, its absence is a problem.
  if (user && !existsSync(user))
    loaded.problems.push({ source: user, key: '(file)', message: 'cannot be read: file not found' });
  if (loaded.problems.length === 0) {
    io.out(`OK: ${[file, user].filter(Boolean).join(' + ')}`);
    return 0;
  }
  for (const p of loaded.problems) io.out(`${p.source}: ${p.key}: ${p.message}`);
  if (parsed.positionals.length === 0 && !existsSync(file))
    io.out(`(without ${file} the app shows "This workstation is not configured" and does nothing else)`);
  return 1;
}

/** `config check [FILE]` for IT staff: validate a hospital configuration file before deploying it. */
export function createConfigCommand(env: NodeJS.ProcessEnv = process.env): CliCommand {
  return {
    name: 'config',
    summary: 'check a hospital configuration file (config check [FILE])',
    usage: USAGE,
    async run(argv, io) {
      const [sub, ...rest] = argv;
      if (sub === 'check') return check(rest, io, env);
      if (sub === 'help' || sub === '--help' || sub === '-h') {
        io.out(USAGE);
        return 0;
      }
      io.err(sub === undefined ? 'missing subcommand: config check' : `unknown subcommand: config ${sub}`);
      io.err(USAGE);
      return 2;
    },
  };
}

export const configCommand = createConfigCommand();
