import { basename } from 'node:path';
import { toErrorInfo, WorkstationError } from '../../../common/errors';
import { errorMessage } from '../../../common/i18n/messages';
import {
  openPendingAddition,
  isAdditionId,
  PENDING_SUFFIX,
  verifyAddition,
  type AdditionVerification,
} from '../../additions';
import { CONTAINER_MAGIC, MASTER_KEY_LENGTH } from '../../crypto';
import { parseCertificates, type Certificate, parseCrls, type Crl, type RevocationPolicy } from '../../pki';
import type { CliCommand, CliIo } from '../types';
import { parseCommandArgs, readArgFile, UsageError } from '../args';

const USAGE = `usage: npm run -s cli -- verify-addition --file FILE --trust ANCHORS.pem [options]

Verifies a clinician addition: its integrity (canonical JSON whose SHA-256 is its id), its
structure (every resource a Provenance target, the author bound to the signing certificate), the
detached JWS in Provenance.signature, and the x5c chain to a trust anchor at the signing time.

FILE is either the signed addition (JSON) or the encrypted object from the pending bucket
(<citizen>/<id>.hcpc); the latter needs the patient's master key and citizen id.

  --trust FILE         trust anchors (PEM or DER); repeatable
  --intermediates FILE extra intermediate certificates; repeatable
  --crl FILE           CRLs (PEM or DER); repeatable
  --revocation MODE    hard-fail | warn | off (default: hard-fail with --crl, else warn)
  --eku OID|any        extended key usage the signer must have (default: TLS client, as at sign-in)
  --citizen ID         the patient's citizen id (encrypted FILE)
  --id HEX             the addition id (default: FILE's name without ${PENDING_SUFFIX})
  --key-file FILE      the master key: 32 raw bytes, or 64 hex characters
  --master-key-hex HEX the master key as hex
  --patient REF        the patient reference the addition must name
  --json               print the report as JSON

Exit 0 when valid, 1 when not (the first failed check and its error code), 2 on usage errors or
unreadable files.`;

function masterKeyFrom(hex: string | undefined, keyFile: string | undefined): Buffer | null {
  if (hex !== undefined && keyFile !== undefined) throw new UsageError('give --key-file or --master-key-hex, not both');
  let key: Buffer | null = null;
  if (hex !== undefined) key = /^[0-9a-fA-F]{64}$/.test(hex.trim()) ? Buffer.from(hex.trim(), 'hex') : null;
  else if (keyFile !== undefined) {
    const raw = readArgFile(keyFile);
    const text = raw.toString('latin1').trim();
    key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : raw.length === MASTER_KEY_LENGTH ? raw : null;
  } else return null;
  if (!key || key.length !== MASTER_KEY_LENGTH)
    throw new UsageError('the master key must be 32 bytes (raw, or 64 hex characters)');
  return key;
}

