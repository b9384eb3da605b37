import { WorkstationError } from '../../common/errors';
import type { Db } from '../cache';
import type { VerifiedManifest } from './reader';

/**
 * Record freshness (docs/formats.md §6.4): a manifest older than one already seen for the patient
 * is a replay (it can hide a newly recorded allergy) and is refused, as is a next version whose
 * `previous` does not name the one seen, or the same version with other contents. The table
 * (migration 006) is keyed by the patient reference and survives every purge.
 */
export interface FreshnessEntry {
  highestVersion: number;
  payloadSha256: string;
  signerKid: string | null;
}

export class RecordFreshness {
  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(patientRef: string): FreshnessEntry | null {
    const row = this.db
      .prepare('SELECT highest_version, payload_sha256, signer_kid FROM record_freshness WHERE patient_ref = ?')
      .get(patientRef) as { highest_version: number; payload_sha256: string; signer_kid: string | null } | undefined;
    return row
      ? { highestVersion: row.highest_version, payloadSha256: row.payload_sha256, signerKid: row.signer_kid }
      : null;
  }

  /** MANIFEST_ROLLBACK or MANIFEST_CHAIN_BROKEN when `verified` may not follow what was seen. */
  check(patientRef: string, verified: VerifiedManifest): void {
    checkFreshness(this.get(patientRef), verified);
  }

  /** Records a manifest that was accepted (after check()). Never lowers the version. */
  accept(patientRef: string, verified: VerifiedManifest): void {
    this.db
      .prepare(
        `INSERT INTO record_freshness (patient_ref, highest_version, payload_sha256, signer_kid, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (patient_ref) DO UPDATE SET highest_version = excluded.highest_version, payload_sha256 = excluded.payload_sha256,
           signer_kid = COALESCE(excluded.signer_kid, record_freshness.signer_kid), updated_at = excluded.updated_at
         WHERE excluded.highest_version >= record_freshness.highest_version`,
      )
      .run(
        patientRef,
        verified.manifest.version,
        verified.payloadSha256,
        verified.signer?.kid ?? null,
        this.now().getTime(),
      );
  }
}

/** The rules, without storage (for the tests and the vectors of docs/formats.md §6.4). */
export function checkFreshness(seen: FreshnessEntry | null, verified: VerifiedManifest): void {
  if (!seen) return;
  const { version, previous } = verified.manifest;
  if (version < seen.highestVersion)
    throw new WorkstationError('MANIFEST_ROLLBACK', { seen: seen.highestVersion, got: version });
  if (version === seen.highestVersion) {
    if (verified.payloadSha256 !== seen.payloadSha256)
      throw new WorkstationError('MANIFEST_CHAIN_BROKEN', { reason: 'fork', version });
    return;
  }
  // A newer version must say what it replaces: the one seen (same hash), or a later one we skipped.
  if (!previous) throw new WorkstationError('MANIFEST_CHAIN_BROKEN', { reason: 'previous', version });
  if (previous.version < seen.highestVersion)
    throw new WorkstationError('MANIFEST_CHAIN_BROKEN', { reason: 'fork', version });
  if (previous.version === seen.highestVersion && previous.sha256 !== seen.payloadSha256)
    throw new WorkstationError('MANIFEST_CHAIN_BROKEN', { reason: 'previous', version });
}
