import { WorkstationError, type ErrorCode } from '../../common/errors';
import type { HospitalConfig } from '../../common/config/schema';
import type {
  AccessReason,
  OpenRecord,
  ScanPreview,
  ScanSource,
  ShlProvenance,
} from '../../common/ipc/channels/emergency';
import { parseEmergencyQr, type EmergencyQrPayload } from '../emergency/index';
import type { CloudAccess, Limiter, ObjectStore } from '../cloud/index';
import type { RecordFreshness } from '../record/index';
import { allowedHintHosts, type HriClient } from '../hri/index';
import type { RecordCache } from '../cache/index';
import type { AuditTrail } from '../audit/index';
import type { WorkstationEvents } from '../events';
import type { Logger } from '../log';
import type { AccessEndReason, ClinicianSession, SignedInClinician } from '../session/index';
import type { SubmissionContext } from '../additions/index';
import type { PrintAdapter } from '../print/index';
import type { PatientLabel } from '../../common/patient-label';
import type { EmergencyView } from '../../common/emergency-view';
import { openEmergencyRecord, type OpenedRecord } from './open-record';
import { PendingScans } from './pending-scans';
import { EmergencyGrants } from './grants';
import { ATTACHMENT_ROLES, RecordAccess, type OpenState } from './record-access';
import type { ViewerAccessInput } from '../viewer/index';

export interface EmergencyServiceDeps {
  config: HospitalConfig;
  /** Read for the clinician; the service subscribes to its lock / sign-out (session.onAccessEnd). */
  session: ClinicianSession;
  cache: RecordCache;
  freshness: RecordFreshness;
  audit: AuditTrail;
  hri: HriClient;
  /** Per (clinician, patient) credentials and stores (main/cloud/access.ts). */
  cloud: CloudAccess;
  limiter: Limiter;
  events: WorkstationEvents;
  log: Logger;
  now: () => Date;
}

interface PendingScan {
  qr: EmergencyQrPayload;
  patientRef: string;
}

/** A record another reader fetched and checked (main/shl), for openExternal. */
export interface ExternalRecord {
  recordId: string;
  source: 'shl' | 'cache';
  fetchedAt: Date;
  offlineReason: ErrorCode | null;
  view: EmergencyView;
  shl: ShlProvenance;
}

/**
 * Scan -> break the glass -> open -> attachments -> close, for the signed-in clinician: the use
 * case over three services — the pending scans (PendingScans), the audited grants (EmergencyGrants)
 * and the open records (RecordAccess). The QR's key material stays in main (referred to by
 * scanId); the renderer receives view models and verified attachment bytes only. Access is
 * time-limited and ends on close, expiry, lock and sign-out, each audited (DCM 110127 start,
 * 110138 stop). The session does not know this service: it subscribes to the session's access end.
 */
export class EmergencyService {
  readonly #scans: PendingScans<PendingScan>;
  readonly #grants: EmergencyGrants;
  readonly #records: RecordAccess;
  /** Opens run one at a time: each waits for the one before it (see open()). */
  #openChain: Promise<unknown> = Promise.resolve();
  /** Bumped by endAccess (lock, sign-out): an open in flight across it must not stay open. */
  #epoch = 0;
  #lastEndReason: AccessEndReason = 'locked';

