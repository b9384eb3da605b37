/**
 * Clinician identity (PKI): the public face of main/pki. Plain Node, no Electron.
 * node-forge parses (ASN.1: certificates, CRLs, PKCS#12); Node's crypto verifies signatures
 * and holds keys. See docs/pki.md for the rules and error codes.
 */
export { ClinicianCredential, loadClinicianCredential } from './credential';
export { stopKdfWorkers } from './kdf-pool';
export { JWS_ALGORITHMS, jwsAlgorithmsFor, preferredJwsAlgorithm, jwsSign, jwsVerify, keyDescription } from './signing';
export type { JwsAlgorithm } from './signing';
export { verifyClinicianChain, DEFAULT_CHAIN_POLICY } from './verify';
export type {
  ChainPolicy,
  ChainResult,
  ChainWarning,
  CertificateInput,
  CrlInput,
  RevocationPolicy,
  VerifyChainInput,
} from './verify';
export { parseCertificate, parseCertificates, EKU, ANY_POLICY } from './certificate';
export type { Certificate, GeneralName, KeyUsage } from './certificate';
export { parseCrl, parseCrls } from './crl';
export type { Crl, CrlEntry } from './crl';
export { clinicianIdentity, classifyRole } from './identity';
export type { ClinicianIdentity, ClinicianRole, IdentityOptions } from './identity';
export { CrlCache } from './crl-cache';
export type { CachedCrlInfo, CrlCacheOptions, RefreshOutcome } from './crl-cache';
export { ClinicianVerifier, loadTrustMaterial, chainPolicyFromConfig } from './trust';
export type { ClinicianVerification, PkiConfig, TrustMaterial } from './trust';
export { toPem } from './asn1';
