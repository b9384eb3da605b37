import { readFile } from 'node:fs/promises';
import { WorkstationError, isWorkstationError, type ErrorCode } from '../../common/errors';
import { SHL_CONFIG_DEFAULTS, type HospitalConfig } from '../../common/config/schema';
import type { EmergencyView } from '../../common/emergency-view';
import type {
  AccessReason,
  OpenRecord,
  ScanPreview,
  ScanSource,
  ShlProvenance,
} from '../../common/ipc/channels/emergency';
import { buildEmergencyViewOffThread, cachedEmergencyViewOffThread } from '../fhir';
import type { RecordCache } from '../cache/index';
import type { AuditTrail } from '../audit/index';
import type { Logger } from '../log';
import type { ClinicianSession, SignedInClinician } from '../session/index';
import {
  PendingScans,
  cacheBindingCheck,
  cacheBindingMatches,
  type EmergencyService,
  type ExternalRecord,
} from '../open-record/index';
import { isShlCandidate, parseShlink, type ShlFlag, type ShlPayload } from './payload';
import { readShl, type ShlDocument } from './reader';

/**
 * The SMART Health Link use case: scan (parse and check, nothing fetched) -> break the glass ->
 * manifest with the clinician's passcode -> files -> decrypt -> verify -> the same emergency view,
 * cached and audited like a record. The grant, the audit of access and the close/lock/expiry
 * handling are EmergencyService's (openExternal); the link's key stays here (scanId).
 */
export interface ShlServiceDeps {
  config: HospitalConfig;
  session: ClinicianSession;
  cache: RecordCache;
  audit: AuditTrail;
  emergency: EmergencyService;
  log: Logger;
  now: () => Date;
  /** Resolves a configured file path (shl.trustedCas). */
  resolvePath: (path: string) => string;
}

interface PendingShl {
  payload: ShlPayload;
  patientRef: string;
}

/** After these the link cannot be opened with this scan (the server or the payload said so). */
const FINAL: ReadonlySet<ErrorCode> = new Set([
  'SHL_PASSCODE_EXHAUSTED',
  'SHL_NO_LONGER_VALID',
  'SHL_DECRYPT_FAILED',
  'SHL_CARD_SIGNATURE_INVALID',
]);

export class ShlService {
  /** A scan dropped (opened, final refusal, expired, lock/sign-out) has the link's key wiped. */
  readonly #scans: PendingScans<PendingShl>;
  #ca: Promise<string[]> | null = null;

  constructor(private readonly deps: ShlServiceDeps) {
    this.#scans = new PendingScans({ now: deps.now, dispose: (scan) => scan.payload.key.fill(0) });
    deps.session.onAccessEnd(() => this.endAccess());
  }

  /** Whether a scan's text is (or was meant to be) a SMART Health Link: the handlers route it here. */
  static recognises(text: string): boolean {
    return isShlCandidate(text);
  }

  owns(scanId: string): boolean {
    return this.#scans.has(scanId);
  }

  scan(text: string, source: ScanSource): ScanPreview {
    const clinician = this.deps.session.clinician;
    const payload = this.deps.audit.scanned({ clinician: clinician?.audit ?? null, source }, () =>
      parseShlink(text, {
        now: this.deps.now(),
        clockSkewSeconds: this.deps.config.pki.clockSkewSeconds,
        wedge: source === 'wedge',
      }),
    );
    // The link (its manifest URL) names what is shared; its reference keys the cache like a pseudonym.
    const patientRef = this.deps.cache.patientRef(`shl:${payload.url}`);
    const scanId = this.#scans.add({ payload, patientRef });
    return {
      scanId,
      patientRef,
      issuedAt: this.deps.now().toISOString(),
      expiresAt: payload.expiresAt?.toISOString() ?? null,
      cached: this.deps.cache.findByPatientRef(patientRef) !== null,
      shl: {
        host: new URL(payload.url).host,
        label: payload.label,
        passcodeRequired: payload.flags.has('P'),
        flags: [...payload.flags].sort() as ShlFlag[],
      },
    };
  }

  /**
   * Break the glass and read the link. A P link without a passcode is refused before any access
   * starts; a wrong passcode keeps the scan (the clinician may try again while the server allows).
   */
  async open(scanId: string, reason: AccessReason, passcode?: string): Promise<OpenRecord> {
    this.deps.session.require();
    const scan = this.#scans.require(scanId);
    if (scan.payload.flags.has('P') && !passcode) throw new WorkstationError('SHL_PASSCODE_REQUIRED');
    try {
      const view = await this.deps.emergency.openExternal(scan.patientRef, reason, (clinician) =>
        this.#read(scan, clinician, passcode),
      );
      this.#scans.delete(scanId);
      return view;
    } catch (e) {
      if (isWorkstationError(e) && FINAL.has(e.code)) this.#scans.delete(scanId);
      throw e;
    }
  }

  /** Lock or sign-out: pending links (and their keys) are dropped. */
  endAccess(): void {
    this.#scans.clear();
  }

