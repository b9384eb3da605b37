import { errorMessage } from '../../../common/i18n/messages';
import { isWorkstationError, WorkstationError, type ErrorCode } from '../../../common/errors';
import { loadConfig, machineConfigLocation } from '../../config/index';
import {
  parseCertificates,
  type Certificate,
  parseCrls,
  type Crl,
  clinicianIdentity,
  verifyClinicianChain,
  DEFAULT_CHAIN_POLICY,
  type ChainPolicy,
  type ChainResult,
  type RevocationPolicy,
  loadClinicianCredential,
} from '../../pki';
import type { CliCommand, CliIo } from '../types';
import { parseCommandArgs, readArgFile, readPassphrase, UsageError } from '../args';
import { cliPaths } from '../paths';

const USAGE = `usage: npm run -s cli -- verify-cert (--leaf L.pem | --credential F.p12|F.pem [--passphrase-file P])
         [--intermediates I.pem]... --trust T.pem...
         [--crl C.pem]... [--time ISO8601] [--eku OID|any] [--policy OID]
         [--revocation hard-fail|warn|off] [--skew SECONDS] [--json]

Verifies a clinician certificate the way the workstation does and says why it is refused.
Files are PEM (any number of certificates / CRLs) or DER. Extra certificates in the --leaf
file are used as intermediates. --credential takes the clinician's credential as IT has it
(PKCS#12 .p12/.pfx, or PEM with certificate and key), opened with the passphrase from the first
line of --passphrase-file (or HCP_PASSPHRASE; never on the command line): its certificate is the
leaf, the certificates inside it are intermediates, and the private key is dropped at once. Defaults: --eku from the hospital configuration (clientAuth),
--revocation hard-fail when --crl is given and off otherwise, --skew 0 with --time and the
configured clock skew without it.
Exit 0 when valid, 1 when not, 2 on a usage error. --json prints
{"valid":bool,"code":"...","message":"...","chain":[subjects]}.`;

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;

function certificatesFrom(path: string): Certificate[] {
  const certs = parseCertificates(readArgFile(path));
  if (!certs.length) throw new UsageError(`no certificate in ${path}`);
  return certs;
}

function crlsFrom(path: string): Crl[] {
  const crls = parseCrls(readArgFile(path));
  if (!crls.length) throw new UsageError(`no CRL in ${path}`);
  return crls;
}

/** The configured PKI settings when a configuration is readable, else the built-in defaults. */
function configuredPolicy(): {
  eku: string;
  clockSkewSeconds: number;
  requiredPolicy: string | null;
  understood: string[];
} {
  try {
    const { config } = loadConfig({ defaultsFile: cliPaths().defaultsFile, machineFile: machineConfigLocation().file });
    return {
      eku: config.pki.clinicianEku,
      clockSkewSeconds: config.pki.clockSkewSeconds,
      requiredPolicy: config.pki.requiredPolicy,
      understood: config.pki.roleExtensionOid ? [config.pki.roleExtensionOid] : [],
    };
  } catch {
    return {
      eku: DEFAULT_CHAIN_POLICY.eku,
      clockSkewSeconds: DEFAULT_CHAIN_POLICY.clockSkewSeconds,
      requiredPolicy: null,
      understood: [],
    };
  }
}

const OK_MESSAGE = 'The certificate chain is valid.';

