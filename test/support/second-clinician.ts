import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueCertificate } from './test-ca/certificates';
import { exportPkcs12 } from './test-ca/pkcs12';
import type { TrainingPki } from './test-ca/training';

/** A second valid clinician of the training PKI (for "another clinician at the same workstation"); its PKCS#12 file. */
export function writeSecondClinician(pki: TrainingPki, dir: string = pki.dir): string {
  const t = Date.now();
  const cert = issueCertificate({
    subject:
      'CN=Dr Petros Second, GN=Petros, SN=Second, title=physician, serialNumber=GR-MED-000003, OU=Emergency Department, O=Training Hospital, C=GR',
    issuer: pki.intermediate,
    key: ['rsa2048', 1003],
    keyUsage: ['digitalSignature', 'keyEncipherment'],
    notBefore: new Date(t - 86_400_000),
    notAfter: new Date(t + 365 * 86_400_000),
  });
  const file = join(dir, 'second-clinician.p12');
  writeFileSync(file, exportPkcs12(cert, pki.passphrase, { chain: [pki.intermediate] }), { mode: 0o600 });
  return file;
}
