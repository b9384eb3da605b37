import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decryptContainer,
  encryptContainer,
  deriveHriLocationKey,
  openHriLocation,
  sealHriLocation,
  base32Decode,
  type ContainerPurpose,
  type HriLocation,
} from '../../../main/crypto';
import { encodeEmergencyQr, parseEmergencyQr } from '../../../main/emergency';
import { checkFreshness, type VerifiedManifest } from '../../../main/record';

/** The vectors as docs/formats.md prints them: the doc and the code cannot drift apart. */
interface Vectors {
  masterKey: string;
  hriLocationKey: string;
  containers: Array<{
    name: string;
    purpose: ContainerPurpose;
    associatedData: string;
    contentType: string;
    segmentSize: number;
    plaintextAscii: string;
    salt: string;
    noncePrefix: string;
    key: string;
    container: string;
  }>;
  qr: Array<{
    citizenId: string;
    hriToken: string;
    masterKey: string;
    issuedAt: string;
    expiresAt?: string;
    cloudHint?: string;
    patientKeyKid?: string;
    text: string;
  }>;
  freshness: Array<{
    name: string;
    seen: { version: number; sha256: string } | null;
    offered: { version: number; sha256: string; previous?: { version: number; sha256: string } };
    result: string;
  }>;
  hriLocation: { nonce: string; location: HriLocation; sealed: string };
}

const doc = readFileSync(new URL('../../../docs/formats.md', import.meta.url), 'utf8');
const block = /<!-- vectors:begin -->\s*```json\n([\s\S]*?)\n```\s*<!-- vectors:end -->/.exec(doc);
const vectors = JSON.parse(block?.[1] ?? 'null') as Vectors;
const hex = (s: string) => Buffer.from(s, 'hex');
const LABEL: Record<ContainerPurpose, string> = {
  object: 'hcp/v1/object',
  manifest: 'hcp/v1/manifest',
  'pending-additions': 'hcp/v1/pending-additions',
};

/** The container as docs/formats.md section 3 describes it, built from Node's primitives alone. */
function containerFromTheDoc(v: Vectors['containers'][number]): Buffer {
  const master = hex(vectors.masterKey);
  const salt = hex(v.salt);
  const prefix = hex(v.noncePrefix);
  const info = Buffer.concat([Buffer.from(LABEL[v.purpose]), Buffer.from([0]), Buffer.from(v.associatedData)]);
  const key = Buffer.from(hkdfSync('sha256', master, salt, info, 32));
  expect(key.toString('hex')).toBe(v.key);
  const plaintext = Buffer.from(v.plaintextAscii, 'ascii');
  const header = Buffer.alloc(59 + v.contentType.length);
  header.write('HCPC', 0, 'ascii');
  header[4] = 1;
  header.writeUInt16BE(header.length, 5);
  header.writeUInt32BE(v.segmentSize, 7);
  header.writeBigUInt64BE(BigInt(plaintext.length), 11);
  salt.copy(header, 19);
  prefix.copy(header, 51);
  header[58] = v.contentType.length;
  header.write(v.contentType, 59, 'ascii');
  const gcm = (nonce: Buffer, data: Buffer) => {
    const c = createCipheriv('aes-256-gcm', key, nonce);
    c.setAAD(header);
    return Buffer.concat([c.update(data), c.final(), c.getAuthTag()]);
  };
  const parts = [header, gcm(Buffer.concat([prefix, Buffer.from([0xff, 0xff, 0xff, 0xff, 2])]), Buffer.alloc(0))];
  const n = Math.max(1, Math.ceil(plaintext.length / v.segmentSize));
  for (let i = 0; i < n; i++) {
    const nonce = Buffer.alloc(12);
    prefix.copy(nonce);
    nonce.writeUInt32BE(i, 7);
    nonce[11] = i === n - 1 ? 1 : 0;
    parts.push(gcm(nonce, plaintext.subarray(i * v.segmentSize, (i + 1) * v.segmentSize)));
  }
  return Buffer.concat(parts);
}

