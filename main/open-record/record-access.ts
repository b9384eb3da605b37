import { PassThrough } from 'node:stream';
import type * as fhir4 from 'fhir/r4';
import { WorkstationError, isWorkstationError } from '../../common/errors';
import type { HospitalConfig } from '../../common/config/schema';
import type { AttachmentInfo, OpenRecord } from '../../common/ipc/channels/emergency';
import type { EmergencyQrPayload } from '../emergency/index';
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
  type RecordManifest,
} from '../record/index';
import type { CloudLocation } from '../hri/index';
import type { RecordCache } from '../cache/index';
import type { AuditTrail } from '../audit/index';
import type { WorkstationEvents } from '../events';
import type { SignedInClinician } from '../session/index';
import type { SubmissionContext } from '../additions/index';
import { pdfFileName, type PrintAdapter } from '../print/index';
import { patientLabelOf, type PatientLabel } from '../../common/patient-label';
import { EmergencyView } from '../../common/emergency-view';

/** ATTACHMENT_TOO_LARGE naming both sizes, in bytes and in MB (2^20; the size rounded up, the limit down, one decimal). */
export function attachmentTooLarge(size: number, limit: number): WorkstationError {
  const mb = (n: number, round: (x: number) => number) => (round((n / 2 ** 20) * 10) / 10).toFixed(1);
  return new WorkstationError('ATTACHMENT_TOO_LARGE', {
    size,
    limit,
    sizeMb: mb(size, Math.ceil),
    limitMb: mb(limit, Math.floor),
  });
}

export const ATTACHMENT_ROLES: ReadonlySet<string> = new Set(['attachment', 'imaging']);

/** One open record: its view, its keys (from the QR), where it lives, its grant and downloads. */
export interface OpenState {
  view: OpenRecord;
  /** Null for a record read by another path (openExternal: SMART Health Links). */
  qr: EmergencyQrPayload | null;
  manifest: RecordManifest | null;
  location: CloudLocation | null;
  /** The IPS's reference to its Patient, kept from the open (the view build in the worker): an addition needs it. */
  patient: fhir4.Reference | null;
  store: ObjectStore | null;
  /** The store was dropped by a lock (its credentials used the clinician's key): made again on use. */
  reconnect?: boolean;
  grantId: string;
  downloads: Map<string, AbortController>;
}

export interface RecordAccessDeps {
  config: HospitalConfig;
  cache: RecordCache;
  audit: AuditTrail;
  /** Per (clinician, patient) credentials and stores (main/cloud/access.ts). */
  cloud: CloudAccess;
  limiter: Limiter;
  events: WorkstationEvents;
  now: () => Date;
}

/**
 * The records open at this workstation and what is done with them: attachments (downloaded,
 * verified, streamed into the encrypted cache), print, patient labels, the context of an addition.
 * Whether the clinician may still use a record (its grant) is the caller's check (EmergencyService).
 */
export class RecordAccess {
  readonly #open = new Map<string, OpenState>();

  constructor(private readonly deps: RecordAccessDeps) {}

  add(state: OpenState): void {
    this.#open.set(state.view.recordId, state);
  }

  get(recordId: string): OpenState | undefined {
    return this.#open.get(recordId);
  }

