import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorCode } from '../../../common/errors';
import { isWorkstationError } from '../../../common/errors';
import type { DiagnosticsStatus, Probe, TrustFile } from '../../../common/ipc/channels/diagnostics';
import { parseCertificates, parseCrls } from '../../pki';
import type { Workstation } from '../../workstation';
import type { Handlers } from '../dispatch';

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

function trustFile(kind: TrustFile['kind'], file: string): TrustFile {
  const base: TrustFile = { kind, file, present: false, modifiedAt: null, name: null, validUntil: null, error: null };
  let bytes: Buffer;
  try {
    const st = statSync(file);
    bytes = readFileSync(file);
    Object.assign(base, { present: true, modifiedAt: st.mtime.toISOString() });
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
    base.error = isWorkstationError(e) ? e.code : kind === 'crl' ? 'PKI_CRL_INVALID' : 'PKI_MALFORMED_CERTIFICATE';
  }
  return base;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function auditStatus(ws: Workstation): DiagnosticsStatus['audit'] {
  const { auditChain: chain } = ws;
  const v = chain.verification;
  const head = ws.auditShipper?.lastHead() ?? null;
  return {
    chainId: chain.chainId,
    publicKey: ws.auditPublicKey,
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

export function diagnosticsHandlers(ws: Workstation): Pick<Handlers, 'diagnostics.status'> {
  return {
    'diagnostics.status': async (): Promise<DiagnosticsStatus> => {
      const c = ws.loaded.config;
      const [hri, cloud] = await Promise.all([
        probe(c.hri.url, c.hri.timeoutMs, 'HRI_UNAVAILABLE', 'HRI_TIMEOUT'),
        probe(c.cloud.defaultEndpoint, Math.min(c.cloud.timeoutMs, 10_000), 'CLOUD_UNAVAILABLE', 'CLOUD_UNAVAILABLE'),
      ]);
      const db = join(ws.dataDir, 'workstation.sqlite');
      return {
        checkedAt: ws.now().toISOString(),
        workstationId: c.hospital.workstationId,
        configSources: ws.loaded.sources,
        hri,
        cloud,
        trust: [
          ...c.pki.trustAnchors.map((f) => trustFile('anchor', f)),
          ...c.pki.intermediates.map((f) => trustFile('intermediate', f)),
          ...c.pki.crlFiles.map((f) => trustFile('crl', f)),
        ],
        revocation: c.pki.revocation,
        cache: {
          databaseBytes: fileSize(db) + fileSize(`${db}-wal`),
          retentionHours: c.cache.retentionHours,
          purgeOnSignOut: c.cache.purgeOnSignOut,
        },
        audit: auditStatus(ws),
        storage: {
          quarantinedTo: ws.storage.quarantinedTo,
          outboxRecovered: ws.storage.outbox.recovered,
          outboxUnrecoverable: ws.storage.outbox.unrecoverable,
        },
        scanner: {
          wedgeEnabled: c.scanner.wedge.enabled,
          serialEnabled: c.scanner.serial.enabled,
          serialPath: c.scanner.serial.path,
        },
      };
    },
  };
}
