import { readFileSync } from 'node:fs';
import { toErrorInfo, WorkstationError } from '../../../common/errors';
import { errorMessage } from '../../../common/i18n/messages';
import { emergencyViewOf, formatEmergencyViewText } from '../../fhir/index';
import type { CliCommand, CliIo } from '../types';
import { parseCommandArgs } from '../args';

const USAGE = `usage: npm run -s cli -- summary --ips BUNDLE.json [--json]

Reads a plain (unencrypted) FHIR R4 International Patient Summary document and prints its
emergency view: the same sections, order and "no information" statements as the first screen.
--json prints the view model (common/emergency-view.ts) instead of text.
Exit 0 when the document loads, 1 with the error code and message when it cannot, 2 on usage errors.`;

function readBundle(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new WorkstationError('FHIR_INVALID_BUNDLE', { problem: `the file cannot be read (${reason})` }, { cause: e });
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(argv, { ips: { type: 'string' }, json: { type: 'boolean' } }, USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const file = parsed.values.ips;
  if (!file) {
    io.err('missing --ips BUNDLE.json');
    io.err(USAGE);
    return 2;
  }
  try {
    const view = emergencyViewOf(readBundle(file));
    io.out(parsed.values.json ? JSON.stringify(view, null, 2) : formatEmergencyViewText(view));
    return 0;
  } catch (e) {
    const info = toErrorInfo(e);
    io.err(`${info.code}: ${errorMessage(info)}`);
    return 1;
  }
}

/** `summary --ips BUNDLE.json [--json]`: the emergency view of a plain IPS file (IT smoke test, debugging documents). */
export const summaryCommand: CliCommand = {
  name: 'summary',
  summary: 'emergency view of a FHIR IPS bundle file (summary --ips FILE [--json])',
  usage: USAGE,
  run,
};
