import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isErrorCode, toErrorInfo, WorkstationError } from '../../../common/errors';
import { errorMessage } from '../../../common/i18n/messages';
import { AccessReason, type OpenRecord, type ScanSource } from '../../../common/ipc/channels/emergency';
import { loadConfig, machineConfigLocation } from '../../config/index';
import { decodeQrPng } from '../../emergency/index';
import { formatEmergencyViewText } from '../../fhir/index';
import { createLogger } from '../../log';
import type { Workstation } from '../../workstation';
import { ShlService, scanAny } from '../../shl';
import type { CliCommand, CliIo } from '../types';
import { defaultsFile } from './config-check';
import { cliPaths } from '../paths';
import { parseCommandArgs, readPassphrase, UsageError } from '../args';

const USAGE = `usage: npm run -s cli -- open --qr PAYLOAD|FILE --credential CLINICIAN.p12
                          [--passphrase-file FILE] [--passcode-file FILE] [--reason TEXT] [--config FILE] [--data-dir DIR] [--json]

Runs the whole emergency flow headless, as the app does: signs in with the clinician's
credential (chain and revocation checked), scans the QR, breaks the glass, looks the patient up
at the HRI, obtains temporary cloud credentials, downloads and verifies the manifest and the IPS
summary, caches and audits, and prints the emergency summary (--json: the OpenRecord).

  --qr          the QR payload text (HCPE... or a SMART Health Link shlink:/...), or a file: a QR image (PNG) or a text file holding the
                payload. Prefer a file: the payload holds the patient's key and argv is visible to
                other users of this machine.
  --credential  the clinician's PKCS#12 file.
  --passphrase-file  a file whose first line is the credential's passphrase; otherwise the
                environment variable HCP_PASSPHRASE. Never on the command line.
  --passcode-file  for a SMART Health Link with flag P: a file whose first line is the passcode.
  --reason      the emergency reason (at least 3 characters; default: emergency treatment).
  --config      the hospital configuration (default: this machine's file, or HCP_CONFIG).
  --data-dir    where the database, cache and audit trail go (default: HCP_DATA_DIR, else a
                temporary directory removed afterwards).

Exit 0 when the record opened, 1 with the error code and message when it did not, 2 on usage errors.`;

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const DEFAULT_REASON: AccessReason = { code: 'emergency-treatment', text: 'headless open (CLI)' };

/** The scan text: the argument itself, or a PNG image / text file it names. */
function readQr(value: string): { text: string; source: ScanSource } {
  if (!existsSync(value) || !statSync(value).isFile()) return { text: value, source: 'paste' };
  const bytes = readFileSync(value);
  if (bytes.subarray(0, 8).equals(PNG_MAGIC)) return { text: decodeQrPng(bytes), source: 'image' };
  return { text: bytes.toString('utf8').trim(), source: 'paste' };
}

