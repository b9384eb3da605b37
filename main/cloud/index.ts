/** The EHR cloud: temporary credentials, an S3 object store, verified streaming downloads. */
export {
  assumeRoleCredentialProvider,
  assumeRoleOnce,
  cachingCredentialProvider,
  certificateCredentialProvider,
  createCredentialProvider,
  staticCredentialProvider,
  type AssumeRoleOptions,
  type CachingOptions,
  type CertificateOptions,
  type ClientTlsIdentity,
  type CredentialDependencies,
  type CredentialProvider,
  type TemporaryCredentials,
} from './credentials';
export {
  createObjectStore,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreOptions,
  type PutOptions,
  type RequestOptions,
} from './object-store';
export { toCloudError, type CloudErrorContext } from './errors';
export { createLimiter, type Limiter } from './limiter';
export {
  downloadAndDecrypt,
  type DownloadProgress,
  type DownloadRequest,
  type DownloadResult,
  type ExpectedPlaintext,
} from './download';
export { bufferSink, fileSink, type PlaintextSink } from './sinks';
export {
  CloudAccess,
  type CloudAccessOptions,
  type ClinicianAccess,
  type PatientAccessRequest,
  type PatientStore,
} from './access';
export {
  createEmergencyAccessClient,
  type AccessProver,
  type EmergencyAccessClient,
  type PatientScope,
  type ScopedCredentials,
} from './emergency-access';