describe('docs/formats.md test vectors', () => {
  it('are present', () => {
    expect(vectors.containers.length).toBeGreaterThanOrEqual(2);
    expect(vectors.qr.length).toBeGreaterThanOrEqual(2);
  });

  it('container vectors match the documented layout and the implementation', () => {
    for (const v of vectors.containers) {
      expect(containerFromTheDoc(v).toString('hex'), v.name).toBe(v.container);
      const params = { masterKey: hex(vectors.masterKey), purpose: v.purpose, associatedData: v.associatedData };
      const made = encryptContainer(Buffer.from(v.plaintextAscii, 'ascii'), {
        ...params,
        contentType: v.contentType,
        segmentSize: v.segmentSize,
        salt: hex(v.salt),
        noncePrefix: hex(v.noncePrefix),
      });
      expect(made.toString('hex'), v.name).toBe(v.container);
      expect(decryptContainer(hex(v.container), params).plaintext.toString('ascii')).toBe(v.plaintextAscii);
    }
  });

  it('QR payload vectors match the documented layout and the implementation', () => {
    for (const v of vectors.qr) {
      const input = {
        citizenId: v.citizenId,
        hriToken: v.hriToken,
        masterKey: hex(v.masterKey),
        issuedAt: new Date(v.issuedAt),
        ...(v.expiresAt ? { expiresAt: new Date(v.expiresAt) } : {}),
        ...(v.cloudHint ? { cloudHint: v.cloudHint } : {}),
        ...(v.patientKeyKid ? { patientKeyKid: v.patientKeyKid } : {}),
      };
      expect(encodeEmergencyQr(input)).toBe(v.text);
      const { payload } = parseEmergencyQr(v.text, { now: new Date(v.issuedAt) });
      expect(payload.masterKey.toString('hex')).toBe(v.masterKey);
      expect(payload.cloudHint).toBe(v.cloudHint);
      // Byte layout per section 2.
      expect(v.text.startsWith('HCPE')).toBe(true);
      const bytes = base32Decode(v.text.slice(4))!.bytes;
      expect(bytes[0]).toBe(v.patientKeyKid ? 2 : 1);
      expect(bytes[1]).toBe((v.expiresAt ? 1 : 0) | (v.cloudHint ? 2 : 0) | (v.patientKeyKid ? 4 : 0));
      expect(payload.patientKeyKid).toBe(v.patientKeyKid);
      if (v.patientKeyKid)
        expect(bytes.subarray(bytes.length - 36, bytes.length - 4).toString('base64url')).toBe(v.patientKeyKid);
      expect(base32Decode(v.citizenId)!.bytes.equals(bytes.subarray(2, 18))).toBe(true);
      expect(base32Decode(v.hriToken)!.bytes.equals(bytes.subarray(18, 34))).toBe(true);
      expect(bytes.subarray(34, 66).toString('hex')).toBe(v.masterKey);
      expect(bytes.readUInt32BE(66)).toBe(Date.parse(v.issuedAt) / 1000);
      if (v.expiresAt) expect(bytes.readUInt32BE(70)).toBe(Date.parse(v.expiresAt) / 1000);
      const body = bytes.subarray(0, bytes.length - 4);
      expect(
        createHash('sha256')
          .update('HCPE')
          .update(body)
          .digest()
          .subarray(0, 4)
          .equals(bytes.subarray(bytes.length - 4)),
      ).toBe(true);
    }
  });

  it('freshness vectors (section 4.1) give the documented result', () => {
    expect(vectors.freshness.length).toBeGreaterThanOrEqual(9);
    for (const v of vectors.freshness) {
      const offered = {
        manifest: { version: v.offered.version, ...(v.offered.previous ? { previous: v.offered.previous } : {}) },
        payloadSha256: v.offered.sha256,
        signer: null,
      } as unknown as VerifiedManifest;
      const seen = v.seen ? { highestVersion: v.seen.version, payloadSha256: v.seen.sha256, signerKid: null } : null;
      let result = 'accept';
      try {
        checkFreshness(seen, offered);
      } catch (e) {
        const err = e as { code: string; details?: { reason?: string } };
        result = err.details?.reason ? `${err.code}:${err.details.reason}` : err.code;
      }
      expect(result, v.name).toBe(v.result);
    }
  });

  it('sealed HRI location vector matches docs/hri.md and the implementation', () => {
    const { nonce, location, sealed } = vectors.hriLocation;
    const master = hex(vectors.masterKey);
    const key = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), Buffer.from('hcp/v1/hri-location'), 32));
    expect(key.toString('hex')).toBe(vectors.hriLocationKey);
    expect(deriveHriLocationKey(master).toString('hex')).toBe(vectors.hriLocationKey);
    expect(sealHriLocation(master, location, { nonce: hex(nonce) })).toBe(sealed);
    const bytes = Buffer.from(sealed, 'base64url');
    const d = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    d.setAAD(Buffer.from(location.citizenId));
    d.setAuthTag(bytes.subarray(bytes.length - 16));
    const json = Buffer.concat([d.update(bytes.subarray(12, bytes.length - 16)), d.final()]).toString();
    expect(JSON.parse(json)).toEqual(location);
    expect(openHriLocation(master, location.citizenId, sealed)).toEqual(location);
  });
});
