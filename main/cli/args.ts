import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliIo } from './types';

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's argv strictly, with -h/--help added. Returns the parsed values, or the exit
 * code when the command is done already: 0 after printing the usage for --help, 2 after printing
 * the problem and the usage for bad arguments.
 */
export function parseCommandArgs<const O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  io: CliIo,
  allowPositionals = false,
) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } } as O & { help: { type: 'boolean'; short: 'h' } },
      allowPositionals,
      strict: true,
    });
    if ((parsed.values as { help?: boolean }).help) {
      io.out(usage);
      return 0;
    }
    return parsed;
  } catch (e) {
    io.err((e as Error).message);
    io.err(usage);
    return 2;
  }
}

/** Reads a file named on the command line; an unreadable one is a usage error naming it. */
export function readArgFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/** A credential's passphrase: the first line of --passphrase-file, else HCP_PASSPHRASE; never from the command line. */
export function readPassphrase(file: string | undefined, env: NodeJS.ProcessEnv): string {
  if (file) {
    try {
      return readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new UsageError(
        `cannot read the passphrase file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
  }
  if (env.HCP_PASSPHRASE !== undefined) return env.HCP_PASSPHRASE;
  throw new UsageError('no passphrase: give --passphrase-file FILE or set HCP_PASSPHRASE (never on the command line)');
}
