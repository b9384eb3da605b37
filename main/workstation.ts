import { join } from 'node:path';
import {
  type LoadedConfig,
  UserSettings,
  resolveConfigPath,
  currentStartupDecision,
  userConfigPath,
} from './config/index';
import { DiagnosticsService } from './diagnostics/index';
import { type Db, FileKeyStore, RecordCache, type WorkstationKeyStore } from './cache/index';
import {
  AuditShipper,
  AuditTrail,
  auditSignerFromWorkstationKey,
  type AuditSigner,
  startAuditChain,
  type AuditChainStatus,
} from './audit/index';
import { ClinicianVerifier, CrlCache, stopKdfWorkers } from './pki/index';
import type { AttachmentSource } from './viewer/index';
import { createHriClient } from './hri/index';
import { readTrustedCas } from './net/index';
import { RecordFreshness } from './record/index';
import { CloudAccess, createLimiter, type ClinicianAccess } from './cloud/index';
import {
  AdditionsService,
  OutboxSender,
  signDetachedJws,
  openStorageWithOutbox,
  type StorageReport,
} from './additions/index';
import { ClinicianSession, IdleLock, tlsIdentityOf, type SignedInClinician } from './session/index';
import type { PrintAdapter } from './print/index';
import { toErrorInfo } from '../common/errors';
import { EmergencyService } from './open-record/index';
import { prewarmEmergencyViewWorkers, stopEmergencyViewWorkers } from './fhir/index';
import { ShlService, scanAny } from './shl/index';
import { startSerialScanner, type SerialScannerHandle } from './scanner/index';
import { WorkstationEvents } from './events';
import { createLogger, type Logger } from './log';

/**
 * The composition root of the main-process services: plain Node, no Electron. The Electron
 * app, the browser harness and the CLI all build the workstation here, so every entry point
 * runs the same handlers.
 */
export interface WorkstationOptions {
  loaded: LoadedConfig;
  /** Where the database, logs and caches live (Electron: app.getPath('userData')). */
  dataDir: string;
  version: string;
  logger?: Logger;
  clock?: () => Date;
  /** The key that encrypts the cache at rest: Electron safeStorage in the app, a key file elsewhere. */
  keyStore?: WorkstationKeyStore;
  /** Timers and devices (retention purge, audit shipping, serial scanner, idle lock); off for one-shot CLI runs. */
  background?: boolean;
  /** Seconds since the last input on the machine (Electron: powerMonitor.getSystemIdleTime). */
  systemIdleSeconds?: () => number;
  /** How the app prints its window (Electron); none elsewhere: the page prints itself. */
  printer?: () => PrintAdapter | null;
}

export interface Workstation {
  readonly loaded: LoadedConfig;
  readonly dataDir: string;
  readonly version: string;
  readonly events: WorkstationEvents;
  readonly log: Logger;
  readonly db: Db;
  readonly now: () => Date;
  readonly cache: RecordCache;
  readonly audit: AuditTrail;
  readonly auditShipper: AuditShipper | null;
  readonly verifier: ClinicianVerifier;
  readonly session: ClinicianSession;
  /** The idle lock in main (session.idleLockMinutes), whatever the renderer does. */
  readonly idleLock: IdleLock;
  readonly emergency: EmergencyService;
  /** The viewer's attachment route (main/viewer): the open record's cached attachments, streamed. */
  readonly attachments: AttachmentSource;
  /** SMART Health Links: scanned and opened through the emergency service's access handling. */
  readonly shl: ShlService;
  readonly cloud: CloudAccess;
  /** The print adapter of the app's window, if any. */
  printer(): PrintAdapter | null;
  readonly additions: AdditionsService;
  readonly outboxSender: OutboxSender;
  /** What start-up found: a quarantined database, additions recovered from the outbox spool (Diagnostics shows it). */
  readonly storage: StorageReport;
  /** The audit chain: its id, the reset recorded at this start, the start-up verification (Diagnostics). */
  readonly auditChain: AuditChainStatus;
  /** The workstation's audit signing public key (Ed25519, base64url), for IT to pin. */
  readonly auditPublicKey: string;
  /** The clinician-adjustable settings in the per-user configuration file. */
  readonly settings: UserSettings;
  /** What the Diagnostics screen shows. */
  readonly diagnostics: DiagnosticsService;
  close(): Promise<void>;
}

