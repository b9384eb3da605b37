/**
 * The patient's side on the real RGW: additions uploaded by the workstation's role are listed,
 * decrypted and verified by the simulator's review; valid ones merge into a new (signed) manifest
 * version whose IPS still builds the emergency view with the added entries; a tampered and an
 * untrusted one are rejected and deleted.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as fhir4 from 'fhir/r4';
import { describe, expect, inject, it } from 'vitest';
import { Outbox } from '../../../main/additions/outbox';
import { patientReferenceOf } from '../../../main/additions/fhir';
import { attachmentObjectKey } from '../../../main/additions/attachments';
import {
  openPendingAddition,
  pendingObjectKey,
  sealAddition,
  sealAttachmentStream,
} from '../../../main/additions/pending';
import { OutboxSender } from '../../../main/additions/sender';
import { outboxChanges, outboxDrained } from '../../support/outbox';
import { AdditionsService, type SubmissionContext } from '../../../main/additions/service';
import { signAddition, verifyAddition } from '../../../main/additions/signed';
import { buildAdditionBundle } from '../../../main/additions/fhir';
import { openDatabase } from '../../../main/cache/database';
import { generateMasterKey } from '../../../main/crypto/keys';
import { emergencyViewOf } from '../../../main/fhir/index';
import {
  manifestObjectKey,
  openManifest,
  openRecordObject,
  recordObjectKey,
  writeRecord,
} from '../../../main/record/index';
import { reviewPendingAdditions, type PendingAddition } from '../../../scripts/simulator/review';
import { SHARED_SAMPLES_DIR as DEFAULT_SAMPLES_DIR } from '../../support/samples';
import { createChain } from '../../support/test-ca/certificates';
import { listKeys, newCitizenId, patientClient, storeCache } from './support';

const sandbox = inject('sandbox');

async function get(bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await patientClient(sandbox).getObject(bucket, key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('simulator review of pending additions', () => {
  it('verifies, merges accepted additions into a new signed manifest version, deletes rejected ones', async () => {
    // The patient's record, as the patient's app wrote it (signed manifest).
    const client = patientClient(sandbox);
    const citizenId = newCitizenId();
    const masterKey = generateMasterKey();
    const prefix = `records/${citizenId}`;
    const patientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const ipsBytes = readFileSync(join(DEFAULT_SAMPLES_DIR, 'AT_ELGA_GmbH_01.json'));
    const ips = JSON.parse(ipsBytes.toString('utf8')) as fhir4.Bundle;
    const before = emergencyViewOf(ipsBytes);
    const record = writeRecord({
      masterKey,
      citizenId,
      prefix,
      objects: [
        { role: 'ips-summary', contentType: 'application/fhir+json', data: ipsBytes, title: 'Patient summary' },
      ],
      signer: { privateKey: patientKey },
    });
    for (const u of record.uploads)
      await client.putObject(sandbox.buckets.ehr, u.key, u.body, u.contentLength, { 'Content-Type': u.contentType });

    // Two additions from the workstation, through the outbox and the role's credentials.
    const chain = createChain({ levels: 3, key: 'p256', prefix: 'Review' });
    const { db } = openDatabase(':memory:');
    const work = mkdtempSync(join(tmpdir(), 'hcp-review-'));
    const outbox = new Outbox(db, { spoolDir: join(work, 'outbox') });
    const stores = storeCache(sandbox);
    const changes = outboxChanges();
    const sender = new OutboxSender({ outbox, storeFor: stores.storeFor, onChange: changes.onChange });
    const service = new AdditionsService({
      outbox,
      sender,
      workstation: { id: 'ws-review' },
      stagingDir: join(work, 'staging'),
    });
    const ctx: SubmissionContext = {
      credential: {
        privateKey: () => chain.leaf.key.privateKey,
        certificate: chain.leaf.cert,
        chain: chain.intermediates.map((c) => c.cert),
      },
      author: { name: 'Dr Review', registration: 'GR-MED-42', certFingerprint: chain.leaf.cert.fingerprint },
      citizenId,
      masterKey,
      patientRef: 'review-test',
      patient: patientReferenceOf(ips),
      target: { endpoint: sandbox.s3.endpoint, region: sandbox.s3.region, bucket: sandbox.buckets.pending },
    };
    const photo = randomBytes(2 * 1024 * 1024 + 5);
    const photoId = await service.stageBuffer(ctx, 'image/jpeg', photo);
    const otherPhotoId = await service.stageBuffer(ctx, 'image/png', randomBytes(300_000));
    sender.start();
    const good1 = (
      await service.submit(ctx, [
        {
          kind: 'allergy',
          substance: { text: 'Latex (added in the ER)' },
          criticality: 'high',
          reaction: 'Urticaria',
          severity: 'moderate',
        },
        { kind: 'note', text: 'Brought in after a fall; alert and oriented.' },
        { kind: 'attachment', title: 'Wound photo', contentType: 'image/jpeg', stagingId: photoId },
      ])
    ).additionId;
    // Signed with an attachment that is then replaced in the bucket (sealed under its own name: only the digests tell).
    const swapped = (
      await service.submit(ctx, [
        { kind: 'attachment', title: 'ECG', contentType: 'image/png', stagingId: otherPhotoId },
      ])
    ).additionId;
    const good2 = (
      await service.submit(ctx, [
        { kind: 'vitals', heartRate: 97, systolic: 135, diastolic: 85, oxygenSaturation: 97 },
        { kind: 'condition', condition: { text: 'Closed fracture of the left radius' } },
      ])
    ).additionId;
    await outboxDrained(() => outbox.counts(), changes.subscribe, 30_000);
    await sender.stop();

    // A tampered object (another addition's container under this name) and an addition from an untrusted CA.
    const role = stores.storeFor({ endpoint: sandbox.s3.endpoint });
    const rogue = createChain({ levels: 2, key: 'p256', slot: 3, prefix: 'Rogue' });
    const untrusted = signAddition(
      buildAdditionBundle([{ kind: 'note', text: 'not from a trusted clinician' }], {
        patient: ctx.patient,
        author: { name: 'Rogue', registration: null, certFingerprint: rogue.leaf.cert.fingerprint },
        workstation: { id: 'x' },
        recorded: new Date(),
      }),
      {
        privateKey: rogue.leaf.key.privateKey,
        certificates: [rogue.leaf.der],
      },
    );
    await role.put(
      sandbox.buckets.pending,
      pendingObjectKey(citizenId, untrusted.additionId),
      sealAddition(untrusted, { masterKey, citizenId }),
    );
    const swappedKey = pendingObjectKey(citizenId, swapped, 'ws-review');
    const swappedRef = verifyAddition(
      openPendingAddition(await get(sandbox.buckets.pending, swappedKey), {
        masterKey,
        citizenId,
        additionId: swapped,
      }),
      { trustAnchors: [chain.root.cert], policy: { revocation: 'off' } },
    ).attachments[0]!;
    const forged = randomBytes(swappedRef.size);
    const sealed: Buffer[] = [];
    await pipeline(
      Readable.from([forged]),
      sealAttachmentStream({ masterKey, citizenId }, { ...swappedRef }),
      new Writable({
        write(c: Buffer, _e, cb) {
          sealed.push(c);
          cb();
        },
      }),
    );
    await role.put(
      sandbox.buckets.pending,
      attachmentObjectKey(swappedKey, swappedRef.attachmentId),
      Buffer.concat(sealed),
    );
    const tamperedId = 'e'.repeat(64);
    await role.put(
      sandbox.buckets.pending,
      pendingObjectKey(citizenId, tamperedId),
      await get(sandbox.buckets.pending, pendingObjectKey(citizenId, good1, 'ws-review')),
    );

    const seen: PendingAddition[] = [];
    const result = await reviewPendingAdditions({
      client,
      pendingBucket: sandbox.buckets.pending,
      patient: { citizenId, masterKey, ehrBucket: sandbox.buckets.ehr, prefix, signingKey: patientKey },
      trustAnchors: [chain.root.cert],
      policy: { revocation: 'off' },
      decide: (a) => {
        seen.push(a);
        return a.verification?.valid ? 'accept' : 'reject';
      },
    });
    expect(seen).toHaveLength(5);
    const byId = new Map(seen.map((a) => [a.additionId, a]));
    expect(byId.get(tamperedId)!.error!.code).toBe('CONTAINER_AUTH_FAILED');
    expect(byId.get(untrusted.additionId)!.error!.code).toBe('PKI_NO_PATH_TO_TRUST_ANCHOR');
    expect(byId.get(swapped)!.error).toMatchObject({
      code: 'ADDITION_ATTACHMENT_MISMATCH',
      details: { reason: 'sha256' },
    });
    expect(byId.get(good1)!.attachments).toHaveLength(1);
    expect(result.accepted.sort()).toEqual([good1, good2].sort());
    expect(result.rejected.sort()).toEqual([tamperedId, untrusted.additionId, swapped].sort());
    expect(result.manifestVersion).toBe(2);
    expect(await listKeys(client, sandbox.buckets.pending, `${citizenId}/`)).toEqual([]);

    // What the workstation opens next: version 2, signed by the patient, IPS with the additions.
    const v2 = openManifest(await get(sandbox.buckets.ehr, manifestObjectKey(prefix)), {
      masterKey,
      citizenId,
      requireSignature: true,
    });
    expect(v2.manifest).toMatchObject({ version: 2, previous: { version: 1, sha256: record.payloadSha256 } });
    expect(v2.manifest.objects.map((o) => o.role).sort()).toEqual([
      'addition',
      'addition',
      'attachment',
      'ips-summary',
    ]);
    // The accepted attachment is a record object of its own, the bytes the clinician signed.
    const att = v2.manifest.objects.find((o) => o.role === 'attachment')!;
    expect(att).toMatchObject({ contentType: 'image/jpeg', size: photo.length, title: 'Wound photo' });
    const attBytes = openRecordObject(await get(sandbox.buckets.ehr, recordObjectKey(prefix, att.id)), att, {
      masterKey,
      citizenId,
    });
    expect(attBytes.equals(photo)).toBe(true);
    const ipsEntry = v2.manifest.objects.find((o) => o.role === 'ips-summary')!;
    const merged = openRecordObject(await get(sandbox.buckets.ehr, recordObjectKey(prefix, ipsEntry.id)), ipsEntry, {
      masterKey,
      citizenId,
    });
    const view = emergencyViewOf(merged);
    const texts = (kind: string) => JSON.stringify(view.sections.find((s) => s.kind === kind)?.entries ?? []);
    expect(texts('allergies')).toContain('Latex (added in the ER)');
    expect(texts('problems')).toContain('Closed fracture of the left radius');
    const vitals = view.sections.find((s) => s.kind === 'vitalSigns')!;
    expect(vitals.status).toBe('entries');
    expect(texts('vitalSigns')).toMatch(/135/);
    expect(view.sections.find((s) => s.kind === 'allergies')!.entries.length).toBeGreaterThan(
      before.sections.find((s) => s.kind === 'allergies')!.entries.length,
    );
    expect(view.patient).toEqual(before.patient);
    // The signed additions are kept as they were signed: still verifiable from the record.
    for (const entry of v2.manifest.objects.filter((o) => o.role === 'addition')) {
      const bytes = openRecordObject(await get(sandbox.buckets.ehr, recordObjectKey(prefix, entry.id)), entry, {
        masterKey,
        citizenId,
      });
      expect(verifyAddition(bytes, { trustAnchors: [chain.root.cert], policy: { revocation: 'off' } }).valid).toBe(
        true,
      );
    }
    stores.close();
  });
});
