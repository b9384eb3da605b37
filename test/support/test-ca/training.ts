import { createChain, issueCertificate, type TestCertificate } from './certificates';
import { issueCrl } from './crl';
import { writePkiFiles } from './files';
import { exportPkcs12 } from './pkcs12';

/** The passphrase of the training PKCS#12 files (documented in docs/pki.md). */
export const TRAINING_PKCS12_PASSPHRASE = 'training';

export interface TrainingPki {
  dir: string;
  passphrase: string;
  files: { root: string; intermediate: string; crl: string; clinician: string; revokedClinician: string };
  root: TestCertificate;
  intermediate: TestCertificate;
  clinician: TestCertificate;
  revokedClinician: TestCertificate;
}

const DAY = 86_400_000;

/**
 * The training sandbox's PKI: a root, an issuing CA, a demo clinician (physician) and a demo
 * clinician whose certificate is revoked, written to `dir` as root.pem, intermediate.pem,
 * crl.pem (both CAs' CRLs), clinician.p12 and revoked-clinician.p12 (passphrase "training").
 * Keys are generated in the calling process (nothing secret is checked in); RSA-2048 for broad compatibility.
 */
export function createTrainingPki(dir: string, now = new Date()): TrainingPki {
  const t = now.getTime();
  const chain = createChain({
    levels: 3,
    key: 'rsa2048',
    slot: 100,
    prefix: 'Training',
    root: {
      subject: 'CN=HCP Training Root CA, O=HCP Workstation Training, C=GR',
      notBefore: new Date(t - DAY),
      notAfter: new Date(t + 10 * 365 * DAY),
    },
    intermediate: {
      subject: 'CN=HCP Training Clinician CA, O=HCP Workstation Training, C=GR',
      pathLen: 0,
      notBefore: new Date(t - DAY),
      notAfter: new Date(t + 5 * 365 * DAY),
    },
    leaf: {
      subject:
        'CN=Dr Eleni Training, GN=Eleni, SN=Training, title=physician, serialNumber=GR-MED-000001, OU=Emergency Department, O=Training Hospital, C=GR',
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      notBefore: new Date(t - DAY),
      notAfter: new Date(t + 2 * 365 * DAY),
    },
  });
  const intermediate = chain.intermediates[0]!;
  const revokedClinician = issueCertificate({
    subject:
      'CN=Nikos Revoked, GN=Nikos, SN=Revoked, title=nurse, serialNumber=GR-NUR-000002, OU=Emergency Department, O=Training Hospital, C=GR',
    issuer: intermediate,
    key: ['rsa2048', 1001],
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    notBefore: new Date(t - DAY),
    notAfter: new Date(t + 2 * 365 * DAY),
  });
  const crlTimes = { thisUpdate: new Date(t - 3_600_000), nextUpdate: new Date(t + 365 * DAY) };
  const intermediateCrl = issueCrl({
    issuer: intermediate,
    revoked: [{ serial: revokedClinician.serial, reason: 1, date: new Date(t - 3_600_000) }],
    ...crlTimes,
  });
  const rootCrl = issueCrl({ issuer: chain.root, ...crlTimes });
  const files = writePkiFiles(dir, {
    'root.pem': chain.root.pem,
    'intermediate.pem': intermediate.pem,
    'crl.pem': [intermediateCrl.pem, rootCrl.pem],
    'clinician.p12': exportPkcs12(chain.leaf, TRAINING_PKCS12_PASSPHRASE, { chain: [intermediate] }),
    'revoked-clinician.p12': exportPkcs12(revokedClinician, TRAINING_PKCS12_PASSPHRASE, { chain: [intermediate] }),
  });
  return {
    dir,
    passphrase: TRAINING_PKCS12_PASSPHRASE,
    files: {
      root: files['root.pem'],
      intermediate: files['intermediate.pem'],
      crl: files['crl.pem'],
      clinician: files['clinician.p12'],
      revokedClinician: files['revoked-clinician.p12'],
    },
    root: chain.root,
    intermediate,
    clinician: chain.leaf,
    revokedClinician,
  };
}
