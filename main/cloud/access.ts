import { WorkstationError } from '../../common/errors';
import type { HospitalConfig } from '../../common/config/schema';
import { cachingCredentialProvider, createCredentialProvider, type CredentialProvider } from './credentials';
import {
  createEmergencyAccessClient,
  type AccessProver,
  type EmergencyAccessClient,
  type PatientScope,
  type ScopedCredentials,
} from './emergency-access';
import { createObjectStore, type ObjectStore } from './object-store';
import type { ClientTlsIdentity, TemporaryCredentials } from './sts';

/**
 * The one way to the cloud: every credential provider and object store of the workstation, per
 * identity and patient. Record downloads, additions (the outbox) and the audit shipper all ask
 * here (issue 18 §2).
 *
 * With `cloud.credentials.kind = "emergency-access"` (production), credentials come from the EHR
 * cloud's emergency-access endpoint (docs/emergency-access.md): per (clinician, patient), scoped by
 * a session policy to that patient's objects, kept only while the record is open and never past
 * their expiry (`now`, injected). The workstation then holds no long-lived cloud secret. The other
 * kinds (training `static`, `sts-assume-role`, `minio-certificate`) use one provider per clinician
 * (or the workstation's) whose scope is the role's.
 */
export interface CloudAccessOptions {
  cloud: HospitalConfig['cloud'];
  mode: HospitalConfig['mode'];
  workstationId: string;
  now: () => Date;
  /** The signed-in clinician (for proofs and mutual TLS); null or a throw (NOT_SIGNED_IN, SESSION_LOCKED) when there is none. */
  clinician: () => ClinicianAccess | null;
  /** For tests of the endpoint client. */
  fetch?: typeof fetch;
}

export interface ClinicianAccess extends AccessProver {
  tls(): ClientTlsIdentity;
}

export interface PatientAccessRequest {
  patientRef: string;
  citizenId: string;
  hriToken: string;
  location: { endpoint: string; region: string; bucket: string; prefix: string };
}

export interface PatientStore {
  store: ObjectStore;
  kind: CredentialProvider['kind'];
  expiresAt: Date | null;
}

interface PatientEntry {
  clinician: string;
  patientRef: string;
  current: ScopedCredentials<PatientScope> | null;
  dropped: boolean;
  provider: CredentialProvider;
  stores: ObjectStore[];
}

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');

export class CloudAccess {
  readonly #o: CloudAccessOptions;
  readonly #client: EmergencyAccessClient | null;
  /** emergency-access: key `${fingerprint}|${patientRef}`. */
  readonly #patients = new Map<string, PatientEntry>();
  /** Other kinds: one provider per clinician fingerprint. */
  readonly #clinicianProviders = new Map<string, CredentialProvider>();
  readonly #workstationProvider: CredentialProvider;
  readonly #uploadStores = new Map<string, ObjectStore>();

  constructor(options: CloudAccessOptions) {
    this.#o = options;
    const c = options.cloud.credentials;
    this.#client =
      c.kind === 'emergency-access'
        ? createEmergencyAccessClient({
            endpoint: c.endpoint,
            timeoutMs: options.cloud.timeoutMs,
            fetch: options.fetch,
          })
        : null;
    this.#workstationProvider = this.#client
      ? this.#auditProvider(this.#client)
      : this.#legacyProvider(`hcp-ws-${options.workstationId}`, () => this.#requireClinician().tls());
  }

  get kind(): CredentialProvider['kind'] {
    return this.#o.cloud.credentials.kind;
  }

