import { readFile, stat } from 'node:fs/promises';
import type { ErrorCode } from '../../common/errors';
import { isWorkstationError } from '../../common/errors';
import type { DiagnosticsStatus, Probe, TrustFile } from '../../common/ipc/channels/diagnostics';
import type { LoadedConfig } from '../config/index';
import type { AuditChainStatus, AuditShipper } from '../audit/index';
import type { StorageReport } from '../additions/index';
import { parseCertificates, parseCrls } from '../pki/index';

export interface DiagnosticsDeps {
  loaded: LoadedConfig;
  /** The database file (its size, with its WAL, is shown). */
  databaseFile: string;
  now: () => Date;
  auditChain: AuditChainStatus;
  auditPublicKey: string;
  auditShipper: Pick<AuditShipper, 'lastHead'> | null;
  storage: StorageReport;
}

/**
 * What IT sees on the Diagnostics screen: configuration sources, HRI and cloud reachability, the
 * trust files (read and parsed asynchronously: the main thread never waits on the disk), the
 * cache, the audit chain, the storage recovery and the scanners. Nothing sensitive.
 */
export class DiagnosticsService {
  constructor(private readonly deps: DiagnosticsDeps) {}

  async status(): Promise<DiagnosticsStatus> {
    const { loaded, databaseFile: db } = this.deps;
    const c = loaded.config;
    const [hri, cloud, trust, dbBytes, walBytes] = await Promise.all([
      probe(c.hri.url, c.hri.timeoutMs, 'HRI_UNAVAILABLE', 'HRI_TIMEOUT'),
      probe(c.cloud.defaultEndpoint, Math.min(c.cloud.timeoutMs, 10_000), 'CLOUD_UNAVAILABLE', 'CLOUD_UNAVAILABLE'),
      Promise.all([
        ...c.pki.trustAnchors.map((f) => trustFile('anchor', f)),
        ...c.pki.intermediates.map((f) => trustFile('intermediate', f)),
        ...c.pki.crlFiles.map((f) => trustFile('crl', f)),
      ]),
      fileSize(db),
      fileSize(`${db}-wal`),
    ]);
    const { storage } = this.deps;
    return {
      checkedAt: this.deps.now().toISOString(),
      workstationId: c.hospital.workstationId,
      configSources: loaded.sources,
      hri,
      cloud,
      trust,
      revocation: c.pki.revocation,
      cache: {
        databaseBytes: dbBytes + walBytes,
        retentionHours: c.cache.retentionHours,
        purgeOnSignOut: c.cache.purgeOnSignOut,
      },
      audit: this.#audit(),
      storage: {
        quarantinedTo: storage.quarantinedTo,
        outboxRecovered: storage.outbox.recovered,
        outboxUnrecoverable: storage.outbox.unrecoverable,
      },
      scanner: {
        wedgeEnabled: c.scanner.wedge.enabled,
        serialEnabled: c.scanner.serial.enabled,
        serialPath: c.scanner.serial.path,
      },
    };
  }

  #audit(): DiagnosticsStatus['audit'] {
    const { auditChain: chain } = this.deps;
    const v = chain.verification;
    const head = this.deps.auditShipper?.lastHead() ?? null;
    return {
      chainId: chain.chainId,
      publicKey: this.deps.auditPublicKey,
      verification: v === null ? 'pending' : v.intact ? 'intact' : 'broken',
      entries: v?.entries ?? null,
      brokenAt: v && !v.intact ? v.brokenAt : null,
      verifiedAt: chain.verifiedAt,
      reset:
        chain.reset === null
          ? null
          : chain.reset === 'unknown'
            ? { previousChainId: null, previousSeq: null }
            : { previousChainId: chain.reset.chainId, previousSeq: chain.reset.seq },
      lastHeadSeq: head?.seq ?? null,
      lastHeadShippedAt: head?.shippedAt ?? null,
    };
  }
}

/** GET the URL without credentials; any HTTP status means the service answers. */
async function probe(
  target: string | null,
  timeoutMs: number,
  unavailable: ErrorCode,
  timeout: ErrorCode,
): Promise<Probe> {
  if (!target) return { target, reachable: false, ms: null, status: null, error: null };
  const started = performance.now();
  try {
    const res = await fetch(target, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return { target, reachable: true, ms: Math.round(performance.now() - started), status: res.status, error: null };
  } catch (e) {
    const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
    return {
      target,
      reachable: false,
      ms: timedOut ? null : Math.round(performance.now() - started),
      status: null,
      error: timedOut ? timeout : unavailable,
    };
  }
}

/** Trust files are small (a certificate, a CRL): read whole, parsed with the PKI's own parsers. */
const MAX_TRUST_FILE_BYTES = 16 * 1024 * 1024;

async function trustFile(kind: TrustFile['kind'], file: string): Promise<TrustFile> {
  const base: TrustFile = { kind, file, present: false, modifiedAt: null, name: null, validUntil: null, error: null };
  const invalid: ErrorCode = kind === 'crl' ? 'PKI_CRL_INVALID' : 'PKI_MALFORMED_CERTIFICATE';
  let bytes: Buffer;
  try {
    const st = await stat(file);
    Object.assign(base, { present: true, modifiedAt: st.mtime.toISOString() });
    if (st.size > MAX_TRUST_FILE_BYTES) return { ...base, error: invalid };
    bytes = await readFile(file);
  } catch {
    return base;
  }
  const input = bytes.includes('-----BEGIN') ? bytes.toString('utf8') : bytes;
  try {
    if (kind === 'crl') {
      const [crl] = parseCrls(input);
      if (crl) Object.assign(base, { name: crl.issuer.text, validUntil: crl.nextUpdate?.toISOString() ?? null });
    } else {
      const [cert] = parseCertificates(input);
      if (cert) Object.assign(base, { name: cert.subject.text, validUntil: cert.notAfter.toISOString() });
    }
  } catch (e) {
    base.error = isWorkstationError(e) ? e.code : invalid;
  }
  return base;
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}
