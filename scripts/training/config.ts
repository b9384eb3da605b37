/**
 * The hospital configuration of the training environment: mode "training", pointing at the
 * sandbox (HRI stand-in, RGW, the workstation's STS role) and trusting only the training PKI.
 * A complete file (not just overrides), so a trainer can read every setting in one place.
 */
import { SHL_CONFIG_DEFAULTS, type HospitalConfig } from '../../common/config/schema';
import type { SandboxState } from '../sandbox/index';

/** Paths relative to the configuration file's directory (the loader resolves them there). */
export interface TrainingPkiPaths {
  root: string;
  intermediate: string;
  crl: string;
}

/**
 * With `tls` the workstation talks https only (the sandbox must have been started with `--tls`):
 * the HRI, S3 and STS at the sandbox's https endpoints, their certificates verified against the
 * sandbox CA (`tls.trustedCas`). The training environment (`npm start`) stays on http loopback.
 */
export function trainingConfig(
  sandbox: SandboxState,
  pki: TrainingPkiPaths,
  options: { tls?: boolean } = {},
): HospitalConfig {
  if (options.tls && !sandbox.tls) throw new Error('trainingConfig: TLS asked, but the sandbox was started without it');
  const tls = options.tls ? sandbox.tls! : null;
  const s3Endpoint = tls?.s3Endpoint ?? sandbox.s3.endpoint;
  return {
    mode: 'training',
    hospital: { name: 'Training Hospital', workstationId: 'training-ws-01' },
    hri: { url: tls?.hriUrl ?? sandbox.hri.url, timeoutMs: 3000, retries: 2, cloudHintHosts: [] },
    cloud: {
      defaultEndpoint: s3Endpoint,
      region: sandbox.s3.region,
      buckets: { ehr: sandbox.buckets.ehr, pending: sandbox.buckets.pending, audit: sandbox.buckets.audit },
      credentials: {
        kind: 'sts-assume-role',
        stsEndpoint: tls?.s3Endpoint ?? sandbox.workstation.stsEndpoint,
        accessKey: sandbox.workstation.accessKey,
        secretKey: sandbox.workstation.secretKey,
        roleArn: sandbox.workstation.roleArn,
        // RGW roles cap sessions at 3600 s; 900 s is the schema's minimum and plenty for a shift of demos.
        durationSeconds: 900,
      },
      concurrency: 4,
      timeoutMs: 30_000,
    },
    ...(tls ? { tls: { trustedCas: [tls.caFile] } } : {}),
    pki: {
      trustAnchors: [pki.root],
      intermediates: [pki.intermediate],
      crlFiles: [pki.crl],
      fetchCrlDistributionPoints: false,
      // The demo revoked clinician must be refused, not merely warned about.
      revocation: 'hard-fail',
      clockSkewSeconds: 300,
      clinicianEku: '1.3.6.1.5.5.7.3.2',
      requiredPolicy: null,
      roleExtensionOid: null,
    },
    // The sandbox's SMART Health Link server has a certificate from the sandbox's own CA.
    ...(sandbox.shl ? { shl: { ...SHL_CONFIG_DEFAULTS, trustedCas: [sandbox.shl.caFile] } } : {}),
    cache: { retentionHours: 24, purgeOnSignOut: false, maxAttachmentBytes: 2 * 1024 * 1024 * 1024 },
    session: { idleLockMinutes: 5, emergencyAccessMinutes: 60, userMayShortenIdleLock: true },
    scanner: {
      wedge: { enabled: true, maxAverageInterKeyMs: 35, minLength: 16, suffix: 'Enter-or-Tab' },
      serial: { enabled: false, path: null, baudRate: 9600 },
    },
    audit: { shipIntervalSeconds: 30, batchSize: 200 },
    ui: { languages: ['en', 'el'], defaultLanguage: 'en' },
  };
}
