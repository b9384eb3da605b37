import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { WorkstationError, isWorkstationError, type ErrorCode } from '../../common/errors';
import type { HospitalConfig } from '../../common/config/schema';
import type {
  AccessReason,
  AttachmentInfo,
  OpenRecord,
  ScanPreview,
  ScanSource,
  ShlProvenance,
} from '../../common/ipc/channels/emergency';
import { parseEmergencyQr, type EmergencyQrPayload } from '../emergency/index';
import {
  downloadAndDecrypt,
  type CloudAccess,
  type Limiter,
  type ObjectStore,
  type PlaintextSink,
} from '../cloud/index';
import {
  auditObjectName,
  objectAssociatedData,
  recordObjectKey,
  type ManifestObject,
  type RecordFreshness,
  type RecordManifest,
} from '../record/index';
import { allowedHintHosts, type CloudLocation, type HriClient } from '../hri/index';
import type { RecordCache } from '../cache/index';
import type { AuditTrail } from '../audit/index';
import type { WorkstationEvents } from '../events';
import type { Logger } from '../log';
import { AccessGrants } from '../session/access-grants';
import type { AccessEndReason, ClinicianSession, SignedInClinician } from '../session/clinician-session';
import { openEmergencyRecord, type OpenedRecord } from './open-record';
import { parseIpsBundle } from '../fhir/index';
import { patientReferenceOf, type SubmissionContext } from '../additions/index';
import { pdfFileName, type PrintAdapter } from '../print/index';
import { patientLabelOf, type PatientLabel } from '../../common/patient-label';
import { EmergencyView } from '../../common/emergency-view';

/** Attachments larger than this are kept in the encrypted cache but not sent to the screen whole. */
export const MAX_PREVIEW_BYTES = 64 * 1024 * 1024;
const SCAN_TTL_MS = 10 * 60_000;
const MAX_PENDING_SCANS = 20;

export interface EmergencyServiceDeps {
  config: HospitalConfig;
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
  at: number;
}

interface OpenState {
  view: OpenRecord;
  /** Null for a record read by another path (openExternal: SMART Health Links). */
  qr: EmergencyQrPayload | null;
  manifest: RecordManifest | null;
  location: CloudLocation | null;
  store: ObjectStore | null;
  /** The store was dropped by a lock (its credentials used the clinician's key): made again on use. */
  reconnect?: boolean;
  grantId: string;
  downloads: Map<string, AbortController>;
}

const ATTACHMENT_ROLES = new Set(['attachment', 'imaging']);

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
 * Scan -> break the glass -> open -> attachments -> close, for the signed-in clinician. The QR's
 * key material stays here (referred to by scanId); the renderer receives view models and verified
 * attachment bytes only. Access is time-limited and ends on close, expiry, lock and sign-out,
 * each audited (DCM 110127 start, 110138 stop).
 */
export class EmergencyService {
  readonly #scans = new Map<string, PendingScan>();
  readonly #open = new Map<string, OpenState>();
  readonly #grants: AccessGrants;
  /** Opens run one at a time: each waits for the one before it (see open()). */
  #openChain: Promise<unknown> = Promise.resolve();
  /** Bumped by endAccess (lock, sign-out): an open in flight across it must not stay open. */
  #epoch = 0;
  #lastEndReason: AccessEndReason = 'locked';

