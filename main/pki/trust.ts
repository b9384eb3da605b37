import { readFileSync } from 'node:fs';
import type { HospitalConfig } from '../../common/config/schema';
import { isWorkstationError, WorkstationError, type ErrorCode } from '../../common/errors';
import { parseCertificates, type Certificate } from './certificate';
import type { CrlCache } from './crl-cache';
import { parseCrls, type Crl } from './crl';
import { clinicianIdentity, type ClinicianIdentity } from './identity';
import { verifyClinicianChain, type ChainPolicy, type ChainResult } from './verify';

export type PkiConfig = HospitalConfig['pki'];

export interface TrustMaterial {
  anchors: Certificate[];
  intermediates: Certificate[];
  crls: Crl[];
  /** Files that could not be used (the rest still loads: one bad file must not lock everyone out). */
  problems: { file: string; code: ErrorCode }[];
}

/** Read the PEM bundles (or DER files) named by the configuration. */
export function loadTrustMaterial(config: PkiConfig, resolvePath: (p: string) => string = (p) => p): TrustMaterial {
  const problems: TrustMaterial['problems'] = [];
  const read = <T>(files: string[], parse: (b: Buffer) => T[], code: ErrorCode): T[] =>
    files.flatMap((f) => {
      const file = resolvePath(f);
      try {
        return parse(readFileSync(file));
      } catch (e) {
        problems.push({ file, code: isWorkstationError(e) ? e.code : code });
        return [];
      }
    });
  const anchors = read(config.trustAnchors, parseCertificates, 'PKI_MALFORMED_CERTIFICATE');
  const intermediates = read(config.intermediates, parseCertificates, 'PKI_MALFORMED_CERTIFICATE');
  const crls = read(config.crlFiles, parseCrls, 'PKI_CRL_INVALID');
  return { anchors, intermediates, crls, problems };
}

export function chainPolicyFromConfig(config: PkiConfig): Partial<ChainPolicy> {
  return {
    clockSkewSeconds: config.clockSkewSeconds,
    eku: config.clinicianEku,
    requiredPolicy: config.requiredPolicy,
    revocation: config.revocation,
    understoodExtensions: config.roleExtensionOid ? [config.roleExtensionOid] : [],
  };
}

export interface ClinicianVerification {
  result: ChainResult;
  identity: ClinicianIdentity | null;
}

/**
 * The configured verifier: trust material from files, CRLs from files and from the
 * distribution-point cache (refreshed when missing or stale and the network answers).
 */
export class ClinicianVerifier {
  private material: TrustMaterial;

  constructor(
    private readonly config: PkiConfig,
    private readonly o: { resolvePath?: (p: string) => string; crlCache?: CrlCache | null; now?: () => Date } = {},
  ) {
    this.material = loadTrustMaterial(config, o.resolvePath);
  }

  get trustProblems(): TrustMaterial['problems'] {
    return this.material.problems;
  }

  reload(): void {
    this.material = loadTrustMaterial(this.config, this.o.resolvePath);
  }

  async verify(leaf: Certificate, suppliedChain: readonly Certificate[] = []): Promise<ClinicianVerification> {
    const now = this.o.now?.() ?? new Date();
    if (!this.material.anchors.length) {
      const e = new WorkstationError('PKI_NO_PATH_TO_TRUST_ANCHOR', { subject: leaf.issuer.text });
      return {
        result: {
          valid: false,
          code: e.code,
          details: e.details ?? {},
          chain: [leaf.subject.text],
          certificates: [leaf],
          warnings: [],
          policies: [],
        },
        identity: null,
      };
    }
    const intermediates = [...this.material.intermediates, ...suppliedChain];
    const policy = chainPolicyFromConfig(this.config);
    const base = { leaf, intermediates, trustAnchors: this.material.anchors, time: now };
    const cache = this.o.crlCache ?? null;
    if (cache && this.config.fetchCrlDistributionPoints) {
      // A first pass without revocation finds the path, whose distribution points are then refreshed.
      const path = verifyClinicianChain({ ...base, policy: { ...policy, revocation: 'off' } });
      if (path.valid) await this.refreshDistributionPoints(path.certificates, cache);
    }
    const crls = [...this.material.crls, ...(cache?.all() ?? [])];
    const result = verifyClinicianChain({ ...base, crls, policy });
    const identity = clinicianIdentity(leaf, { roleExtensionOid: this.config.roleExtensionOid, now });
    return { result, identity: result.valid ? identity : null };
  }

  private async refreshDistributionPoints(chain: Certificate[], cache: CrlCache): Promise<void> {
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i + 1 < chain.length; i++) {
      const cert = chain[i]!;
      const issuer = chain[i + 1]!;
      for (const url of cert.crlDistributionPoints) if (cache.needsRefresh(url)) jobs.push(cache.refresh(url, issuer));
    }
    await Promise.all(jobs);
  }
}
