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
import { ConnectionPool } from '../net/index';
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
  /** Extra trusted CA certificates (PEM) for the servers' certificates (config `tls.trustedCas`). */
  ca?: readonly string[];
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
  /** Presented (to the outbox, livePatientCredentials) only once their scope matched the record's location. */
  current: ScopedCredentials<PatientScope> | null;
  /** The record's bucket and prefix, once patientStore() was asked for them. */
  expected: { bucket: string; prefix: string } | null;
  dropped: boolean;
  provider: CredentialProvider;
  stores: ObjectStore[];
}

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');
const scopeMatches = (creds: ScopedCredentials<PatientScope>, expected: { bucket: string; prefix: string }) =>
  creds.scope.ehr.bucket === expected.bucket && trimSlashes(creds.scope.ehr.prefix) === trimSlashes(expected.prefix);

export class CloudAccess {
  readonly #o: CloudAccessOptions;
  readonly #client: EmergencyAccessClient | null;
  /** emergency-access: key `${fingerprint}|${patientRef}`. */
  readonly #patients = new Map<string, PatientEntry>();
  /** Other kinds: one provider per clinician fingerprint. */
  readonly #clinicianProviders = new Map<string, CredentialProvider>();
  readonly #workstationProvider: CredentialProvider;
  readonly #uploadStores = new Map<string, ObjectStore>();
  /**
   * Keep-alive connections to S3, STS and the emergency-access endpoint, kept across opens and
   * shared by every store of an endpoint (SigV4 signs each request, so no credential rides on a
   * connection); mutual TLS has an agent per client certificate. Sign-out and lock close the idle
   * ones and the client-certificate agents; close() ends them all.
   */
  readonly #connections: ConnectionPool;

  constructor(options: CloudAccessOptions) {
    this.#o = options;
    this.#connections = new ConnectionPool({ ca: options.ca });
    const c = options.cloud.credentials;
    this.#client =
      c.kind === 'emergency-access'
        ? createEmergencyAccessClient({
            endpoint: c.endpoint,
            timeoutMs: options.cloud.timeoutMs,
            connections: this.#connections,
            now: options.now,
          })
        : null;
    this.#workstationProvider = this.#client
      ? this.#auditProvider(this.#client)
      : this.#legacyProvider(`hcp-ws-${options.workstationId}`, () => this.#requireClinician().tls());
  }

  get kind(): CredentialProvider['kind'] {
    return this.#o.cloud.credentials.kind;
  }

  /**
   * Starts obtaining this patient's credentials now, before the HRI has answered (the open runs the
   * two side by side: one round trip chain fewer). They do not depend on the HRI's answer: the
   * STS endpoint is the configuration's, the emergency-access request names the citizen and the
   * QR's token; the scope is checked against the record's location in patientStore(). A failure
   * here is not reported: patientStore() asks again and reports it.
   */
  prefetchPatientCredentials(request: Omit<PatientAccessRequest, 'location'>): void {
    let clinician: ClinicianAccess;
    try {
      clinician = this.#requireClinician();
    } catch {
      return;
    }
    const provider = this.#client
      ? this.#patientEntry(clinician, request).provider
      : this.#clinicianProvider(clinician, this.#o.cloud.region);
    provider.get().catch(() => {});
  }

  /** Credentials and a store to read this patient's record (and add to it) as the signed-in clinician. */
  async patientStore(request: PatientAccessRequest): Promise<PatientStore> {
    const clinician = this.#requireClinician();
    if (!this.#client) {
      const provider = this.#clinicianProvider(clinician, request.location.region);
      const creds = await provider.get();
      return {
        store: this.#store(request.location.endpoint, request.location.region, provider),
        kind: provider.kind,
        expiresAt: creds.expiresAt,
      };
    }
    const entry = this.#patientEntry(clinician, request);
    const expected = { bucket: request.location.bucket, prefix: request.location.prefix };
    entry.expected ??= expected;
    const creds = (await entry.provider.get()) as ScopedCredentials<PatientScope>;
    if (!scopeMatches(creds, expected)) {
      this.#drop(`${entry.clinician}|${entry.patientRef}`, entry);
      throw new WorkstationError('CLOUD_ACCESS_DENIED', { reason: 'scope' });
    }
    entry.current = creds;
    const store = this.#store(request.location.endpoint, request.location.region, entry.provider);
    entry.stores.push(store);
    return { store, kind: 'emergency-access', expiresAt: creds.expiresAt };
  }

  /** The legacy kinds: one provider per clinician. */
  #clinicianProvider(clinician: ClinicianAccess, region: string): CredentialProvider {
    let provider = this.#clinicianProviders.get(clinician.fingerprint);
    if (!provider)
      this.#clinicianProviders.set(
        clinician.fingerprint,
        (provider = this.#legacyProvider(`hcp-${clinician.fingerprint.slice(0, 16)}`, () => clinician.tls(), region)),
      );
    return provider;
  }

  /** emergency-access: the credentials of one (clinician, patient), fetched on first use. */
  #patientEntry(clinician: ClinicianAccess, request: Omit<PatientAccessRequest, 'location'>): PatientEntry {
    const id = `${clinician.fingerprint}|${request.patientRef}`;
    const existing = this.#patients.get(id);
    if (existing) return existing;
    const client = this.#client as EmergencyAccessClient;
    const fresh: PatientEntry = {
      clinician: clinician.fingerprint,
      patientRef: request.patientRef,
      current: null,
      expected: null,
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
        // Before the location is known (a prefetch), patientStore() checks the scope.
        if (fresh.expected) {
          if (!scopeMatches(creds, fresh.expected))
            throw new WorkstationError('CLOUD_ACCESS_DENIED', { reason: 'scope' });
          fresh.current = creds;
        }
        return creds;
      },
      { now: () => this.#o.now().getTime() },
    );
    this.#patients.set(id, fresh);
    return fresh;
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
      store = this.#store(target.endpoint, target.region, credentials);
      this.#uploadStores.set(id, store);
    }
    return store;
  }

  /** The store the audit shipper writes with (emergency-access: PutObject on its own audit prefix only). */
  auditStore(endpoint: string): ObjectStore {
    const id = `audit|${endpoint}`;
    let store = this.#uploadStores.get(id);
    if (!store)
      this.#uploadStores.set(id, (store = this.#store(endpoint, this.#o.cloud.region, this.#workstationProvider)));
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
    this.#connections.closeIdle();
  }

  /** Lock, sign-out, another clinician: every credential is forgotten, idle connections closed. */
  dropAll(): void {
    for (const [id, e] of this.#patients) this.#drop(id, e);
    this.#clinicianProviders.clear();
    this.#workstationProvider.invalidate();
    this.#connections.closeIdle();
  }

  close(): void {
    this.dropAll();
    this.#uploadStores.forEach((s) => s.close());
    this.#uploadStores.clear();
    this.#connections.destroy();
  }

  /** A store on the pooled connections of its endpoint. */
  #store(endpoint: string, region: string, credentials: CredentialProvider): ObjectStore {
    let agent;
    try {
      agent = this.#connections.agentFor(endpoint, { activeTimeoutMs: this.#o.cloud.timeoutMs });
    } catch {
      // Not a URL: createObjectStore refuses it with a typed error.
    }
    return createObjectStore({
      endpoint,
      region,
      credentials,
      timeoutMs: this.#o.cloud.timeoutMs,
      agent,
      now: () => this.#o.now().getTime(),
    });
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
      connections: this.#connections,
    });
  }
}

export type { TemporaryCredentials };