export function createWorkstation(options: WorkstationOptions): Workstation {
  const log = options.logger ?? createLogger('hcp');
  const now = options.clock ?? (() => new Date());
  const { loaded } = options;
  const config = loaded.config;
  const keyStore = options.keyStore ?? new FileKeyStore(join(options.dataDir, 'workstation.key'));
  const {
    db,
    outbox,
    report: storage,
  } = openStorageWithOutbox({
    file: join(options.dataDir, 'workstation.sqlite'),
    spoolDir: join(options.dataDir, 'outbox'),
    now,
    workstationKey: keyStore.loadOrCreateKey(),
  });
  if (storage.quarantinedTo)
    log.warn('database was unreadable and has been quarantined', { quarantinedTo: storage.quarantinedTo });
  if (storage.outbox.recovered || storage.outbox.unrecoverable) {
    log.warn('outbox: unsent additions recovered from the spool', {
      recovered: storage.outbox.recovered,
      unrecoverable: storage.outbox.unrecoverable,
    });
  }
  const events = new WorkstationEvents();
  // A "not configured" app (no machine file) runs nothing in the background on the built-in defaults.
  const background = (options.background ?? true) && currentStartupDecision(loaded).kind !== 'not-configured';

  const audit = new AuditTrail({
    db,
    workstationId: config.hospital.workstationId,
    site: config.hospital.name,
    now,
    log: log.child('audit'),
    workstationKey: keyStore.loadOrCreateKey(),
  });
  const auditSigner = auditSignerFromWorkstationKey(keyStore.loadOrCreateKey());
  const anchorFile = join(options.dataDir, 'audit-anchor.json');
  const { status: auditChain } = startAuditChain({
    db,
    trail: audit,
    anchorFile,
    quarantinedTo: storage.quarantinedTo,
    now,
    log: log.child('audit'),
  });
  const cache = new RecordCache({
    db,
    keyStore,
    attachmentsDir: join(options.dataDir, 'cache'),
    retentionHours: config.cache.retentionHours,
    now,
    log: log.child('cache'),
    onPurge: (result, reason) =>
      audit.cachePurged({
        clinician: session.clinician?.audit ?? null,
        trigger: reason,
        records: result.records,
        attachments: result.attachments,
      }),
  });
  const verifier = new ClinicianVerifier(config.pki, {
    resolvePath: (p) => resolveConfigPath(loaded, p),
    crlCache: new CrlCache(db, { now }),
    now,
  });

  // TLS to the HRI, S3/STS and the emergency-access endpoint: the system's roots plus tls.trustedCas; keep-alive per host.
  const trustedCas = readTrustedCas(config.tls?.trustedCas ?? [], (p) => resolveConfigPath(loaded, p));
  const hri = createHriClient({ ...config.hri, ca: trustedCas });
  // The session knows nothing of emergency access: the emergency and SHL services subscribe to its
  // lock / sign-out (session.onAccessEnd), so the dependency runs one way.
  const session = new ClinicianSession({
    verifier,
    audit,
    events,
    afterSignOut: () => {
      hri.closeConnections();
      if (config.cache.purgeOnSignOut) cache.purgeAll('sign-out');
    },
  });
  // A signed-in clinician will open records: the view worker starts now, not during the first open.
  events.on('session.changed', (status) => {
    if (status.clinician && !status.locked) prewarmEmergencyViewWorkers();
  });
  // The one way to the cloud: record downloads, the outbox and the audit shipper (main/cloud/access.ts).
  const cloud = new CloudAccess({
    cloud: config.cloud,
    mode: config.mode,
    workstationId: config.hospital.workstationId,
    now,
    // session.require(): NOT_SIGNED_IN or SESSION_LOCKED, as the caller of the open would see it.
    clinician: () => clinicianAccessOf(session.require(), now),
    ca: trustedCas,
  });
  const emergency = new EmergencyService({
    config,
    session,
    cache,
    freshness: new RecordFreshness(db, now),
    audit,
    hri,
    cloud,
    limiter: createLimiter(config.cloud.concurrency),
    events,
    log: log.child('emergency'),
    now,
  });
  const shl = new ShlService({
    config,
    session,
    cache,
    audit,
    emergency,
    log: log.child('shl'),
    now,
    resolvePath: (p) => resolveConfigPath(loaded, p),
  });

  const outboxSender = new OutboxSender({
    outbox,
    storeFor: (target, patientRef) => cloud.uploadStore(target, patientRef),
    audit,
    onChange: (change) => events.emit('outbox.changed', change),
    log: log.child('outbox'),
  });
  const recovered =
    storage.outbox.recovered || storage.outbox.unrecoverable
      ? { recovered: storage.outbox.recovered, unrecoverable: storage.outbox.unrecoverable }
      : null;
  const additions = new AdditionsService({
    outbox,
    sender: outboxSender,
    workstation: { id: config.hospital.workstationId, site: config.hospital.name },
    now,
    recovery: recovered,
    stagingDir: join(options.dataDir, 'staging'),
    ...(config.additions ? { limits: config.additions } : {}),
  });
  // Staged attachment files do not outlive the session that staged them (a lock keeps the draft, and them).
  events.on('session.changed', (status) => {
    if (!status.clinician) void additions.discardStaged();
  });

  const auditShipper = config.cloud.defaultEndpoint
    ? createAuditShipper(options, db, cloud, log, auditSigner, anchorFile)
    : null;
  const idleLock = new IdleLock({
    minutes: () => config.session.idleLockMinutes,
    active: () => session.active,
    onIdle: () => session.lock('idle'),
    systemIdleSeconds: options.systemIdleSeconds,
  });
  // Serial scans are parsed here: the renderer gets the preview (or the refusal), never the QR text.
  const serialScan = (text: string, at: Date) => {
    let preview = null;
    let error = null;
    try {
      preview = scanAny({ emergency, shl }, text, 'serial');
    } catch (e) {
      error = toErrorInfo(e);
    }
    events.emit('scanner.serialScan', { at: at.toISOString(), preview, error });
  };

  let serial: SerialScannerHandle | null = null;
  if (background) {
    cache.start();
    auditShipper?.start();
    outboxSender.start();
    serial = startSerialScanner(config.scanner.serial, { events, log: log.child('scanner'), onScan: serialScan });
    idleLock.start();
  }

  return {
    loaded,
    dataDir: options.dataDir,
    version: options.version,
    events,
    log,
    db,
    now,
    cache,
    audit,
    auditShipper,
    verifier,
    session,
    idleLock,
    emergency,
    attachments: {
      access: (recordId, attachmentId) => emergency.viewerAccess(recordId, attachmentId),
      read: (recordId, attachmentId, start, end) => cache.attachmentRange(recordId, attachmentId, start, end),
    },
    shl,
    cloud,
    printer: () => options.printer?.() ?? null,
    additions,
    outboxSender,
    storage,
    auditChain,
    auditPublicKey: auditSigner.publicKey,
    settings: new UserSettings({ loaded, file: userConfigPath(options.dataDir) }),
    diagnostics: new DiagnosticsService({
      loaded,
      databaseFile: join(options.dataDir, 'workstation.sqlite'),
      now,
      auditChain,
      auditPublicKey: auditSigner.publicKey,
      auditShipper,
      storage,
    }),
    /** Never throws (a full disk, a failing device): each step is tried, failures are logged, the database lock is released. */
    async close() {
      const attempt = async (step: string, fn: () => unknown): Promise<void> => {
        try {
          await fn();
        } catch (e) {
          log.warn('close: step failed', { step, error: e instanceof Error ? e.message : String(e) });
        }
      };
      idleLock.stop();
      await attempt('sign-out', () => session.signOut());
      await attempt('staged-attachments', () => additions.discardStaged());
      await attempt('cache', () => cache.stop());
      await Promise.all([
        attempt('audit-shipper', () => auditShipper?.stop()),
        attempt('outbox', () => outboxSender.stop()),
        attempt('scanner', () => serial?.stop()),
      ]);
      await attempt('cloud', () => cloud.close());
      await attempt('hri', () => hri.closeConnections());
      await attempt('view-workers', () => stopEmergencyViewWorkers());
      await attempt('kdf-worker', () => stopKdfWorkers());
      await attempt('database', () => db.close());
    },
  };
}