export async function runVerifyCert(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      leaf: { type: 'string' },
      credential: { type: 'string' },
      'passphrase-file': { type: 'string' },
      intermediates: { type: 'string', multiple: true },
      trust: { type: 'string', multiple: true },
      crl: { type: 'string', multiple: true },
      time: { type: 'string' },
      eku: { type: 'string' },
      policy: { type: 'string' },
      revocation: { type: 'string' },
      skew: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  let result: ChainResult;
  let leaf: Certificate | null = null;
  try {
    if ((!values.leaf && !values.credential) || !values.trust?.length)
      throw new UsageError('--leaf (or --credential) and --trust are required');
    if (values.leaf && values.credential) throw new UsageError('give --leaf or --credential, not both');
    let time: Date | undefined;
    if (values.time !== undefined) {
      time = new Date(values.time);
      if (!/^\d{4}-\d{2}-\d{2}/.test(values.time) || Number.isNaN(time.getTime()))
        throw new UsageError(`--time must be an ISO 8601 date-time: ${values.time}`);
    }
    if (values.eku !== undefined && values.eku !== 'any' && !OID.test(values.eku))
      throw new UsageError(`--eku must be a dotted OID or "any": ${values.eku}`);
    if (values.policy !== undefined && !OID.test(values.policy))
      throw new UsageError(`--policy must be a dotted OID: ${values.policy}`);
    const revocations: RevocationPolicy[] = ['hard-fail', 'warn', 'off'];
    if (values.revocation !== undefined && !revocations.includes(values.revocation as RevocationPolicy))
      throw new UsageError('--revocation must be hard-fail, warn or off');
    if (values.skew !== undefined && !/^\d+$/.test(values.skew))
      throw new UsageError('--skew must be a number of seconds');

    const configured = configuredPolicy();
    const policy: Partial<ChainPolicy> = {
      eku: values.eku ?? configured.eku,
      requiredPolicy: values.policy ?? configured.requiredPolicy,
      clockSkewSeconds: values.skew !== undefined ? Number(values.skew) : time ? 0 : configured.clockSkewSeconds,
      revocation: (values.revocation as RevocationPolicy | undefined) ?? (values.crl?.length ? 'hard-fail' : 'off'),
      understoodExtensions: configured.understood,
    };
    // A credential: its certificate and chain only; the key is dropped before anything else.
    let fromCredential: Certificate[] | WorkstationError | null = null;
    if (values.credential) {
      const bytes = readArgFile(values.credential);
      const passphrase = readPassphrase(values['passphrase-file'], process.env);
      try {
        const credential = await loadClinicianCredential(bytes, passphrase);
        fromCredential = [credential.certificate, ...credential.chain];
        credential.dispose();
      } catch (e) {
        if (!isWorkstationError(e)) throw e;
        fromCredential = e;
      }
    }
    result = (() => {
      try {
        if (fromCredential instanceof WorkstationError) throw fromCredential;
        const leafFile = fromCredential ?? certificatesFrom(values.leaf!);
        leaf = leafFile[0]!;
        const intermediates = [...leafFile.slice(1), ...(values.intermediates ?? []).flatMap(certificatesFrom)];
        const trustAnchors = values.trust!.flatMap(certificatesFrom);
        const crls = (values.crl ?? []).flatMap(crlsFrom);
        return verifyClinicianChain({ leaf, intermediates, trustAnchors, crls, time, policy });
      } catch (e) {
        if (!isWorkstationError(e)) throw e;
        return {
          valid: false,
          code: e.code,
          details: e.details ?? {},
          chain: leaf ? [leaf.subject.text] : [],
          certificates: [],
          warnings: [],
          policies: [],
        } satisfies ChainResult;
      }
    })();
    if (policy.revocation === 'off' && !values.json) io.err('note: revocation not checked (no --crl given)');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(e.message);
    io.err(USAGE);
    return 2;
  }

  const message = result.valid ? OK_MESSAGE : errorMessage({ code: result.code as ErrorCode, details: result.details });
  if (values.json) {
    io.out(JSON.stringify({ valid: result.valid, code: result.code, message, chain: result.chain }));
  } else {
    io.out(result.valid ? `VALID: ${message}` : `INVALID ${result.code}: ${message}`);
    const extra = Object.entries(result.details).filter(([k]) => k !== 'subject');
    if (extra.length) io.out(`  details: ${extra.map(([k, v]) => `${k}=${v}`).join(', ')}`);
    io.out('chain (clinician first):');
    result.chain.forEach((s, i) => io.out(`  ${i}: ${s}`));
    for (const w of result.warnings) io.out(`warning ${w.code}: ${errorMessage({ code: w.code, details: w.details })}`);
    if (result.valid && leaf) {
      const id = clinicianIdentity(leaf);
      io.out(
        `clinician: ${id.name} (${id.role}${id.registrationNumber ? `, ${id.registrationNumber}` : ''}), certificate expires ${id.notAfter.toISOString()} (${id.daysToExpiry} days)`,
      );
    }
  }
  return result.valid ? 0 : 1;
}

export const verifyCertCommand: CliCommand = {
  name: 'verify-cert',
  summary: 'verify a clinician certificate chain and explain a refusal',
  usage: USAGE,
  run: runVerifyCert,
};
