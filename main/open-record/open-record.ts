import { channel } from 'node:diagnostics_channel';
import { Readable } from 'node:stream';
import { WorkstationError, isWorkstationError, type ErrorCode } from '../../common/errors';
import type * as fhir4 from 'fhir/r4';
import { buildEmergencyViewOffThread, cachedRecordViewOffThread } from '../fhir';
import type { EmergencyView as EmergencyViewT } from '../../common/emergency-view';
import { decideHriFallback, cloudHintFromQr, type CloudLocation, type HriClient } from '../hri/index';
import { bufferSink, downloadAndDecrypt, type Limiter, type ObjectStore } from '../cloud/index';
import {
  auditObjectName,
  ipsSummaryEntry,
  manifestObjectKey,
  objectAssociatedData,
  openManifest,
  recordObjectKey,
  type RecordFreshness,
  type RecordManifest,
} from '../record/index';
import type { EmergencyQrPayload } from '../emergency/index';
import { cacheBindingCheck, cacheBindingMatches } from './cache-binding';
import { parseCachedManifest, requireCachedManifest } from './cached-manifest';
import type { CachedRecord, RecordCache } from '../cache/index';
import type { AuditClinician, AuditTrail } from '../audit/index';

/**
 * The emergency data path as one function: HRI -> credentials -> manifest -> IPS summary ->
 * view model -> cache. Every object is authenticated and checked against the manifest before its
 * contents are used; a copy from the cache is offered only when the HRI or the cloud is
 * unreachable (never around a refusal: a withdrawn record or a revoked token stays refused).
 */
export interface OpenRecordDeps {
  hri: HriClient;
  /** The object store of a cloud location, with credentials for this clinician (cached by the caller). */
  storeFor(location: CloudLocation): Promise<ObjectStore>;
  cache: RecordCache;
  /** Highest manifest version and signer seen per patient (never purged): replays are refused. */
  freshness: RecordFreshness;
  audit: AuditTrail;
  limiter: Limiter;
  /** Config region and EHR bucket, and the hosts a QR cloud hint may name (main/hri/fallback.ts). */
  defaults: { region: string; ehrBucket: string; hintHosts: readonly string[] };
  now: () => Date;
}

export interface OpenRecordInput {
  qr: EmergencyQrPayload;
  patientRef: string;
  clinician: AuditClinician;
  signal?: AbortSignal;
}

export interface OpenedRecord {
  recordId: string;
  source: 'cloud' | 'cache';
  fetchedAt: Date;
  offlineReason: ErrorCode | null;
  manifest: RecordManifest;
  manifestSigned: boolean;
  view: EmergencyViewT;
  /** The IPS's reference to its Patient, from the view build in the worker (null: none): what an addition refers to. */
  patient: fhir4.Reference | null;
  /** Where the record lives (null when opened from the cache without a cloud). */
  location: CloudLocation | null;
}

/**
 * Per-step timings of an open, for `bench:open` (scripts/bench/open.ts): `{ step, ms }` with step
 * hri | credentials | manifest | summary | view | cache. Published only while someone subscribes.
 */
export const OPEN_STEP_CHANNEL = 'hcp:open-record:step';
const stepChannel = channel(OPEN_STEP_CHANNEL);
async function step<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  if (!stepChannel.hasSubscribers) return work();
  const t = performance.now();
  try {
    return await work();
  } finally {
    stepChannel.publish({ step: name, ms: performance.now() - t });
  }
}

/** Errors that mean "unreachable", after which a cached copy may be shown with its age. */
const UNREACHABLE: ReadonlySet<ErrorCode> = new Set(['CLOUD_UNAVAILABLE', 'HRI_UNAVAILABLE', 'HRI_TIMEOUT']);
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const MAX_IPS_BYTES = 64 * 1024 * 1024;

export async function openEmergencyRecord(deps: OpenRecordDeps, input: OpenRecordInput): Promise<OpenedRecord> {
  const { qr, patientRef, clinician } = input;
  const cached = deps.cache.findByPatientRef(patientRef);

  let location: CloudLocation;
  try {
    location = await step('hri', () =>
      deps.hri.lookupCloudLocation({
        citizenId: qr.citizenId,
        hriToken: qr.hriToken,
        masterKey: qr.masterKey,
        signal: input.signal,
      }),
    );
    deps.audit.hriLookup({ clinician, patientRef });
  } catch (e) {
    deps.audit.hriLookup({ clinician, patientRef, failure: { code: codeOf(e) } });
    const decision = decideHriFallback(e, {
      citizenId: qr.citizenId,
      hint: cloudHintFromQr(qr.cloudHint),
      hasCachedRecord: !!cached,
      defaults: deps.defaults,
      allowedHintHosts: deps.defaults.hintHosts,
    });
    if (decision.action === 'fail') throw decision.error;
    if (decision.action === 'use-cache') return fromCache(deps, cached, decision.reason, clinician, qr);
    location = decision.location;
  }

  try {
    return await fetchFromCloud(deps, input, location, cached);
  } catch (e) {
    const code = codeOf(e);
    if (cached && UNREACHABLE.has(code)) return fromCache(deps, cached, code, clinician, qr);
    throw e;
  }
}