/** The signed-in clinician as the cloud sees them: emergency-access proofs and mutual TLS, in main. */
function clinicianAccessOf(clinician: SignedInClinician, now: () => Date): ClinicianAccess {
  const { credential } = clinician;
  return {
    fingerprint: clinician.identity.fingerprint,
    prove: (claims) =>
      signDetachedJws(
        claims,
        {
          privateKey: credential.privateKey(),
          certificates: [credential.certificate.der, ...credential.chain.map((c) => c.der)],
        },
        now(),
      ),
    tls: () => tlsIdentityOf(credential),
  };
}

/**
 * Audit batches go to the home cloud's audit bucket through CloudAccess: the workstation's
 * scoped credentials (emergency-access: PutObject on its own audit prefix only, never a read).
 */
function createAuditShipper(
  options: WorkstationOptions,
  db: Db,
  cloud: CloudAccess,
  log: Logger,
  signer: AuditSigner,
  anchorFile: string,
): AuditShipper {
  const config = options.loaded.config;
  const store = cloud.auditStore(config.cloud.defaultEndpoint!);
  return new AuditShipper({
    db,
    workstationId: config.hospital.workstationId,
    bucket: config.cloud.buckets.audit,
    batchSize: config.audit.batchSize,
    intervalMs: config.audit.shipIntervalSeconds * 1000,
    now: options.clock,
    log: log.child('audit-shipper'),
    signer,
    anchorFile,
    client: async () => ({
      // Conditional put (If-None-Match: *): an existing name is answered 412, as S3 does, never replaced.
      putObject: async (bucket: string, key: string, bytes: Buffer) => {
        const r = await store.put(bucket, key, bytes, {
          contentType: 'application/json',
          acl: 'bucket-owner-full-control',
          ifNoneMatch: true,
        });
        if (r.existed) throw Object.assign(new Error(`${key} exists`), { code: 'PreconditionFailed' });
        return r;
      },
    }),
  });
}