  constructor(private readonly deps: EmergencyServiceDeps) {
    this.#scans = new PendingScans({ now: deps.now });
    this.#grants = new EmergencyGrants({
      minutes: deps.config.session.emergencyAccessMinutes,
      audit: deps.audit,
      now: deps.now,
      onExpire: () => this.sweepExpired(),
    });
    this.#records = new RecordAccess(deps);
    deps.session.onAccessEnd((reason) => this.endAccess(reason));
  }

  scan(text: string, source: ScanSource): ScanPreview {
    const clinician = this.deps.session.clinician;
    const qr = this.deps.audit.scanned(
      { clinician: clinician?.audit ?? null, source },
      () =>
        parseEmergencyQr(text, {
          now: this.deps.now(),
          clockSkewSeconds: this.deps.config.pki.clockSkewSeconds,
        }).payload,
    );
    const patientRef = this.deps.cache.patientRef(qr.citizenId);
    const scanId = this.#scans.add({ qr, patientRef });
    return {
      scanId,
      patientRef,
      issuedAt: qr.issuedAt.toISOString(),
      expiresAt: qr.expiresAt?.toISOString() ?? null,
      cached: this.deps.cache.findByPatientRef(patientRef) !== null,
      patient: this.patientLabel(patientRef),
    };
  }

  /**
   * Opens run one at a time per workstation: a second open waits for the first to finish, then
   * closes it (its 110138 stop after its 110127 start) before starting its own access. So however
   * many opens arrive together, at most one access is open and every start has its stop.
   */
  open(scanId: string, reason: AccessReason): Promise<OpenRecord> {
    const run = this.#openChain.then(() => this.#openNow(scanId, reason));
    this.#openChain = run.catch(() => undefined);
    return run;
  }

  async #openNow(scanId: string, reason: AccessReason): Promise<OpenRecord> {
    const clinician = this.deps.session.require();
    const scan = this.#scans.require(scanId);
    this.#closeAll('closed');
    const epoch = this.#epoch;
    const grant = this.#grants.start(scan.patientRef, clinician.audit, reason);

    let store: ObjectStore | null = null;
    let opened: OpenedRecord;
    // Credentials do not wait for the HRI's answer: both start now (main/cloud/access.ts).
    this.deps.cloud.prefetchPatientCredentials({
      patientRef: scan.patientRef,
      citizenId: scan.qr.citizenId,
      hriToken: scan.qr.hriToken,
    });
    try {
      opened = await openEmergencyRecord(
        {
          hri: this.deps.hri,
          storeFor: async (location) => (store = await this.#records.storeFor(clinician, location, scan)),
          cache: this.deps.cache,
          freshness: this.deps.freshness,
          audit: this.deps.audit,
          limiter: this.deps.limiter,
          defaults: {
            region: this.deps.config.cloud.region,
            ehrBucket: this.deps.config.cloud.buckets.ehr,
            hintHosts: allowedHintHosts(this.deps.config),
          },
          now: this.deps.now,
        },
        { qr: scan.qr, patientRef: scan.patientRef, clinician: clinician.audit },
      );
    } catch (e) {
      // A lock or sign-out during the fetch stops it (no credentials are obtained for a locked session).
      this.#grants.stop(grant.grantId, epoch !== this.#epoch ? this.#lastEndReason : 'closed');
      (store as ObjectStore | null)?.close();
      throw e;
    }
    // The scan's key now belongs to the open record (wiped when the record is forgotten).
    this.#scans.delete(scanId);
    if (epoch !== this.#epoch) {
      // Locked or signed out while the record was being fetched: its access ends now, audited.
      this.#grants.stop(grant.grantId, this.#lastEndReason);
      (store as ObjectStore | null)?.close();
      scan.qr.masterKey.fill(0);
      this.deps.session.require();
      throw new WorkstationError('ACCESS_EXPIRED');
    }

    const cachedAttachments = new Set(
      this.deps.cache.get(opened.recordId)?.attachments.map((a) => a.attachmentId) ?? [],
    );
    const view: OpenRecord = {
      recordId: opened.recordId,
      patientRef: scan.patientRef,
      source: opened.source,
      fetchedAt: opened.fetchedAt.toISOString(),
      offlineReason: opened.offlineReason,
      integrity: { verified: true, manifestSigned: opened.manifestSigned, manifestVersion: opened.manifest.version },
      accessExpiresAt: grant.expiresAt.toISOString(),
      view: opened.view,
      attachments: opened.manifest.objects
        .filter((o) => ATTACHMENT_ROLES.has(o.role))
        .map((o) => ({
          id: o.id,
          title: o.title ?? o.contentType,
          contentType: o.contentType,
          size: o.size,
          created: o.created,
          state: cachedAttachments.has(o.id) ? 'verified' : 'not-downloaded',
        })),
    };
    this.#records.add({
      view,
      qr: scan.qr,
      manifest: opened.manifest,
      location: opened.location,
      patient: opened.patient,
      store,
      grantId: grant.grantId,
      downloads: new Map(),
    });
    return view;
  }

  /**
   * Open a record read by another path (SMART Health Links, main/shl/service.ts): the same
   * serialisation, break-the-glass grant, audit, lock/expiry/close handling as open(); `fetch`
   * does the reading. Such a record has no attachments and no home cloud (additions: SHL_READ_ONLY).
   */
  openExternal(
    patientRef: string,
    reason: AccessReason,
    fetch: (clinician: SignedInClinician) => Promise<ExternalRecord>,
  ): Promise<OpenRecord> {
    const run = this.#openChain.then(async () => {
      const clinician = this.deps.session.require();
      this.#closeAll('closed');
      const epoch = this.#epoch;
      const grant = this.#grants.start(patientRef, clinician.audit, reason);
      let opened: ExternalRecord;
      try {
        opened = await fetch(clinician);
      } catch (e) {
        // As in open(): a lock or sign-out during the fetch is the reason it stopped.
        this.#grants.stop(grant.grantId, epoch !== this.#epoch ? this.#lastEndReason : 'closed');
        throw e;
      }
      if (epoch !== this.#epoch) {
        this.#grants.stop(grant.grantId, this.#lastEndReason);
        this.deps.session.require();
        throw new WorkstationError('ACCESS_EXPIRED');
      }
      const view: OpenRecord = {
        recordId: opened.recordId,
        patientRef,
        source: opened.source,
        shl: opened.shl,
        fetchedAt: opened.fetchedAt.toISOString(),
        offlineReason: opened.offlineReason,
        integrity: { verified: true, manifestSigned: false, manifestVersion: 0 },
        accessExpiresAt: grant.expiresAt.toISOString(),
        view: opened.view,
        attachments: [],
      };
      this.#records.add({
        view,
        qr: null,
        manifest: null,
        location: null,
        patient: null,
        store: null,
        grantId: grant.grantId,
        downloads: new Map(),
      });
      return view;
    });
    this.#openChain = run.catch(() => undefined);
    return run;
  }

  /** The open record, if its access is still valid (expired access is closed and audited here). */
  current(): OpenRecord | null {
    const clinician = this.deps.session.clinician;
    if (!clinician) return null;
    this.sweepExpired();
    for (const [id, state] of this.#records.all()) {
      try {
        this.#grants.require(state.grantId, clinician.identity.fingerprint);
        return state.view;
      } catch {
        this.#close(id, 'clinician-changed');
      }
    }
    return null;
  }

  close(recordId: string): { closed: boolean } {
    return { closed: this.#close(recordId, 'closed') };
  }

  /** Async throughout: a refusal (locked, expired) is a rejected promise, as for every IPC answer. */
  async attachment(recordId: string, attachmentId: string): Promise<{ contentType: string; size: number }> {
    const clinician = this.deps.session.require();
    return this.#records.attachment(this.#require(recordId, clinician), attachmentId, clinician);
  }

  /**
   * What the viewer route (main/viewer) decides on, at each request and between the chunks it
   * streams: the session, whether the record is still open for this clinician (its grant live),
   * the manifest entry, the encrypted cache's copy. Never throws.
   */
  viewerAccess(recordId: string, attachmentId: string): ViewerAccessInput {
    const status = this.deps.session.status();
    const clinician = this.deps.session.clinician;
    const none = { recordOpen: false, listed: null, cached: null };
    if (!clinician) return { session: status.locked ? 'locked' : 'signed-out', ...none };
    let state: OpenState;
    try {
      state = this.#require(recordId, clinician);
    } catch {
      return { session: 'unlocked', ...none };
    }
    const entry = this.#records.listedAttachment(state, attachmentId);
    const cached = entry ? this.deps.cache.attachmentInfo(recordId, attachmentId) : null;
    return {
      session: 'unlocked',
      recordOpen: true,
      listed: entry ? { contentType: entry.contentType, size: entry.size } : null,
      cached: cached ? { bytes: cached.bytes } : null,
    };
  }

  cancelAttachment(recordId: string, attachmentId: string): { cancelled: boolean } {
    return this.#records.cancelAttachment(recordId, attachmentId);
  }

  /**
   * Name, birth date and sex of a patient reference, for the screens that list additions: from the
   * open record or the encrypted cache; only for a signed-in, unlocked clinician.
   */
  patientLabel(patientRef: string): PatientLabel | null {
    if (!this.deps.session.clinician) return null;
    return this.#records.patientLabel(patientRef);
  }

  /** Print or save as PDF: a disclosure, audited before anything leaves the screen. */
  async print(
    recordId: string,
    output: 'printer' | 'pdf',
    printer: PrintAdapter | null,
  ): Promise<{ handled: boolean; savedTo: string | null }> {
    const clinician = this.deps.session.require();
    return this.#records.print(this.#require(recordId, clinician), clinician, output, printer);
  }

  /** What an addition to the open record needs (RecordAccess.submissionContext), for the signed-in clinician. */
  submissionContext(recordId: string): SubmissionContext {
    const clinician = this.deps.session.require();
    return this.#records.submissionContext(this.#require(recordId, clinician), clinician);
  }

  /**
   * Close access whose time is up (audited as expired), its keys and record dropped. Called by the
   * grants' timers in main at each limit, locked or not, and before every use of a grant.
   */
  sweepExpired(): void {
    for (const g of this.#grants.sweepExpired()) {
      for (const [id, s] of this.#records.all()) {
        if (s.grantId !== g.grantId) continue;
        this.#records.forget(id);
        this.deps.events.emit('emergency.ended', { recordId: id, reason: 'expired' });
      }
    }
  }

  /**
   * Lock: nothing is served until unlock (session.require), pending scans and the credentials
   * made with the clinician's key are dropped, downloads stop; the grants and the record keys stay
   * until their limit (returns how many). Sign-out or another clinician: every open record is
   * closed (audited) as well.
   */
  endAccess(reason: AccessEndReason): number {
    this.#epoch++;
    this.#lastEndReason = reason;
    this.#scans.clear();
    this.deps.cloud.dropAll();
    if (reason === 'locked') {
      this.#records.suspend();
      return this.#grants.size;
    }
    for (const [id] of this.#records.all())
      if (this.#close(id, reason)) this.deps.events.emit('emergency.ended', { recordId: id, reason });
    return 0;
  }

  #require(recordId: string, clinician: SignedInClinician): OpenState {
    // Sweep first: grants.require() drops an expired grant without telling us, so sweeping after it
    // would never audit that stop (110138 expired).
    this.sweepExpired();
    const state = this.#records.get(recordId);
    if (!state) throw new WorkstationError('ACCESS_EXPIRED');
    try {
      this.#grants.require(state.grantId, clinician.identity.fingerprint);
    } catch (e) {
      this.#records.forget(recordId);
      throw e;
    }
    return state;
  }

  #close(recordId: string, reason: 'closed' | AccessEndReason): boolean {
    const state = this.#records.forget(recordId);
    if (!state) return false;
    this.#grants.stop(state.grantId, reason);
    return true;
  }

  #closeAll(reason: 'closed' | AccessEndReason): void {
    for (const [id] of this.#records.all()) this.#close(id, reason);
  }
}