function readCredential(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read the credential ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

function parseReason(text: string | undefined): AccessReason {
  if (text === undefined) return DEFAULT_REASON;
  const parsed = AccessReason.safeParse({ code: 'other', text });
  if (!parsed.success) throw new UsageError('--reason: describe the reason in at least 3 characters');
  return parsed.data;
}

function describe(record: OpenRecord): string {
  const source =
    record.source === 'cloud' ? 'from the cloud' : `from the cache (offline: ${record.offlineReason ?? 'unknown'})`;
  const shl = record.shl;
  const card = shl?.card
    ? shl.card.verified
      ? `; SMART Health Card issuer ${shl.card.issuer} verified`
      : `; SMART Health Card issuer ${shl.card.issuer} NOT verified`
    : '';
  const opened = shl
    ? `OPENED   SMART Health Link from ${shl.host}${record.source === 'cache' ? ` ${source}` : ''}, fetched ${record.fetchedAt}; decrypted and intact${card}`
    : `OPENED   ${source}, fetched ${record.fetchedAt}; manifest v${record.integrity.manifestVersion} ${record.integrity.manifestSigned ? 'signed by the patient' : 'unsigned'}; integrity verified`;
  const lines = [
    opened,
    `ACCESS   until ${record.accessExpiresAt} (patient ref ${record.patientRef})`,
    ...record.attachments.map((a) => `ATTACHED ${a.title} · ${a.contentType} · ${a.size} bytes · ${a.state}`),
    '',
    formatEmergencyViewText(record.view),
  ];
  return lines.join('\n');
}

async function run(argv: string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      qr: { type: 'string' },
      credential: { type: 'string' },
      'passphrase-file': { type: 'string' },
      'passcode-file': { type: 'string' },
      reason: { type: 'string' },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;

  let inputs;
  try {
    if (!values.qr) throw new UsageError('missing --qr PAYLOAD|FILE');
    if (!values.credential) throw new UsageError('missing --credential CLINICIAN.p12');
    inputs = {
      credential: readCredential(values.credential),
      passphrase: readPassphrase(values['passphrase-file'], env),
      reason: parseReason(values.reason),
    };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(e.message);
    io.err(USAGE);
    return 2;
  }

  const location = machineConfigLocation(process.platform, env);
  const configFile = values.config ?? location.file;
  const loaded = loadConfig({
    defaultsFile: defaultsFile(),
    machineFile: configFile,
    machineFileRequired: !!values.config || location.explicit,
  });
  if (loaded.problems.length) {
    for (const p of loaded.problems) io.err(`${p.source}: ${p.key}: ${p.message}`);
    io.err(`CONFIG_INVALID: ${errorMessage({ code: 'CONFIG_INVALID' })}`);
    return 1;
  }

  // Production: an open leaves an audit trail that persists (a data directory) and ships (a cloud).
  const production = loaded.config.mode === 'production';
  if (production && ((!values['data-dir'] && !env.HCP_DATA_DIR) || !loaded.config.cloud.defaultEndpoint)) {
    const missing = !loaded.config.cloud.defaultEndpoint ? 'cloud.defaultEndpoint' : '--data-dir';
    io.err(`CLI_AUDIT_NOT_DURABLE: ${errorMessage({ code: 'CLI_AUDIT_NOT_DURABLE', details: { missing } })}`);
    return 1;
  }
  const dataDir = values['data-dir'] ?? env.HCP_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'hcp-cli-open-'));
  const temporary = !values['data-dir'] && !env.HCP_DATA_DIR;
  let ws: Workstation | null = null;
  try {
    const version = cliPaths().version;
    // Loaded when a record is opened, not for every CLI start (help, config check, verify-cert).
    const { createWorkstation } = await import('../../workstation');
    ws = createWorkstation({
      loaded,
      dataDir,
      version,
      background: false,
      logger: createLogger('hcp-cli', io.err, 'warn'),
    });
    const status = await ws.session.signIn(inputs.credential, inputs.passphrase);
    for (const w of status.clinician?.warnings ?? [])
      io.err(`warning ${w.code}: ${isErrorCode(w.code) ? errorMessage({ code: w.code, details: w.details }) : w.code}`);
    const qr = readQr(values.qr!);
    const shl = ShlService.recognises(qr.text);
    const preview = scanAny(ws, qr.text, qr.source);
    const passcode = values['passcode-file']
      ? readFileSync(values['passcode-file'], 'utf8').split(/\r?\n/)[0]
      : undefined;
    const record = shl
      ? await ws.shl.open(preview.scanId, inputs.reason, passcode)
      : await ws.emergency.open(preview.scanId, inputs.reason);
    io.out(values.json ? JSON.stringify(record, null, 2) : describe(record));
    ws.emergency.close(record.recordId);
    if (production && ws.auditShipper) {
      // Ship now; what does not go stays in the data directory and ships on the next run.
      const shipped = await ws.auditShipper.shipNow();
      if (shipped.error)
        io.err(
          `warning ${shipped.error.code}: the audit trail was kept in ${dataDir} and ships on the next run (${errorMessage(shipped.error)})`,
        );
    }
    return 0;
  } catch (e) {
    const info = toErrorInfo(e);
    io.err(`${info.code}: ${errorMessage(info)}`);
    if (info.code === 'INTERNAL_ERROR' && !(e instanceof WorkstationError))
      io.err(`(${e instanceof Error ? e.message : String(e)})`);
    return 1;
  } finally {
    await ws?.close();
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
  }
}

/** `open`: the whole emergency flow headless — the IT smoke test of a workstation's setup. */
export function createOpenCommand(env: NodeJS.ProcessEnv = process.env): CliCommand {
  return {
    name: 'open',
    summary: 'open a patient record headless (open --qr PAYLOAD|PNG --credential P12 [--json])',
    usage: USAGE,
    run: (argv, io) => run(argv, io, env),
  };
}

export const openCommand = createOpenCommand();
