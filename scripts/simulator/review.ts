/**
 * The patient's review of pending clinician additions (dev/training simulator; the patient's app
 * would do the same): list `pending/<citizenId>/`, decrypt and verify each addition (signature,
 * chain, integrity — main/additions verifyAddition), merge the accepted ones into the record as a
 * new manifest version, delete what was accepted or rejected.
 *
 * Merging: the IPS summary is replaced by a copy holding the added resources (with their
 * Practitioner and signed Provenance), each listed in its Composition section (allergies, problems,
 * medications, vital signs, procedures; notes and attachments in an "Emergency department notes"
 * section); each accepted signed addition is also kept as its own object (role `addition`) — the
 * clinician's signature stays verifiable over the exact bytes. Objects first, manifest last.
 *
 *   npm run simulator -- review --state STATE.json --seed DIR (--citizen ID | --patient NAME) --trust CA.pem
 *                               [--accept valid|ID,...] [--reject invalid|rest|ID,...] [--json]
 * Without --accept/--reject it only lists.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type * as fhir4 from 'fhir/r4';
import * as Minio from 'minio';
import { WorkstationError, isWorkstationError, toErrorInfo, type ErrorInfo } from '../../common/errors';
import { errorMessage } from '../../common/i18n/messages';
import { NOTE_TYPE } from '../../main/additions/fhir';
import { attachmentObjectKey, type AttachmentRef } from '../../main/additions/attachments';
import {
  openAttachmentStream,
  openPendingAddition,
  parsePendingObjectKey,
  pendingPrefix,
} from '../../main/additions/pending';
import { ADDITION_CONTENT_TYPE, verifyAddition, type AdditionVerification } from '../../main/additions/signed';
import { emergencyViewOf } from '../../main/fhir/index';
import { parseCertificates } from '../../main/pki/certificate';
import type { CertificateInput, ChainPolicy, CrlInput } from '../../main/pki/verify';
import {
  ipsSummaryEntry,
  manifestObjectKey,
  openManifest,
  openRecordObject,
  recordObjectKey,
  RecordWriter,
} from '../../main/record/index';
import { sandboxS3Client, type SandboxState } from '../sandbox/index';
import { readSeedIndex, type SeededPatient } from './seed';

export interface ReviewPatient {
  citizenId: string;
  masterKey: Buffer;
  /** The record's bucket and prefix in it (the sealed HRI location names them). */
  ehrBucket: string;
  prefix: string;
  /** Required when the current manifest is signed: the new version is signed with it too. */
  signingKey?: KeyObject | null;
}

/** The review keys of a patient the simulator seeded (from its index). */
export function reviewPatientOf(seeded: SeededPatient): ReviewPatient {
  return {
    citizenId: seeded.citizenId,
    masterKey: Buffer.from(seeded.masterKey, 'base64url'),
    ehrBucket: seeded.bucket,
    prefix: seeded.prefix,
    signingKey: seeded.signingKeyPem ? createPrivateKey(seeded.signingKeyPem) : null,
  };
}

export interface PendingAddition {
  key: string;
  additionId: string;
  size: number;
  /** Null when the object did not decrypt or hash to its name (then `error` says why). */
  verification: AdditionVerification | null;
  error: ErrorInfo | null;
  /** Decrypted, canonical bytes (valid or not, when they decrypted). */
  bytes: Buffer | null;
  /** The attachment objects the signed bundle refers to, each checked against its signed size and digests. */
  attachments: { ref: AttachmentRef; key: string }[];
}

export type Decision = 'accept' | 'reject' | 'keep';

export interface ReviewOptions {
  /** The patient's S3 client: reads `ehr` and `pending`, writes `ehr`, deletes `pending`. */
  client: Minio.Client;
  pendingBucket: string;
  patient: ReviewPatient;
  trustAnchors: readonly CertificateInput[];
  crls?: readonly CrlInput[];
  policy?: Partial<ChainPolicy>;
  /** Default: accept what verified, keep the rest. An invalid addition is never merged, whatever this says. */
  decide?: (addition: PendingAddition) => Decision;
  now?: () => Date;
}