async function fetchFromCloud(
  deps: OpenRecordDeps,
  input: OpenRecordInput,
  location: CloudLocation,
  cached: CachedRecord | null,
): Promise<OpenedRecord> {
  const { qr, patientRef, clinician, signal } = input;
  const store = await step('credentials', () => deps.storeFor(location));
  const key = { masterKey: qr.masterKey, citizenId: qr.citizenId };

  const manifestKey = manifestObjectKey(location.prefix);
  const manifestStarted = performance.now();
  const manifestContainer = await readSmallObject(store, location.bucket, manifestKey, signal);
  // The patient's key: bound by the patient (QR v2, sealed HRI location), else the one seen before.
  const seen = deps.freshness.get(patientRef);
  const bound = qr.patientKeyKid ?? location.patientKeyKid;
  if (qr.patientKeyKid && location.patientKeyKid && qr.patientKeyKid !== location.patientKeyKid)
    throw new WorkstationError('MANIFEST_SIGNATURE_INVALID', { reason: 'binding' });
  const cachedKid = cached ? parseCachedManifest(cached.manifest)?.patientKey?.kid : undefined;
  const verified = openManifest(manifestContainer, {
    ...key,
    requireSignature: bound !== undefined,
    expectedSignerKid: bound ?? seen?.signerKid ?? cachedKid,
  });
  deps.freshness.check(patientRef, verified);
  if (stepChannel.hasSubscribers) stepChannel.publish({ step: 'manifest', ms: performance.now() - manifestStarted });
  deps.audit.objectDownloaded({
    clinician,
    patientRef,
    bucket: location.bucket,
    objectKey: auditObjectName(location.prefix, manifestKey),
    bytes: manifestContainer.length,
  });

  const entry = ipsSummaryEntry(verified.manifest);
  const ipsKey = recordObjectKey(location.prefix, entry.id);
  const ips = await step('summary', () =>
    downloadAndDecrypt({
      store,
      bucket: location.bucket,
      key: ipsKey,
      keyParams: {
        masterKey: qr.masterKey,
        purpose: 'object',
        associatedData: objectAssociatedData(qr.citizenId, entry.id),
      },
      expected: { sha256: entry.sha256, size: entry.size, contentType: entry.contentType, id: entry.id },
      sink: bufferSink({ maxBytes: MAX_IPS_BYTES }),
      limiter: deps.limiter,
      signal,
    }),
  );
  deps.audit.objectDownloaded({
    clinician,
    patientRef,
    bucket: location.bucket,
    objectKey: auditObjectName(location.prefix, ipsKey),
    bytes: ips.plaintextLength,
  });

  // Parse + view build in a worker thread (a large IPS must not stall the main process); the bytes go there and back without a copy.
  const {
    view,
    patient,
    bytes: ipsBytes,
  } = await step('view', () => buildEmergencyViewOffThread(ips.value, { transfer: true }));
  const fetchedAt = deps.now();
  const recordId = patientRef;
  deps.freshness.accept(patientRef, verified);
  await step('cache', () =>
    deps.cache.put({
      recordId,
      patientRef,
      manifestVersion: verified.manifest.version,
      fetchedAt,
      view,
      manifest: verified.manifest,
      patient,
      ips: ipsBytes,
      qrCheck: cacheBindingCheck(qr.masterKey, recordId),
    }),
  );
  return {
    recordId,
    source: 'cloud',
    fetchedAt,
    offlineReason: null,
    manifest: verified.manifest,
    manifestSigned: verified.signer !== null,
    view,
    patient,
    location,
  };
}

async function fromCache(
  deps: OpenRecordDeps,
  cached: CachedRecord | null,
  reason: ErrorCode,
  clinician: AuditClinician,
  qr: EmergencyQrPayload,
): Promise<OpenedRecord> {
  if (!cached) throw new WorkstationError(reason);
  // Only the QR whose master key stored the copy opens it (a QR that merely names the citizen does not).
  if (!cacheBindingMatches(qr.masterKey, cached.recordId, cached.qrCheck)) {
    deps.audit.cacheOpened({
      clinician,
      patientRef: cached.patientRef,
      recordId: cached.recordId,
      ageMs: cached.ageMs,
      offline: true,
      failure: { code: 'CACHE_QR_MISMATCH' },
    });
    throw new WorkstationError('CACHE_QR_MISMATCH', { offline: reason });
  }
  const manifest = requireCachedManifest(cached.manifest);
  const shown = await cachedRecordViewOffThread(cached.view, cached.patient, cached.ips);
  if (!shown) throw new WorkstationError('CACHE_CORRUPT');
  deps.audit.cacheOpened({
    clinician,
    patientRef: cached.patientRef,
    recordId: cached.recordId,
    ageMs: cached.ageMs,
    offline: true,
  });
  return {
    recordId: cached.recordId,
    source: 'cache',
    fetchedAt: cached.fetchedAt,
    offlineReason: reason,
    manifest,
    manifestSigned: !!manifest.patientKey,
    view: shown.view,
    patient: shown.patient,
    location: null,
  };
}

async function readSmallObject(store: ObjectStore, bucket: string, key: string, signal?: AbortSignal): Promise<Buffer> {
  const stream: Readable = await store.getObject(bucket, key, { signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MANIFEST_BYTES) {
      stream.destroy();
      throw new WorkstationError('MANIFEST_INVALID', { reason: 'too large' });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function codeOf(e: unknown): ErrorCode {
  return isWorkstationError(e) ? e.code : 'INTERNAL_ERROR';
}
