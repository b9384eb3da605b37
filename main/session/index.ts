/** The clinician signed in at this workstation, the idle lock, break-the-glass grants. */
export {
  ClinicianSession,
  auditClinicianOf,
  tlsIdentityOf,
  type AccessEndListener,
  type AccessEndReason,
  type ClinicianSessionDeps,
  type SignedInClinician,
} from './clinician-session';
export { AccessGrants, type AccessGrant } from './access-grants';
export { IdleLock, type IdleLockOptions } from './idle-lock';