export interface ReviewResult {
  pending: PendingAddition[];
  accepted: string[];
  rejected: string[];
  kept: string[];
  /** The new manifest version, or null when nothing was merged. */
  manifestVersion: number | null;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function getObject(client: Minio.Client, bucket: string, key: string): Promise<Buffer> {
  return readAll(await client.getObject(bucket, key));
}

/** Every pending addition of the patient, decrypted and verified (nothing is changed). */
export async function listPendingAdditions(o: Omit<ReviewOptions, 'decide'>): Promise<PendingAddition[]> {
  const { citizenId, masterKey } = o.patient;
  const out: PendingAddition[] = [];
  const listed = o.client.listObjectsV2(o.pendingBucket, pendingPrefix(citizenId), true) as AsyncIterable<{
    name?: string;
    size?: number;
  }>;
  for await (const obj of listed) {
    const named = obj.name ? parsePendingObjectKey(obj.name) : null;
    if (!named || named.citizenId !== citizenId) continue;
    const entry: PendingAddition = {
      key: obj.name!,
      additionId: named.additionId,
      size: obj.size ?? 0,
      verification: null,
      error: null,
      bytes: null,
      attachments: [],
    };
    try {
      entry.bytes = openPendingAddition(await getObject(o.client, o.pendingBucket, obj.name!), {
        masterKey,
        citizenId,
        additionId: named.additionId,
      });
      entry.verification = verifyAddition(entry.bytes, {
        trustAnchors: o.trustAnchors,
        crls: o.crls ?? [],
        ...(o.policy ? { policy: o.policy } : {}),
        expectedId: named.additionId,
        ...(o.now ? { now: o.now() } : {}),
      });
      // (Named by the bundle, so that deciding the addition also deletes them.)
      entry.attachments = entry.verification.attachments.map((ref) => ({
        ref,
        key: attachmentObjectKey(obj.name!, ref.attachmentId),
      }));
      if (!entry.verification.valid)
        entry.error = { code: entry.verification.code as ErrorInfo['code'], details: entry.verification.details };
      else {
        // Every referenced object as signed, or the addition is not valid (ADDITION_ATTACHMENT_MISMATCH, CONTAINER_*).
        for (const a of entry.attachments)
          await streamAttachment(
            o.client,
            o.pendingBucket,
            o.patient,
            a,
            new Writable({ write: (_c, _e, cb) => cb() }),
          );
      }
    } catch (e) {
      entry.error = toErrorInfo(e);
      if (entry.verification) entry.verification = { ...entry.verification, valid: false };
    }
    out.push(entry);
  }
  return out;
}

/**
 * Streams one attachment object through its checks into `sink`: decrypted under its own name, its
 * signed content type, size, SHA-256 and SHA-1 (pending.ts openAttachmentStream). A missing object
 * is ADDITION_ATTACHMENT_MISMATCH {reason: missing}. Rejects (the sink gets an error) on any failure.
 */
async function streamAttachment(
  client: Minio.Client,
  bucket: string,
  patient: ReviewPatient,
  a: { ref: AttachmentRef; key: string },
  sink: NodeJS.WritableStream,
): Promise<void> {
  let source: NodeJS.ReadableStream;
  try {
    source = await client.getObject(bucket, a.key);
  } catch (e) {
    if ((e as { code?: string }).code === 'NoSuchKey')
      throw new WorkstationError('ADDITION_ATTACHMENT_MISMATCH', {
        id: a.ref.attachmentId.slice(0, 12),
        reason: 'missing',
      });
    throw e;
  }
  try {
    await pipeline(
      source,
      openAttachmentStream({ masterKey: patient.masterKey, citizenId: patient.citizenId }, a.ref),
      sink,
    );
  } catch (e) {
    if (isWorkstationError(e)) throw e;
    throw new WorkstationError(
      'ADDITION_ATTACHMENT_MISMATCH',
      { id: a.ref.attachmentId.slice(0, 12), reason: 'read' },
      { cause: e },
    );
  }
}

const SECTION_FOR: Record<string, { code: string; display: string }> = {
  AllergyIntolerance: { code: '48765-2', display: 'Allergies and adverse reactions Document' },
  Condition: { code: '11450-4', display: 'Problem list - Reported' },
  MedicationAdministration: { code: '10160-0', display: 'History of Medication use Narrative' },
  Procedure: { code: '47519-4', display: 'History of Procedures Document' },
  Observation: { code: '8716-3', display: 'Vital signs' },
  DocumentReference: { code: NOTE_TYPE.code!, display: 'Emergency department notes' },
};

/**
 * The IPS with the additions' resources added (pure: returns a new bundle). Every clinical resource
 * is listed in its section (created when the document has none; an emptyReason is dropped once the
 * section has entries); Practitioners and Provenances are added as entries without a section.
 */
export function mergeAdditionsIntoIps(ips: fhir4.Bundle, additions: readonly fhir4.Bundle[]): fhir4.Bundle {
  const merged = JSON.parse(JSON.stringify(ips)) as fhir4.Bundle;
  merged.entry ??= [];
  const composition = merged.entry[0]!.resource as fhir4.Composition;
  composition.section ??= [];
  const sectionFor = (type: string): fhir4.CompositionSection => {
    const want = SECTION_FOR[type]!;
    let section = composition.section!.find((s) =>
      s.code?.coding?.some((c) => c.system === 'http://loinc.org' && c.code === want.code),
    );
    if (!section) {
      section = {
        title: want.display,
        code: { coding: [{ system: 'http://loinc.org', code: want.code, display: want.display }] },
        entry: [],
      };
      composition.section!.push(section);
    }
    return section;
  };
  const known = new Set(merged.entry.map((e) => e.fullUrl).filter(Boolean));
  for (const addition of additions) {
    for (const e of addition.entry ?? []) {
      if (!e.fullUrl || !e.resource || known.has(e.fullUrl)) continue;
      known.add(e.fullUrl);
      merged.entry.push({ fullUrl: e.fullUrl, resource: e.resource });
      if (SECTION_FOR[e.resource.resourceType]) {
        const section = sectionFor(e.resource.resourceType);
        (section.entry ??= []).push({ reference: e.fullUrl });
        delete section.emptyReason;
      }
    }
  }
  return merged;
}

/** Lists, decides, merges the accepted additions into a new record version and deletes the decided ones. */
export async function reviewPendingAdditions(o: ReviewOptions): Promise<ReviewResult> {
  const pending = await listPendingAdditions(o);
  const decide = o.decide ?? ((a: PendingAddition) => (a.verification?.valid ? 'accept' : 'keep'));
  const accepted: PendingAddition[] = [];
  const rejected: PendingAddition[] = [];
  const kept: PendingAddition[] = [];
  for (const a of pending) {
    const d = decide(a);
    if (d === 'accept' && a.verification?.valid) accepted.push(a);
    else if (d === 'reject') rejected.push(a);
    else kept.push(a);
  }

  let manifestVersion: number | null = null;
  if (accepted.length) {
    const { citizenId, masterKey, ehrBucket, prefix } = o.patient;
    const current = openManifest(await getObject(o.client, ehrBucket, manifestObjectKey(prefix)), {
      masterKey,
      citizenId,
    });
    if (current.manifest.patientKey && !o.patient.signingKey)
      throw new Error('the record is signed by the patient: the review needs the patient signing key');
    const ipsEntry = ipsSummaryEntry(current.manifest);
    const ips = JSON.parse(
      openRecordObject(await getObject(o.client, ehrBucket, recordObjectKey(prefix, ipsEntry.id)), ipsEntry, {
        masterKey,
        citizenId,
      }).toString('utf8'),
    ) as fhir4.Bundle;
    const mergedIps = mergeAdditionsIntoIps(
      ips,
      accepted.map((a) => a.verification!.bundle!),
    );
    const data = Buffer.from(JSON.stringify(mergedIps), 'utf8');
    emergencyViewOf(data); // the workstation must still be able to show it

    const writer = new RecordWriter({
      masterKey,
      citizenId,
      prefix,
      basedOn: { manifest: current.manifest, payloadSha256: current.payloadSha256 },
      ...(o.now ? { now: o.now } : {}),
    });
    writer.removeObject(ipsEntry.id);
    const uploads = [
      writer.addBuffer({
        role: 'ips-summary',
        contentType: ipsEntry.contentType,
        data,
        ...(ipsEntry.title ? { title: ipsEntry.title } : {}),
      }),
    ];
    for (const a of accepted)
      uploads.push(
        writer.addBuffer({
          role: 'addition',
          contentType: ADDITION_CONTENT_TYPE,
          data: a.bytes!,
          title: `Clinician addition ${a.additionId.slice(0, 12)}`,
        }),
      );
    // Each accepted attachment becomes a record object of its own (role attachment), streamed from the
    // pending object and checked again on the way: pending -> decrypt + digests -> record container -> ehr.
    for (const a of accepted)
      for (const att of a.attachments) {
        const upload = writer.addStream({
          role: 'attachment',
          contentType: att.ref.contentType,
          size: att.ref.size,
          ...(att.ref.title ? { title: att.ref.title } : {}),
        });
        await Promise.all([
          streamAttachment(o.client, o.pendingBucket, o.patient, att, upload.body),
          o.client.putObject(ehrBucket, upload.key, upload.body, upload.contentLength, {
            'Content-Type': upload.contentType,
          }),
        ]);
      }
    const finished = writer.finish(o.patient.signingKey ? { signer: { privateKey: o.patient.signingKey } } : {});
    for (const u of uploads)
      await o.client.putObject(ehrBucket, u.key, u.body, u.contentLength, { 'Content-Type': u.contentType });
    // The manifest last: it makes the new version visible. The replaced IPS object stays for readers of the old version.
    await o.client.putObject(ehrBucket, finished.upload.key, finished.upload.body, finished.upload.contentLength, {
      'Content-Type': finished.upload.contentType,
    });
    manifestVersion = finished.manifest.version;
  }
  for (const a of [...accepted, ...rejected]) {
    for (const att of a.attachments) await o.client.removeObject(o.pendingBucket, att.key); // absent: no error
    await o.client.removeObject(o.pendingBucket, a.key);
  }
  return {
    pending,
    accepted: accepted.map((a) => a.additionId),
    rejected: rejected.map((a) => a.additionId),
    kept: kept.map((a) => a.additionId),
    manifestVersion,
  };
}

// ------------------------------------------------------------------------------------------ CLI

const USAGE = `usage: npm run simulator -- review --state STATE.json --seed DIR (--citizen ID | --patient NAME) --trust CA.pem [options]

Lists the patient's pending clinician additions with their verification, and with --accept/--reject
merges and deletes them (a new record version).

  --accept valid|ID,...     accept every verified addition, or these (id prefixes allowed)
  --reject invalid|rest|ID,...  delete the ones that failed verification, every one not accepted, or these
  --trust FILE              clinician trust anchors (PEM); repeatable
  --revocation MODE         hard-fail | warn | off (default warn: the simulator has no CRLs)
  --json                    print the result as JSON`;

function describe(a: PendingAddition): string {
  const v = a.verification;
  const what = v
    ? Object.entries(v.resources)
        .map(([t, n]) => `${n} ${t}`)
        .join(', ')
    : '';
  const who = v?.signer
    ? `${v.signer.name}${v.signer.registration ? ` (${v.signer.registration})` : ''}, ${v.alg}, ${v.signedAt}`
    : '';
  const verdict = a.error ? `INVALID ${a.error.code}: ${errorMessage(a.error)}` : 'verified';
  return `${a.additionId.slice(0, 16)}  ${verdict}${who ? `  signed by ${who}` : ''}${what ? `  [${what}]` : ''}`;
}

const matches = (list: string[], id: string) => list.some((p) => p.length >= 8 && id.startsWith(p.toLowerCase()));

export async function runReviewCli(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        state: { type: 'string' },
        seed: { type: 'string' },
        citizen: { type: 'string' },
        patient: { type: 'string' },
        trust: { type: 'string', multiple: true },
        accept: { type: 'string' },
        reject: { type: 'string' },
        revocation: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    console.error((e as Error).message);
    console.error(USAGE);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.state || !values.seed || (!values.citizen && !values.patient) || !values.trust?.length) {
    console.error(USAGE);
    return 2;
  }
  const sandbox = JSON.parse(readFileSync(resolve(values.state), 'utf8')) as SandboxState;
  const index = readSeedIndex(values.seed);
  const seeded: SeededPatient | undefined = index?.patients.find(
    (p) => p.citizenId === values.citizen || p.name === values.patient,
  );
  if (!seeded) {
    console.error(`no such patient in ${values.seed}`);
    return 2;
  }
  const trustAnchors = values.trust.flatMap((f) => parseCertificates(readFileSync(resolve(f))));
  const acceptList = values.accept && values.accept !== 'valid' ? values.accept.split(',').map((s) => s.trim()) : [];
  const rejectList =
    values.reject && !['invalid', 'rest'].includes(values.reject) ? values.reject.split(',').map((s) => s.trim()) : [];
  const deciding = values.accept !== undefined || values.reject !== undefined;
  const decide = (a: PendingAddition): Decision => {
    if (!deciding) return 'keep';
    if (matches(rejectList, a.additionId)) return 'reject';
    if (a.verification?.valid && (values.accept === 'valid' || matches(acceptList, a.additionId))) return 'accept';
    if (values.reject === 'rest' || (values.reject === 'invalid' && !a.verification?.valid)) return 'reject';
    return 'keep';
  };
  const result = await reviewPendingAdditions({
    client: sandboxS3Client(sandbox.s3.endpoint, sandbox.patient, sandbox.s3.region),
    pendingBucket: sandbox.buckets.pending,
    patient: reviewPatientOf(seeded),
    trustAnchors,
    policy: { revocation: (values.revocation ?? 'warn') as ChainPolicy['revocation'] },
    decide,
  });
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          pending: result.pending.map((a) => ({
            additionId: a.additionId,
            valid: a.verification?.valid ?? false,
            error: a.error,
            signer: a.verification?.signer ?? null,
            resources: a.verification?.resources ?? {},
          })),
          accepted: result.accepted,
          rejected: result.rejected,
          kept: result.kept,
          manifestVersion: result.manifestVersion,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(`${result.pending.length} pending addition(s) for ${seeded.name} (${seeded.citizenId})`);
    for (const a of result.pending) console.log(`  ${describe(a)}`);
    if (deciding) {
      console.log(
        `accepted ${result.accepted.length}, rejected (deleted) ${result.rejected.length}, kept ${result.kept.length}`,
      );
      if (result.manifestVersion !== null) console.log(`record version ${result.manifestVersion} published`);
    } else console.log('(list only: give --accept valid and/or --reject invalid to decide)');
  }
  return 0;
}