  constructor(private readonly deps: EmergencyServiceDeps) {
    this.#grants = new AccessGrants(
      deps.config.session.emergencyAccessMinutes,
      deps.now,
      () => randomBytes(12).toString('hex'),
      () => this.sweepExpired(),
    );
  }

  scan(text: string, source: ScanSource): ScanPreview {
    const clinician = this.deps.session.clinician;
    let qr: EmergencyQrPayload;
    try {
      qr = parseEmergencyQr(text, {
        now: this.deps.now(),
        clockSkewSeconds: this.deps.config.pki.clockSkewSeconds,
      }).payload;
    } catch (e) {
      this.deps.audit.qrScanned({
        clinician: clinician?.audit ?? null,
        source,
        failure: { code: isWorkstationError(e) ? e.code : 'INTERNAL_ERROR', severity: 'minor' },
      });
      throw e;
    }
    this.deps.audit.qrScanned({ clinician: clinician?.audit ?? null, source });
    this.#sweepScans();
    const scanId = randomBytes(16).toString('hex');
    const patientRef = this.deps.cache.patientRef(qr.citizenId);
    this.#scans.set(scanId, { qr, patientRef, at: Date.now() });
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
    const scan = this.#scans.get(scanId);
    if (!scan || Date.now() - scan.at > SCAN_TTL_MS) throw new WorkstationError('SCAN_EXPIRED');
    this.#closeAll('closed');
    const epoch = this.#epoch;
    const grant = this.#grants.start(scan.patientRef, clinician.audit, reason);
    this.deps.audit.emergencyAccessStarted({
      clinician: clinician.audit,
      patientRef: scan.patientRef,
      reasonCode: reason.code,
      reasonText: reason.text,
      until: grant.expiresAt,
    });

    let store: ObjectStore | null = null;
    let opened: OpenedRecord;
    try {
      opened = await openEmergencyRecord(
        {
          hri: this.deps.hri,
          storeFor: async (location) => (store = await this.#storeFor(clinician, location, scan)),
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
      this.#grants.end(grant.grantId);
      // A lock or sign-out during the fetch stops it (no credentials are obtained for a locked session).
      const stopped = epoch !== this.#epoch ? this.#lastEndReason : 'closed';
      this.deps.audit.emergencyAccessStopped({
        clinician: clinician.audit,
        patientRef: scan.patientRef,
        reason: stopped,
        startedAt: grant.startedAt,
      });
      (store as ObjectStore | null)?.close();
      throw e;
    }
    this.#scans.delete(scanId);
    if (epoch !== this.#epoch) {
      // Locked or signed out while the record was being fetched: its access ends now, audited.
      this.#grants.end(grant.grantId);
      this.deps.audit.emergencyAccessStopped({
        clinician: clinician.audit,
        patientRef: scan.patientRef,
        reason: this.#lastEndReason,
        startedAt: grant.startedAt,
      });
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
    this.#open.set(opened.recordId, {
      view,
      qr: scan.qr,
      manifest: opened.manifest,
      location: opened.location,
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
      this.deps.audit.emergencyAccessStarted({
        clinician: clinician.audit,
        patientRef,
        reasonCode: reason.code,
        reasonText: reason.text,
        until: grant.expiresAt,
      });
      const stop = (why: 'closed' | AccessEndReason) => {
        this.#grants.end(grant.grantId);
        this.deps.audit.emergencyAccessStopped({
          clinician: clinician.audit,
          patientRef,
          reason: why,
          startedAt: grant.startedAt,
        });
      };
      let opened: ExternalRecord;
      try {
        opened = await fetch(clinician);
      } catch (e) {
        // As in open(): a lock or sign-out during the fetch is the reason it stopped.
        stop(epoch !== this.#epoch ? this.#lastEndReason : 'closed');
        throw e;
      }
      if (epoch !== this.#epoch) {
        stop(this.#lastEndReason);
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
      this.#open.set(opened.recordId, {
        view,
        qr: null,
        manifest: null,
        location: null,
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
    for (const [id, state] of this.#open) {
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

  async attachment(recordId: string, attachmentId: string): Promise<{ contentType: string; dataBase64: string }> {
    const clinician = this.deps.session.require();
    const state = this.#require(recordId, clinician);
    const entry = state.manifest?.objects.find((o) => o.id === attachmentId && ATTACHMENT_ROLES.has(o.role));
    // A request naming an id the record does not list (or its summary): the caller's mistake, not a missing cloud object.
    if (!entry) throw new WorkstationError('ATTACHMENT_UNKNOWN');
    // Up to cache.maxAttachmentBytes (default 2 GB) is fetched, streamed through decryption into the
    // encrypted cache (bounded memory); only the whole-bytes answer to the screen is limited.
    const limit = this.deps.config.cache.maxAttachmentBytes;
    if (entry.size > limit) throw new WorkstationError('ATTACHMENT_TOO_LARGE', { size: entry.size, limit });
    const cached = this.deps.cache.get(recordId)?.attachments.some((a) => a.attachmentId === attachmentId);
    if (!cached) await this.#download(state, entry, clinician);
    if (entry.size > MAX_PREVIEW_BYTES)
      throw new WorkstationError('ATTACHMENT_TOO_LARGE', { size: entry.size, limit: MAX_PREVIEW_BYTES });
    const bytes = await this.deps.cache.readAttachment(recordId, attachmentId);
    return { contentType: entry.contentType, dataBase64: bytes.toString('base64') };
  }

  /**
   * Name, birth date and sex of a patient reference, for the screens that list additions: from the
   * open record or the encrypted cache; only for a signed-in, unlocked clinician.
   */
  patientLabel(patientRef: string): PatientLabel | null {
    if (!this.deps.session.clinician) return null;
    const open = [...this.#open.values()].find((s) => s.view.patientRef === patientRef);
    if (open) return patientLabelOf(open.view.view.patient);
    const cached = this.deps.cache.findByPatientRef(patientRef);
    const parsed = cached ? EmergencyView.safeParse(cached.view) : null;
    return parsed?.success ? patientLabelOf(parsed.data.patient) : null;
  }

  /** Print or save as PDF: a disclosure, audited before anything leaves the screen. */
  async print(
    recordId: string,
    output: 'printer' | 'pdf',
    printer: PrintAdapter | null,
  ): Promise<{ handled: boolean; savedTo: string | null }> {
    const clinician = this.deps.session.require();
    const state = this.#require(recordId, clinician);
    this.deps.audit.recordPrinted({
      clinician: clinician.audit,
      patientRef: state.view.patientRef,
      recordId,
      format: output === 'pdf' ? 'pdf' : 'print',
    });
    if (!printer) return { handled: false, savedTo: null };
    if (output === 'printer') {
      await printer.print();
      return { handled: true, savedTo: null };
    }
    return { handled: true, savedTo: await printer.savePdf(pdfFileName(recordId, this.deps.now())) };
  }

  cancelAttachment(recordId: string, attachmentId: string): { cancelled: boolean } {
    const controller = this.#open.get(recordId)?.downloads.get(attachmentId);
    controller?.abort();
    return { cancelled: !!controller };
  }

  /**
   * What an addition to the open record needs: the clinician's signing credential, the record's key
   * material and where its pending bucket is. A record opened from the cache (cloud down) queues its
   * additions for the home cloud; the outbox sends them when it is back.
   */
  submissionContext(recordId: string): SubmissionContext {
    const clinician = this.deps.session.require();
    const state = this.#require(recordId, clinician);
    qrOf(state);
    const cached = this.deps.cache.get(recordId);
    if (!cached) throw new WorkstationError('CACHE_RECORD_MISSING');
    const { config } = this.deps;
    const endpoint = state.location?.endpoint ?? config.cloud.defaultEndpoint;
    if (!endpoint) throw new WorkstationError('CLOUD_UNAVAILABLE');
    return {
      credential: clinician.credential,
      author: {
        name: clinician.identity.name,
        registration: clinician.identity.registrationNumber,
        certFingerprint: clinician.identity.fingerprint,
        roleText: clinician.identity.roleText,
      },
      citizenId: qrOf(state).citizenId,
      masterKey: qrOf(state).masterKey,
      patientRef: state.view.patientRef,
      patient: patientReferenceOf(parseIpsBundle(cached.ips)),
      target: { endpoint, region: state.location?.region ?? config.cloud.region, bucket: config.cloud.buckets.pending },
    };
  }

  /**
   * Close access whose time is up (audited as expired), its keys and record dropped. Called by the
   * grants' timers in main at each limit, locked or not, and before every use of a grant.
   */
  sweepExpired(): void {
    for (const g of this.#grants.sweepExpired()) {
      for (const [id, s] of this.#open) {
        if (s.grantId !== g.grantId) continue;
        this.#forget(id);
        this.deps.events.emit('emergency.ended', { recordId: id, reason: 'expired' });
      }
      this.deps.audit.emergencyAccessStopped({
        clinician: g.clinician,
        patientRef: g.patientRef,
        reason: 'expired',
        startedAt: g.startedAt,
      });
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
      for (const state of this.#open.values()) {
        state.downloads.forEach((c) => c.abort());
        if (state.store) state.reconnect = true;
        state.store?.close();
        state.store = null;
      }
      return this.#grants.size;
    }
    for (const id of [...this.#open.keys()])
      if (this.#close(id, reason)) this.deps.events.emit('emergency.ended', { recordId: id, reason });
    return 0;
  }

  async #download(state: OpenState, entry: ManifestObject, clinician: SignedInClinician): Promise<void> {
    // After an unlock: new scoped credentials with the clinician's re-opened key.
    if (!state.store && state.reconnect && state.location) {
      state.store = await this.#storeFor(clinician, state.location, {
        qr: qrOf(state),
        patientRef: state.view.patientRef,
        at: Date.now(),
      });
      state.reconnect = false;
    }
    if (!state.store || !state.location) throw new WorkstationError('CLOUD_UNAVAILABLE');
    const controller = new AbortController();
    state.downloads.set(entry.id, controller);
    const recordId = state.view.recordId;
    const progress = (received: number, state_: AttachmentInfo['state']) =>
      this.deps.events.emit('emergency.attachmentProgress', {
        recordId,
        attachmentId: entry.id,
        receivedBytes: received,
        totalBytes: entry.size,
        state: state_,
      });
    const objectKey = recordObjectKey(state.location.prefix, entry.id);
    try {
      progress(0, 'downloading');
      await downloadAndDecrypt({
        store: state.store,
        bucket: state.location.bucket,
        key: objectKey,
        keyParams: {
          masterKey: qrOf(state).masterKey,
          purpose: 'object',
          associatedData: objectAssociatedData(qrOf(state).citizenId, entry.id),
        },
        expected: { sha256: entry.sha256, size: entry.size, contentType: entry.contentType, id: entry.id },
        sink: cacheSink(this.deps.cache, recordId, entry),
        limiter: this.deps.limiter,
        signal: controller.signal,
        onProgress: (p) => progress(p.verifiedBytes, 'downloading'),
      });
      this.deps.audit.objectDownloaded({
        clinician: clinician.audit,
        patientRef: state.view.patientRef,
        bucket: state.location.bucket,
        objectKey: auditObjectName(state.location.prefix, objectKey),
        bytes: entry.size,
      });
      progress(entry.size, 'verified');
    } catch (e) {
      progress(0, 'failed');
      throw e;
    } finally {
      state.downloads.delete(entry.id);
    }
  }

  async #storeFor(clinician: SignedInClinician, location: CloudLocation, scan: PendingScan): Promise<ObjectStore> {
    const { cloud } = this.deps;
    const patientRef = scan.patientRef;
    try {
      const access = await cloud.patientStore({
        patientRef,
        citizenId: scan.qr.citizenId,
        hriToken: scan.qr.hriToken,
        location,
      });
      this.deps.audit.credentialsObtained({
        clinician: clinician.audit,
        patientRef,
        provider: access.kind,
        expiresAt: access.expiresAt,
      });
      return access.store;
    } catch (e) {
      this.deps.audit.credentialsObtained({
        clinician: clinician.audit,
        patientRef,
        provider: cloud.kind,
        failure: { code: isWorkstationError(e) ? e.code : 'INTERNAL_ERROR' },
      });
      throw e;
    }
  }

  #require(recordId: string, clinician: SignedInClinician): OpenState {
    // Sweep first: grants.require() drops an expired grant without telling us, so sweeping after it
    // would never audit that stop (110138 expired).
    this.sweepExpired();
    const state = this.#open.get(recordId);
    if (!state) throw new WorkstationError('ACCESS_EXPIRED');
    try {
      this.#grants.require(state.grantId, clinician.identity.fingerprint);
    } catch (e) {
      this.#forget(recordId);
      throw e;
    }
    return state;
  }

  #close(recordId: string, reason: 'closed' | AccessEndReason): boolean {
    const state = this.#open.get(recordId);
    if (!state) return false;
    const grant = this.#grants.end(state.grantId);
    this.#forget(recordId);
    if (grant)
      this.deps.audit.emergencyAccessStopped({
        clinician: grant.clinician,
        patientRef: grant.patientRef,
        reason,
        startedAt: grant.startedAt,
      });
    return true;
  }

  #closeAll(reason: 'closed' | AccessEndReason): void {
    for (const id of [...this.#open.keys()]) this.#close(id, reason);
  }

  #forget(recordId: string): void {
    const state = this.#open.get(recordId);
    if (!state) return;
    state.downloads.forEach((c) => c.abort());
    state.store?.close();
    state.qr?.masterKey.fill(0);
    this.#open.delete(recordId);
    this.deps.cloud.dropPatient(state.view.patientRef);
  }

  #sweepScans(): void {
    const now = Date.now();
    for (const [id, s] of this.#scans) if (now - s.at > SCAN_TTL_MS) this.#scans.delete(id);
    while (this.#scans.size >= MAX_PENDING_SCANS) this.#scans.delete(this.#scans.keys().next().value as string);
  }
}

/** The QR of a record opened from our QR; a SMART Health Link record has none (no home cloud). */
function qrOf(state: OpenState): EmergencyQrPayload {
  if (!state.qr) throw new WorkstationError('SHL_READ_ONLY');
  return state.qr;
}

/** Streams verified plaintext into the encrypted cache; nothing is kept when the download fails. */
function cacheSink(cache: RecordCache, recordId: string, entry: ManifestObject): PlaintextSink<void> {
  let pipe: PassThrough | null = null;
  let stored: Promise<unknown> | null = null;
  return {
    begin() {
      pipe = new PassThrough();
      stored = cache.putAttachment(recordId, entry.id, entry.contentType, pipe);
      stored.catch(() => undefined);
    },
    async write(plaintext) {
      if (!pipe!.write(plaintext)) await new Promise((r) => pipe!.once('drain', r));
    },
    async commit() {
      pipe!.end();
      await stored;
    },
    async abort() {
      pipe?.destroy(new WorkstationError('CANCELLED'));
      await stored?.catch(() => undefined);
    },
  };
}
