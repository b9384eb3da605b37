/**
 * Test CA factory: roots, intermediates and leaves with any extension combination (RSA,
 * RSA-PSS, ECDSA P-256/P-384, Ed25519), CRLs, PKCS#12 files, PEM files in temp dirs, and the
 * training sandbox's PKI. Structures are built with node-forge's ASN.1 module and signed with
 * Node's crypto (so every algorithm takes the same path).
 */
export {
  issueCertificate,
  issueCertificateDer,
  createChain,
  keyId,
  generalName,
  EKU_CLIENT_AUTH,
} from './certificates';
export type {
  IssueOptions,
  TestCertificate,
  TestChain,
  ChainOptions,
  GeneralNameSpec,
  KeyUsageName,
  CustomExtension,
} from './certificates';
export { issueCrl } from './crl';
export type { CrlOptions, RevokedSpec, TestCrl } from './crl';
export { testKey, generateTestKey, signBytes } from './keys';
export type { KeySpec, TestKey, HashName } from './keys';
export { exportPkcs12, exportPkcs12WithForge } from './pkcs12';
export type { Pkcs12Options } from './pkcs12';
export { makeTempDir, writePkiFiles } from './files';
export { createTrainingPki, TRAINING_PKCS12_PASSPHRASE } from './training';
export type { TrainingPki } from './training';
export { encodeName } from './names';
export * as der from './der';
