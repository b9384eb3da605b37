/**
 * The patient-side simulator against the real sandbox: what it seeds is exactly what the
 * workstation can find (HRI), fetch (STS role), verify and show (manifest, IPS, attachments).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeQrPng, parseEmergencyQr } from '../../../main/emergency/index';
import { emergencyViewOf } from '../../../main/fhir/index';
import { createHriClient } from '../../../main/hri/index';
import { createObjectDecryptStream, openManifest, openRecordObject } from '../../../main/record/index';
import { unregisterCitizen } from '../../../scripts/sandbox/hri-client';
import { seedPatients, type SeedResult, type SeededPatient } from '../../../scripts/simulator/index';
import { SHARED_SAMPLES_DIR as DEFAULT_SAMPLES_DIR } from '../../support/samples';
import { patientClient, readAll, sandbox, workstationStore } from '../cloud/helpers';

const SAMPLES = ['IPS_IG-bundle-01.json', 'CY_Andreas_Ioannou_01.json', 'DE_no_info_with_Advance_Directive.json'].map(
  (f) => join(DEFAULT_SAMPLES_DIR, f),
);
const MB = 1 << 20;

let outDir: string;
let result: SeedResult;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'hcp-sim-'));
  const bad = join(outDir, 'not-a-bundle.json');
  writeFileSync(bad, '{"resourceType":"Patient","id":"x"}');
  result = await seedPatients({
    sandbox: sandbox(),
    samples: [...SAMPLES, bad],
    outDir: join(outDir, 'out'),
    attachmentsMb: [1.5],
    documents: true,
    signManifest: true,
  });
});

afterAll(async () => {
  const s = sandbox();
  for (const p of result?.patients ?? [])
    await unregisterCitizen(s.hri.url, s.hri.registrationToken, p.citizenId).catch(() => {});
  rmSync(outDir, { recursive: true, force: true });
});

async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of patientClient().listObjectsV2(sandbox().buckets.ehr, `${prefix}/`, true))
    keys.push((item as { name: string }).name);
  return keys.sort();
}

/** What the workstation does, step by step: QR -> HRI -> STS role -> manifest -> objects. */
async function openAsWorkstation(p: SeededPatient, requireSignature = true) {
  const qr = parseEmergencyQr(readFileSync(p.qrTxt, 'utf8')).payload;
  const location = await createHriClient({ url: sandbox().hri.url, timeoutMs: 3_000, retries: 1 }).lookupCloudLocation({
    citizenId: qr.citizenId,
    hriToken: qr.hriToken,
    masterKey: qr.masterKey,
  });
  const store = workstationStore(undefined, location.endpoint);
  const key = { masterKey: qr.masterKey, citizenId: qr.citizenId };
  const manifestBytes = await readAll(await store.getObject(location.bucket, `${location.prefix}/manifest.hcpc`));
  const verified = openManifest(manifestBytes, { ...key, requireSignature });
  return { qr, location, store, key, verified };
}

