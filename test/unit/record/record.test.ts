import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { decryptContainer, encryptContainer } from '../../../main/crypto';
import { randomPseudonym } from '../../../main/emergency';
import {
  RecordWriter,
  createObjectDecryptStream,
  ipsSummaryEntry,
  manifestAssociatedData,
  openManifest,
  openObjectReader,
  openRecordObject,
  writeRecord,
  type RecordManifest,
} from '../../../main/record';
import { codeOf } from '../crypto/helpers';

const masterKey = randomBytes(32);
const citizenId = randomPseudonym();
const prefix = `citizens/${citizenId}`;
const key = { masterKey, citizenId };
const ips = Buffer.from(JSON.stringify({ resourceType: 'Bundle', type: 'document', entry: [] }));
const pdf = randomBytes(5000);
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

function record(signer?: { privateKey: import('node:crypto').KeyObject }) {
  return writeRecord({
    masterKey,
    citizenId,
    prefix,
    segmentSize: 1024,
    objects: [
      { role: 'ips-summary', contentType: 'application/fhir+json', data: ips, title: 'Patient summary' },
      { role: 'attachment', contentType: 'application/pdf', data: pdf, title: 'Discharge letter' },
    ],
    ...(signer ? { signer } : {}),
  });
}

/** Re-seal a manifest envelope as someone holding the master key (but not the patient's signing key) could. */
function reseal(envelope: unknown): Buffer {
  return encryptContainer(Buffer.from(JSON.stringify(envelope)), {
    masterKey,
    purpose: 'manifest',
    associatedData: manifestAssociatedData(citizenId),
    contentType: 'application/json',
  });
}
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** The manifest container holds the JSON envelope (payload, protected, signature). */
const envelopeOf = (container: Buffer) =>
  JSON.parse(
    decryptContainer(container, {
      masterKey,
      purpose: 'manifest',
      associatedData: manifestAssociatedData(citizenId),
    }).plaintext.toString(),
  ) as Record<string, string>;