  /** Credentials and a store to read this patient's record (and add to it) as the signed-in clinician. */
  async patientStore(request: PatientAccessRequest): Promise<PatientStore> {
    const clinician = this.#requireClinician();
    const { cloud } = this.#o;
    if (!this.#client) {
      let provider = this.#clinicianProviders.get(clinician.fingerprint);
      if (!provider)
        this.#clinicianProviders.set(
          clinician.fingerprint,
          (provider = this.#legacyProvider(
            `hcp-${clinician.fingerprint.slice(0, 16)}`,
            () => clinician.tls(),
            request.location.region,
          )),
        );
      const creds = await provider.get();
      return {
        store: createObjectStore({
          endpoint: request.location.endpoint,
          region: request.location.region,
          credentials: provider,
          timeoutMs: cloud.timeoutMs,
        }),
        kind: provider.kind,
        expiresAt: creds.expiresAt,
      };
    }
    const id = `${clinician.fingerprint}|${request.patientRef}`;
    let entry = this.#patients.get(id);
    if (!entry) {
      const client = this.#client;
      const fresh: PatientEntry = {
        clinician: clinician.fingerprint,
        patientRef: request.patientRef,
        current: null,
        dropped: false,
        stores: [],
        provider: null as unknown as CredentialProvider,
      };
      fresh.provider = cachingCredentialProvider(
        'emergency-access',
        async (signal) => {
          if (fresh.dropped) throw new WorkstationError('ACCESS_EXPIRED');
          const creds = await client.patient({
            prover: clinician,
            workstationId: this.#o.workstationId,
            citizenId: request.citizenId,
            hriToken: request.hriToken,
            signal,
          });
          if (
            creds.scope.ehr.bucket !== request.location.bucket ||
            trimSlashes(creds.scope.ehr.prefix) !== trimSlashes(request.location.prefix)
          ) {
            throw new WorkstationError('CLOUD_ACCESS_DENIED', { reason: 'scope' });
          }
          fresh.current = creds;
          return creds;
        },
        { now: () => this.#o.now().getTime() },
      );
      this.#patients.set(id, (entry = fresh));
    }
    const creds = await entry.provider.get();
    const store = createObjectStore({
      endpoint: request.location.endpoint,
      region: request.location.region,
      credentials: entry.provider,
      timeoutMs: cloud.timeoutMs,
    });
    entry.stores.push(store);
    return { store, kind: 'emergency-access', expiresAt: creds.expiresAt };
  }

  /** The live, unexpired patient-scoped credentials for this patient (any clinician), or null. */
  livePatientCredentials(patientRef: string): ScopedCredentials<PatientScope> | null {
    this.#sweepExpired();
    for (const e of this.#patients.values()) if (e.patientRef === patientRef && e.current) return e.current;
    return null;
  }

  /**
   * The store the outbox sends a patient's additions with. emergency-access: the patient's live
   * scoped credentials (ACCESS_NOT_GRANTED when none: the item waits for the record to be opened again).
   */
  uploadStore(target: { endpoint: string; region: string }, patientRef: string): ObjectStore {
    const id = this.#client
      ? `${target.endpoint}|${target.region}|${patientRef}`
      : `${target.endpoint}|${target.region}`;
    let store = this.#uploadStores.get(id);
    if (!store) {
      const credentials: CredentialProvider = this.#client
        ? {
            kind: 'emergency-access',
            get: async () => {
              const live = this.livePatientCredentials(patientRef);
              if (!live) throw new WorkstationError('ACCESS_NOT_GRANTED');
              return live;
            },
            invalidate() {},
          }
        : this.#workstationProvider;
      store = createObjectStore({
        endpoint: target.endpoint,
        region: target.region,
        credentials,
        timeoutMs: this.#o.cloud.timeoutMs,
      });
      this.#uploadStores.set(id, store);
    }
    return store;
  }

  /** The store the audit shipper writes with (emergency-access: PutObject on its own audit prefix only). */
  auditStore(endpoint: string): ObjectStore {
    const id = `audit|${endpoint}`;
    let store = this.#uploadStores.get(id);
    if (!store)
      this.#uploadStores.set(
        id,
        (store = createObjectStore({
          endpoint,
          region: this.#o.cloud.region,
          credentials: this.#workstationProvider,
          timeoutMs: this.#o.cloud.timeoutMs,
        })),
      );
    return store;
  }

  /** Close of a record: its patient-scoped credentials are forgotten (all clinicians). */
  dropPatient(patientRef: string): void {
    for (const [id, e] of this.#patients) if (e.patientRef === patientRef) this.#drop(id, e);
  }

  /** Lock, sign-out: everything that clinician obtained is forgotten. */
  dropClinician(fingerprint: string): void {
    for (const [id, e] of this.#patients) if (e.clinician === fingerprint) this.#drop(id, e);
    this.#clinicianProviders.get(fingerprint)?.invalidate();
    this.#clinicianProviders.delete(fingerprint);
    if (this.#client) this.#workstationProvider.invalidate();
  }

  dropAll(): void {
    for (const [id, e] of this.#patients) this.#drop(id, e);
    this.#clinicianProviders.clear();
    this.#workstationProvider.invalidate();
  }

  close(): void {
    this.dropAll();
    this.#uploadStores.forEach((s) => s.close());
    this.#uploadStores.clear();
  }

  #drop(id: string, e: PatientEntry): void {
    e.dropped = true;
    e.current = null;
    e.provider.invalidate();
    e.stores.forEach((s) => s.close());
    this.#patients.delete(id);
  }

  /** Credentials past their expiry are never presented: the entry is dropped at expiry. */
  #sweepExpired(): void {
    const t = this.#o.now().getTime();
    for (const [id, e] of this.#patients) if (e.current && e.current.expiresAt.getTime() <= t) this.#drop(id, e);
  }

  #requireClinician(): ClinicianAccess {
    const c = this.#o.clinician();
    if (!c) throw new WorkstationError('NOT_SIGNED_IN');
    return c;
  }

  #auditProvider(client: EmergencyAccessClient): CredentialProvider {
    return cachingCredentialProvider(
      'emergency-access',
      (signal) =>
        client.workstation({ prover: this.#requireClinician(), workstationId: this.#o.workstationId, signal }),
      {
        now: () => this.#o.now().getTime(),
      },
    );
  }

  #legacyProvider(
    sessionName: string,
    tls: () => ClientTlsIdentity,
    region = this.#o.cloud.region,
  ): CredentialProvider {
    const config = this.#o.cloud.credentials;
    if (config.kind === 'emergency-access') throw new WorkstationError('INTERNAL_ERROR');
    return createCredentialProvider(config, {
      mode: this.#o.mode,
      region,
      roleSessionName: sessionName.replace(/[^\w+=,.@-]/g, '-').slice(0, 64),
      clinicianIdentity: tls,
      timeoutMs: this.#o.cloud.timeoutMs,
    });
  }
}

export type { TemporaryCredentials };