function describe(r: AdditionVerification): string[] {
  const lines: string[] = [];
  if (r.valid) {
    lines.push(`OK: addition ${r.additionId}`);
  } else {
    const failed = (['integrity', 'structure', 'signature', 'chain'] as const).find((c) => !r.checks[c]) ?? 'chain';
    lines.push(
      `INVALID: ${failed} check failed: ${r.code} (${errorMessage({ code: r.code as never, details: r.details })})`,
    );
    lines.push(`  addition ${r.additionId}`);
  }
  lines.push(
    `  checks     ${Object.entries(r.checks)
      .map(([k, v]) => `${k} ${v ? 'ok' : '--'}`)
      .join(', ')}`,
  );
  if (r.signer)
    lines.push(
      `  signed     ${r.alg} by ${r.signer.name}${r.signer.registration ? ` (${r.signer.registration})` : ''} at ${r.signedAt}`,
    );
  if (r.chain.length) lines.push(`  chain      ${r.chain.join(' -> ')}`);
  if (Object.keys(r.resources).length)
    lines.push(
      `  resources  ${Object.entries(r.resources)
        .map(([t, n]) => `${n} ${t}`)
        .join(', ')}`,
    );
  for (const w of r.warnings) lines.push(`  warning    ${w.code}: ${errorMessage(w)}`);
  return lines;
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      file: { type: 'string' },
      trust: { type: 'string', multiple: true },
      intermediates: { type: 'string', multiple: true },
      crl: { type: 'string', multiple: true },
      revocation: { type: 'string' },
      eku: { type: 'string' },
      citizen: { type: 'string' },
      id: { type: 'string' },
      'key-file': { type: 'string' },
      'master-key-hex': { type: 'string' },
      patient: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  try {
    if (!values.file) throw new UsageError('missing --file FILE');
    if (!values.trust?.length) throw new UsageError('missing --trust ANCHORS.pem');
    if (values.revocation !== undefined && !['hard-fail', 'warn', 'off'].includes(values.revocation))
      throw new UsageError('--revocation is hard-fail, warn or off');
    const certs = (files: string[] | undefined): Certificate[] =>
      (files ?? []).flatMap((f) => {
        try {
          return parseCertificates(readArgFile(f));
        } catch (e) {
          if (e instanceof UsageError) throw e;
          throw new UsageError(`${f}: not a certificate file`);
        }
      });
    const trustAnchors = certs(values.trust);
    if (!trustAnchors.length) throw new UsageError('no certificate in --trust');
    const intermediates = certs(values.intermediates);
    const crls: Crl[] = (values.crl ?? []).flatMap((f) => {
      try {
        return parseCrls(readArgFile(f));
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`${f}: not a CRL file`);
      }
    });
    const masterKey = masterKeyFrom(values['master-key-hex'], values['key-file']);
    const fileBytes = readArgFile(values.file);
    const name = basename(values.file);
    const expectedId =
      values.id ??
      (name.endsWith(PENDING_SUFFIX) && isAdditionId(name.slice(0, -PENDING_SUFFIX.length))
        ? name.slice(0, -PENDING_SUFFIX.length)
        : undefined);
    if (expectedId !== undefined && !isAdditionId(expectedId)) throw new UsageError('--id is 64 hex characters');

    let bytes: Buffer;
    if (fileBytes.subarray(0, 4).equals(CONTAINER_MAGIC)) {
      if (!masterKey || !values.citizen)
        throw new UsageError('an encrypted addition needs --citizen and --key-file or --master-key-hex');
      if (!expectedId) throw new UsageError('an encrypted addition needs --id (or its <id>.hcpc file name)');
      try {
        bytes = openPendingAddition(fileBytes, { masterKey, citizenId: values.citizen, additionId: expectedId });
      } catch (e) {
        const info = toErrorInfo(e);
        if (values.json)
          io.out(
            JSON.stringify({
              valid: false,
              code: info.code,
              details: info.details ?? {},
              checks: { integrity: false, structure: false, signature: false, chain: false },
              additionId: expectedId,
            }),
          );
        else io.out(`INVALID: integrity check failed: ${info.code} (${errorMessage(info)})`);
        return 1;
      }
    } else bytes = fileBytes;

    const revocation = (values.revocation ?? (crls.length ? 'hard-fail' : 'warn')) as RevocationPolicy;
    const report = verifyAddition(bytes, {
      trustAnchors,
      intermediates,
      crls,
      policy: { revocation, ...(values.eku ? { eku: values.eku } : {}) },
      ...(expectedId ? { expectedId } : {}),
      ...(values.patient ? { expectedPatientReference: values.patient } : {}),
    });
    if (values.json) {
      const { bundle: _bundle, ...rest } = report;
      io.out(JSON.stringify(rest));
    } else for (const line of describe(report)) io.out(line);
    return report.valid ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message);
      return 2;
    }
    if (e instanceof WorkstationError) {
      io.err(`${e.code}: ${errorMessage(e.toInfo())}`);
      return 1;
    }
    throw e;
  }
}

/** `verify-addition`: checks a clinician addition (signature, chain, integrity), for IT staff, auditors and the patient's side. */
export const verifyAdditionCommand: CliCommand = {
  name: 'verify-addition',
  summary: 'verify a clinician addition: signature, chain, integrity (verify-addition --file F --trust T.pem)',
  usage: USAGE,
  run,
};