describe('seedPatients into the sandbox', () => {
  it('seeds one patient per good sample, reports the bad one, and writes QR files, index and README', () => {
    expect(result.patients.map((p) => basename(p.sample))).toEqual(SAMPLES.map((s) => basename(s)));
    expect(result.failures).toEqual([
      { sample: expect.stringContaining('not-a-bundle.json'), error: expect.stringContaining('FHIR_INVALID_BUNDLE') },
    ]);
    for (const p of result.patients) {
      expect(readFileSync(p.qrTxt, 'utf8').trim()).toBe(p.qrText);
      expect(statSync(p.qrPng).size).toBeGreaterThan(500);
    }
    const index = JSON.parse(readFileSync(result.indexFile, 'utf8')) as {
      warning: string;
      patients: Array<{ name: string; displayName: string; qrText: string; citizenId: string; objects: unknown[] }>;
    };
    expect(index.warning).toMatch(/TRAINING\/TEST DATA ONLY/);
    expect(index.patients[1]).toMatchObject({
      name: 'cy-andreas-ioannou-01',
      displayName: 'Andreas Ioannou',
      citizenId: result.patients[1]!.citizenId,
      qrText: result.patients[1]!.qrText,
    });
    expect(statSync(result.indexFile).mode & 0o077).toBe(0);
    expect(readFileSync(result.readmeFile, 'utf8')).toMatch(/key material/);
  });

  it("stores exactly the record's objects under the citizen's prefix in ehr", async () => {
    for (const p of result.patients) {
      expect(p.prefix).toBe(p.citizenId);
      const expected = [p.manifestKey, ...p.objects.map((o) => o.key)].sort();
      expect(await listKeys(p.prefix)).toEqual(expected);
      expect(p.objects.map((o) => o.role)).toEqual(['ips-summary', 'attachment', 'attachment', 'imaging']);
    }
  });

  it('the QR PNG decodes back to the same payload', () => {
    for (const p of result.patients) {
      const fromPng = parseEmergencyQr(decodeQrPng(readFileSync(p.qrPng))).payload;
      const fromText = parseEmergencyQr(p.qrText).payload;
      expect(fromPng).toEqual(fromText);
      expect(fromPng.citizenId).toBe(p.citizenId);
      expect(fromPng.cloudHint).toBe(sandbox().s3.endpoint);
    }
  });

  it("the HRI answers the QR's token with a sealed location that opens with the QR key and names the record", async () => {
    const s = sandbox();
    for (const p of result.patients) {
      const { location } = await openAsWorkstation(p);
      expect(location).toEqual({
        endpoint: s.s3.endpoint,
        region: s.s3.region,
        bucket: s.buckets.ehr,
        prefix: p.prefix,
      });
    }
  });

  it('the workstation role reads the signed manifest, the IPS summary builds the emergency view, the documents and the streamed attachment verify', async () => {
    for (const p of result.patients) {
      const { location, store, key, verified } = await openAsWorkstation(p);
      expect(verified.signer?.alg).toBe('ES256');
      expect(verified.manifest.objects.map((o) => o.id).sort()).toEqual(p.objects.map((o) => o.id).sort());

      const ipsEntry = verified.manifest.objects.find((o) => o.role === 'ips-summary')!;
      const ips = openRecordObject(
        await readAll(await store.getObject(location.bucket, `${location.prefix}/objects/${ipsEntry.id}.hcpc`)),
        ipsEntry,
        key,
      );
      expect(ips.equals(readFileSync(p.sample))).toBe(true);
      expect(emergencyViewOf(ips).patient.names[0]).toBe(p.displayName);

      const png = verified.manifest.objects.find((o) => o.contentType === 'image/png')!;
      const pngBytes = openRecordObject(
        await readAll(await store.getObject(location.bucket, `${location.prefix}/objects/${png.id}.hcpc`)),
        png,
        key,
      );
      expect(pngBytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      const pdf = verified.manifest.objects.find((o) => o.contentType === 'application/pdf')!;
      const pdfBytes = openRecordObject(
        await readAll(await store.getObject(location.bucket, `${location.prefix}/objects/${pdf.id}.hcpc`)),
        pdf,
        key,
      );
      expect(pdfBytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
      expect(pdfBytes.toString('latin1')).toMatch(/startxref\n\d+\n%%EOF\n$/);

      const imaging = verified.manifest.objects.find((o) => o.role === 'imaging')!;
      expect(imaging.size).toBe(1.5 * MB);
      let received = 0;
      await pipeline(
        await store.getObject(location.bucket, `${location.prefix}/objects/${imaging.id}.hcpc`),
        createObjectDecryptStream(imaging, key),
        new Writable({
          write(chunk: Buffer, _enc, done) {
            received += chunk.length;
            done();
          },
        }),
      );
      expect(received).toBe(imaging.size);
    }
  });
});

describe('large attachments', () => {
  it('go up as streamed multipart uploads and decrypt to the announced size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-sim-big-'));
    try {
      const big = await seedPatients({ sandbox: sandbox(), samples: [SAMPLES[0]!], outDir: dir, attachmentsMb: [25] });
      const p = big.patients[0]!;
      try {
        const imaging = p.objects.find((o) => o.role === 'imaging')!;
        const stat = await patientClient().statObject(sandbox().buckets.ehr, imaging.key);
        expect(stat.etag).toMatch(/-\d+$/); // a multipart ETag
        const { location, store, key, verified } = await openAsWorkstation(p, false);
        const entry = verified.manifest.objects.find((o) => o.id === imaging.id)!;
        let received = 0;
        await pipeline(
          await store.getObject(location.bucket, imaging.key),
          createObjectDecryptStream(entry, key),
          new Writable({
            write(chunk: Buffer, _enc, done) {
              received += chunk.length;
              done();
            },
          }),
        );
        expect(received).toBe(25 * MB);
      } finally {
        await unregisterCitizen(sandbox().hri.url, sandbox().hri.registrationToken, p.citizenId).catch(() => {});
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