  /** Open records, oldest first. */
  all(): [recordId: string, state: OpenState][] {
    return [...this.#open.entries()];
  }

  /** Credentials and a store for a patient's record, as the clinician; obtaining them (or failing to) is audited. */
  async storeFor(
    clinician: SignedInClinician,
    location: CloudLocation,
    scan: { qr: EmergencyQrPayload; patientRef: string },
  ): Promise<ObjectStore> {
    const { cloud, audit } = this.deps;
    const patientRef = scan.patientRef;
    try {
      const access = await cloud.patientStore({
        patientRef,
        citizenId: scan.qr.citizenId,
        hriToken: scan.qr.hriToken,
        location,
      });
      audit.credentialsObtained({
        clinician: clinician.audit,
        patientRef,
        provider: access.kind,
        expiresAt: access.expiresAt,
      });
      return access.store;
    } catch (e) {
      audit.credentialsObtained({
        clinician: clinician.audit,
        patientRef,
        provider: cloud.kind,
        failure: { code: isWorkstationError(e) ? e.code : 'INTERNAL_ERROR' },
      });
      throw e;
    }
  }

  async attachment(
    state: OpenState,
    attachmentId: string,
    clinician: SignedInClinician,
  ): Promise<{ contentType: string; size: number }> {
    const recordId = state.view.recordId;
    const entry = this.listedAttachment(state, attachmentId);
    // A request naming an id the record does not list (or its summary): the caller's mistake, not a missing cloud object.
    if (!entry) throw new WorkstationError('ATTACHMENT_UNKNOWN');
    // Up to cache.maxAttachmentBytes (default 2 GB) is fetched, streamed through decryption into the
    // encrypted cache (bounded memory); the screen then streams it from there (main/viewer: the
    // hcp-attachment route, with ranges), never as one whole buffer.
    const limit = this.deps.config.cache.maxAttachmentBytes;
    if (entry.size > limit) throw attachmentTooLarge(entry.size, limit);
    const cached = this.deps.cache.attachmentInfo(recordId, attachmentId);
    if (!cached) await this.#download(state, entry, clinician);
    return { contentType: entry.contentType, size: entry.size };
  }

  /** The manifest entry of an attachment (or imaging object) the open record lists, or undefined. */
  listedAttachment(state: OpenState, attachmentId: string): ManifestObject | undefined {
    return state.manifest?.objects.find((o) => o.id === attachmentId && ATTACHMENT_ROLES.has(o.role));
  }

  cancelAttachment(recordId: string, attachmentId: string): { cancelled: boolean } {
    const controller = this.#open.get(recordId)?.downloads.get(attachmentId);
    controller?.abort();
    return { cancelled: !!controller };
  }

  /** Print or save as PDF: a disclosure, audited before anything leaves the screen. */
  async print(
    state: OpenState,
    clinician: SignedInClinician,
    output: 'printer' | 'pdf',
    printer: PrintAdapter | null,
  ): Promise<{ handled: boolean; savedTo: string | null }> {
    const recordId = state.view.recordId;
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

  /** Name, birth date and sex of a patient reference: from an open record or the encrypted cache. */
  patientLabel(patientRef: string): PatientLabel | null {
    const open = [...this.#open.values()].find((s) => s.view.patientRef === patientRef);
    if (open) return patientLabelOf(open.view.view.patient);
    const cached = this.deps.cache.findByPatientRef(patientRef);
    const parsed = cached ? EmergencyView.safeParse(cached.view) : null;
    return parsed?.success ? patientLabelOf(parsed.data.patient) : null;
  }

  /**
   * What an addition to the open record needs: the clinician's signing credential, the record's key
   * material and where its pending bucket is. A record opened from the cache (cloud down) queues its
   * additions for the home cloud; the outbox sends them when it is back. Nothing is read or parsed
   * here: the IPS's patient reference was kept from the open (a 30k-entry IPS took ~120 ms to
   * re-parse on the main thread, issue 17).
   */
  submissionContext(state: OpenState, clinician: SignedInClinician): SubmissionContext {
    const qr = qrOf(state);
    if (!state.patient) throw new WorkstationError('ADDITION_INVALID', { field: 'patient' });
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
      citizenId: qr.citizenId,
      masterKey: qr.masterKey,
      patientRef: state.view.patientRef,
      patient: state.patient,
      target: { endpoint, region: state.location?.region ?? config.cloud.region, bucket: config.cloud.buckets.pending },
    };
  }

  /** Lock: downloads stop and the stores made with the clinician's key are closed (made again after unlock). */
  suspend(): void {
    for (const state of this.#open.values()) {
      state.downloads.forEach((c) => c.abort());
      if (state.store) state.reconnect = true;
      state.store?.close();
      state.store = null;
    }
  }

  /** Drops an open record: downloads stop, its store and credentials go, its key is wiped. */
  forget(recordId: string): OpenState | null {
    const state = this.#open.get(recordId);
    if (!state) return null;
    state.downloads.forEach((c) => c.abort());
    state.store?.close();
    state.qr?.masterKey.fill(0);
    this.#open.delete(recordId);
    this.deps.cloud.dropPatient(state.view.patientRef);
    return state;
  }

  async #download(state: OpenState, entry: ManifestObject, clinician: SignedInClinician): Promise<void> {
    // After an unlock: new scoped credentials with the clinician's re-opened key.
    if (!state.store && state.reconnect && state.location) {
      state.store = await this.storeFor(clinician, state.location, {
        qr: qrOf(state),
        patientRef: state.view.patientRef,
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
      stored = cache.putAttachment(recordId, entry.id, entry.contentType, pipe, entry.size);
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