  async #read(scan: PendingShl, clinician: SignedInClinician, passcode: string | undefined): Promise<ExternalRecord> {
    const { config, audit, cache } = this.deps;
    const shlConfig = config.shl ?? SHL_CONFIG_DEFAULTS;
    const host = new URL(scan.payload.url).host;
    const patientRef = scan.patientRef;
    const cached = cache.findByPatientRef(patientRef);
    let docs: ShlDocument[];
    try {
      docs = await readShl(scan.payload, {
        recipient: `${clinician.identity.name}, ${config.hospital.name}`,
        passcode,
        http: { ca: await this.#trustedCas(), timeoutMs: shlConfig.timeoutMs, maxBytes: shlConfig.maxBytes },
        maxInflateBytes: shlConfig.maxInflateBytes,
        onFetched: (step) =>
          audit.objectDownloaded({
            clinician: clinician.audit,
            patientRef,
            bucket: `shl:${step.host}`,
            objectKey: `${step.what}:${step.path}`,
            bytes: step.bytes,
          }),
      });
    } catch (e) {
      const code: ErrorCode = isWorkstationError(e) ? e.code : 'INTERNAL_ERROR';
      audit.objectDownloaded({
        clinician: clinician.audit,
        patientRef,
        bucket: `shl:${host}`,
        objectKey: 'manifest',
        failure: { code },
      });
      // Unreachable, and a copy was read from this link before: show it with its age (never around a refusal).
      if (code === 'SHL_UNREACHABLE' && cached)
        return fromCache(cached, code, { audit, clinician, patientRef, key: scan.payload.key });
      throw e;
    }

    // The first file that makes a patient summary is shown (a link may also carry other resources).
    let lastError: unknown = null;
    for (const doc of docs) {
      let view: EmergencyView;
      try {
        view = (await buildEmergencyViewOffThread(doc.bundle)).view;
      } catch (e) {
        lastError = e;
        continue;
      }
      const shl: ShlProvenance = {
        host,
        label: scan.payload.label,
        contentType: doc.contentType,
        card: doc.card ? { issuer: new URL(doc.card.issuer).host, verified: doc.card.verified } : null,
      };
      const fetchedAt = this.deps.now();
      // Bound to the link's key like our QR's copy to its master key: offline, only this link opens it.
      cache.put({
        recordId: patientRef,
        patientRef,
        manifestVersion: 0,
        fetchedAt,
        view,
        manifest: { shl },
        ips: Buffer.from(doc.bundle, 'utf8'),
        qrCheck: cacheBindingCheck(scan.payload.key, patientRef),
      });
      return { recordId: patientRef, source: 'shl', fetchedAt, offlineReason: null, view, shl };
    }
    throw lastError ?? new WorkstationError('SHL_NO_SUPPORTED_CONTENT');
  }

  #trustedCas(): Promise<string[]> {
    const files = (this.deps.config.shl ?? SHL_CONFIG_DEFAULTS).trustedCas;
    this.#ca ??= Promise.all(files.map((f) => readFile(this.deps.resolvePath(f), 'utf8')));
    // A file that cannot be read is reported each time (not cached as an empty trust list).
    return this.#ca.catch((e: unknown) => {
      this.#ca = null;
      this.deps.log.warn('shl.trustedCas could not be read', { code: (e as { code?: string }).code ?? 'unknown' });
      throw new WorkstationError('CONFIG_FILE_UNREADABLE', { key: 'shl.trustedCas' });
    });
  }
}

async function fromCache(
  cached: NonNullable<ReturnType<RecordCache['findByPatientRef']>>,
  reason: ErrorCode,
  ctx: { audit: AuditTrail; clinician: SignedInClinician; patientRef: string; key: Uint8Array },
): Promise<ExternalRecord> {
  const audited = {
    clinician: ctx.clinician.audit,
    patientRef: ctx.patientRef,
    recordId: cached.recordId,
    ageMs: cached.ageMs,
    offline: true,
  };
  if (!cacheBindingMatches(ctx.key, cached.recordId, cached.qrCheck)) {
    ctx.audit.cacheOpened({ ...audited, failure: { code: 'CACHE_QR_MISMATCH' } });
    throw new WorkstationError('CACHE_QR_MISMATCH', { offline: reason });
  }
  const view = await cachedEmergencyViewOffThread(cached.view, cached.ips);
  const shl = (cached.manifest as { shl?: ShlProvenance } | null)?.shl;
  if (!view || !shl) throw new WorkstationError('CACHE_CORRUPT');
  ctx.audit.cacheOpened(audited);
  return { recordId: cached.recordId, source: 'cache', fetchedAt: cached.fetchedAt, offlineReason: reason, view, shl };
}

/**
 * The one scan entry for every input path (IPC paste/wedge/image, the serial scanner in main, the
 * CLI): a SMART Health Link (intact, or garbled by a keyboard layout) goes to main/shl, the rest
 * is our QR.
 */
export function scanAny(
  services: { emergency: Pick<EmergencyService, 'scan'>; shl: ShlService },
  text: string,
  source: ScanSource,
): ScanPreview {
  return ShlService.recognises(text) ? services.shl.scan(text, source) : services.emergency.scan(text, source);
}