describe('record layout', () => {
  it('writes and opens an unsigned record', () => {
    const r = record();
    expect(r.uploads.map((u) => u.key)).toEqual([
      expect.stringMatching(new RegExp(`^${prefix}/objects/[a-z2-7]{26}\\.hcpc$`)),
      expect.stringMatching(new RegExp(`^${prefix}/objects/[a-z2-7]{26}\\.hcpc$`)),
      `${prefix}/manifest.hcpc`,
    ]);
    for (const u of r.uploads) expect(u.body.length).toBe(u.contentLength);
    const opened = openManifest(r.upload.body, key);
    expect(opened.signer).toBeNull();
    expect(opened.manifest.version).toBe(1);
    expect(opened.payloadSha256).toBe(r.payloadSha256);
    const summary = ipsSummaryEntry(opened.manifest);
    expect(summary).toMatchObject({
      role: 'ips-summary',
      contentType: 'application/fhir+json',
      size: ips.length,
      title: 'Patient summary',
    });
    expect(summary.sha256).toBe(createHash('sha256').update(ips).digest('hex'));
    const body = (id: string) => r.uploads.find((u) => u.key.endsWith(`${id}.hcpc`))!.body;
    expect(openRecordObject(body(summary.id), summary, key).equals(ips)).toBe(true);
    const letter = opened.manifest.objects[1]!;
    expect(openRecordObject(body(letter.id), letter, key).equals(pdf)).toBe(true);
  });

  for (const [name, pair, alg] of [
    ['ES256', ec, 'ES256'],
    ['RS256', rsa, 'RS256'],
  ] as const) {
    it(`signs and verifies the manifest (${name})`, async () => {
      const r = record({ privateKey: pair.privateKey });
      const opened = openManifest(r.upload.body, { ...key, requireSignature: true });
      expect(opened.signer).toEqual({ alg, kid: r.manifest.patientKey!.kid });
      expect(openManifest(r.upload.body, { ...key, expectedSignerKid: r.manifest.patientKey!.kid }).signer?.alg).toBe(
        alg,
      );

      const envelope = envelopeOf(r.upload.body);
      // Someone with the master key rewrites the manifest but cannot re-sign it.
      const forged = { ...r.manifest, objects: r.manifest.objects.slice(0, 1) };
      expect(await codeOf(() => openManifest(reseal({ ...envelope, payload: b64(forged) }), key))).toBe(
        'MANIFEST_SIGNATURE_INVALID',
      );
      // Stripping the signature while the key stays declared.
      expect(await codeOf(() => openManifest(reseal({ payload: envelope.payload }), key))).toBe(
        'MANIFEST_SIGNATURE_INVALID',
      );
      // Stripping key and signature: only a pin or a policy catches it.
      const { patientKey: _dropped, ...unsigned } = r.manifest;
      const stripped = reseal({ payload: b64(unsigned) });
      expect(openManifest(stripped, key).signer).toBeNull();
      expect(await codeOf(() => openManifest(stripped, { ...key, requireSignature: true }))).toBe(
        'MANIFEST_SIGNATURE_INVALID',
      );
      expect(
        await codeOf(() => openManifest(stripped, { ...key, expectedSignerKid: r.manifest.patientKey!.kid })),
      ).toBe('MANIFEST_SIGNATURE_INVALID');
      // Another key swapped in with a matching kid and signature is caught by the pin.
      const other = record({ privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey });
      expect(
        await codeOf(() => openManifest(other.upload.body, { ...key, expectedSignerKid: r.manifest.patientKey!.kid })),
      ).toBe('MANIFEST_SIGNATURE_INVALID');
      // A flipped signature bit.
      const sig = Buffer.from(envelope.signature!, 'base64url');
      sig[5]! ^= 1;
      expect(await codeOf(() => openManifest(reseal({ ...envelope, signature: sig.toString('base64url') }), key))).toBe(
        'MANIFEST_SIGNATURE_INVALID',
      );
      // A declared key whose thumbprint does not match its kid.
      const wrongKid = { ...r.manifest, patientKey: { ...r.manifest.patientKey!, kid: 'A'.repeat(43) } };
      expect(await codeOf(() => openManifest(reseal({ ...envelope, payload: b64(wrongKid) }), key))).toBe(
        'MANIFEST_SIGNATURE_INVALID',
      );
      // alg "none" and unknown algorithms.
      expect(
        await codeOf(() =>
          openManifest(reseal({ ...envelope, protected: b64({ alg: 'none', kid: r.manifest.patientKey!.kid }) }), key),
        ),
      ).toBe('MANIFEST_SIGNATURE_INVALID');
    });
  }

  it('refuses malformed manifests with MANIFEST_INVALID', async () => {
    const r = record();
    const m = r.manifest;
    const cases: unknown[] = [
      'not an object',
      { payload: 'not base64url!' },
      { payload: Buffer.from('{').toString('base64url') },
      { payload: b64({ ...m, format: 'other' }) },
      { payload: b64({ ...m, objects: m.objects.filter((o) => o.role !== 'ips-summary') }) },
      { payload: b64({ ...m, objects: [...m.objects, m.objects[0]] }) },
      { payload: b64({ ...m, objects: [{ ...m.objects[0]!, id: '../../other' }, m.objects[1]] }) },
      { payload: b64({ ...m, objects: [{ ...m.objects[0]!, sha256: 'xyz' }, m.objects[1]] }) },
      { payload: b64({ ...m, version: 0 }) },
      { payload: b64({ ...m, citizenId: randomPseudonym() }) },
    ];
    for (const envelope of cases)
      expect(await codeOf(() => openManifest(reseal(envelope), key)), JSON.stringify(envelope).slice(0, 80)).toBe(
        'MANIFEST_INVALID',
      );
  });

  it('a manifest or object under the wrong key, citizen or name does not open', async () => {
    const r = record();
    expect(await codeOf(() => openManifest(r.upload.body, { ...key, masterKey: randomBytes(32) }))).toBe(
      'CONTAINER_AUTH_FAILED',
    );
    expect(await codeOf(() => openManifest(r.upload.body, { ...key, citizenId: randomPseudonym() }))).toBe(
      'CONTAINER_AUTH_FAILED',
    );
    const [summary, letter] = r.manifest.objects;
    const summaryBody = r.uploads[0]!.body;
    // The summary's container presented as the letter (swapped in the bucket).
    expect(await codeOf(() => openRecordObject(summaryBody, letter!, key))).toBe('CONTAINER_AUTH_FAILED');
    // The manifest's fingerprint does not match the object.
    expect(await codeOf(() => openRecordObject(summaryBody, { ...summary!, sha256: '0'.repeat(64) }, key))).toBe(
      'OBJECT_INTEGRITY_FAILED',
    );
    expect(await codeOf(() => openRecordObject(summaryBody, { ...summary!, size: summary!.size + 1 }, key))).toBe(
      'OBJECT_INTEGRITY_FAILED',
    );
    expect(await codeOf(() => openRecordObject(summaryBody, { ...summary!, contentType: 'text/plain' }, key))).toBe(
      'OBJECT_INTEGRITY_FAILED',
    );
  });

  it('streams large objects in and out, hashing on the way, and reads ranges', async () => {
    const writer = new RecordWriter({ masterKey, citizenId, prefix, segmentSize: 4096 });
    writer.addBuffer({ role: 'ips-summary', contentType: 'application/fhir+json', data: ips });
    const image = randomBytes(100_000);
    const upload = writer.addStream({
      role: 'imaging',
      contentType: 'application/dicom',
      size: image.length,
      title: 'CT head',
    });
    expect(() => writer.finish()).toThrow(/INVALID_INPUT/);
    const parts: Buffer[] = [];
    await pipeline(
      Readable.from([image.subarray(0, 30_000), image.subarray(30_000)]),
      upload.body,
      new Writable({ write: (c, _e, cb) => (parts.push(c), cb()) }),
    );
    const stored = Buffer.concat(parts);
    expect(stored.length).toBe(upload.contentLength);
    const finished = writer.finish();
    const entry = openManifest(finished.upload.body, key).manifest.objects.find((o) => o.id === upload.id)!;
    expect(entry).toMatchObject({
      role: 'imaging',
      size: image.length,
      sha256: createHash('sha256').update(image).digest('hex'),
    });

    const out: Buffer[] = [];
    await pipeline(
      Readable.from([stored]),
      createObjectDecryptStream(entry, key),
      new Writable({ write: (c, _e, cb) => (out.push(c), cb()) }),
    );
    expect(Buffer.concat(out).equals(image)).toBe(true);

    const lying = { ...entry, sha256: 'f'.repeat(64) };
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    expect(await codeOf(() => pipeline(Readable.from([stored]), createObjectDecryptStream(lying, key), sink))).toBe(
      'OBJECT_INTEGRITY_FAILED',
    );
    expect(
      await codeOf(() =>
        pipeline(
          Readable.from([stored]),
          createObjectDecryptStream({ ...entry, size: 5 }, key),
          new Writable({ write: (_c, _e, cb) => cb() }),
        ),
      ),
    ).toBe('OBJECT_INTEGRITY_FAILED');

    const reader = await openObjectReader(async (s, e) => stored.subarray(s, e), entry, key, {
      containerLength: stored.length,
    });
    expect((await reader.read(50_000, 50_100)).equals(image.subarray(50_000, 50_100))).toBe(true);
    expect(
      await codeOf(() => openObjectReader(async (s, e) => stored.subarray(s, e), { ...entry, size: 1 }, key)),
    ).toBe('OBJECT_INTEGRITY_FAILED');
  });

  it('a later version keeps the objects, adds new ones and links the previous manifest', () => {
    const first = record({ privateKey: ec.privateKey });
    const verified = openManifest(first.upload.body, key);
    const writer = new RecordWriter({ masterKey, citizenId, prefix, basedOn: verified });
    const addition = writer.addBuffer({
      role: 'addition',
      contentType: 'application/fhir+json',
      data: Buffer.from('{"resourceType":"Bundle"}'),
      title: 'ER note',
    });
    const second = writer.finish({ signer: { privateKey: ec.privateKey } });
    const opened = openManifest(second.upload.body, { ...key, expectedSignerKid: verified.manifest.patientKey!.kid });
    const m: RecordManifest = opened.manifest;
    expect(m.version).toBe(2);
    expect(m.previous).toEqual({ version: 1, sha256: verified.payloadSha256 });
    expect(m.objects.map((o) => o.id)).toEqual([...verified.manifest.objects.map((o) => o.id), addition.id]);
  });
});
