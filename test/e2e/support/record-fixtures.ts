import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { emergencyViewOf } from '../../../main/fhir/index';
import type { OpenRecord, ScanPreview } from '../../../common/ipc/channels/emergency';
import { SAMPLES_DIR } from './ui';

/**
 * Contract values for rendering tests: the emergency view is built by the real main/fhir code from
 * a real connectathon IPS bundle; the envelope around it (source, integrity, attachments) is what
 * emergency.open answers.
 */
export function openRecordFrom(sample: string, overrides: Partial<OpenRecord> = {}, now = new Date()): OpenRecord {
  const view = emergencyViewOf(readFileSync(join(SAMPLES_DIR, sample)));
  return {
    recordId: `rec-${sample.replace(/\W+/g, '-')}`,
    patientRef: 'K7Q2-M9XD',
    source: 'cloud',
    fetchedAt: new Date(now.getTime() - 2 * 60_000).toISOString(),
    offlineReason: null,
    integrity: { verified: true, manifestSigned: true, manifestVersion: 3 },
    accessExpiresAt: new Date(now.getTime() + 60 * 60_000).toISOString(),
    view,
    attachments: [
      {
        id: 'att-ecg',
        title: 'ECG 12-lead',
        contentType: 'image/png',
        size: 184_320,
        created: '2024-03-02',
        state: 'not-downloaded',
      },
      {
        id: 'att-discharge',
        title: 'Discharge letter',
        contentType: 'application/pdf',
        size: 2_415_919,
        created: '2023-11-18',
        state: 'not-downloaded',
      },
      {
        id: 'att-dicom',
        title: 'Chest CT (DICOM)',
        contentType: 'application/dicom',
        size: 48_234_496,
        created: '2023-11-17',
        state: 'not-downloaded',
      },
    ],
    ...overrides,
  };
}

export function previewFor(patientRef = 'K7Q2-M9XD', now = new Date(), cached = false): ScanPreview {
  return {
    scanId: 'scan-1',
    patientRef,
    issuedAt: new Date(now.getTime() - 30 * 86_400_000).toISOString(),
    expiresAt: new Date(now.getTime() + 335 * 86_400_000).toISOString(),
    cached,
  };
}

/** A small valid PNG (an ECG-like trace on white), for the image viewer. */
export function ecgPngBase64(width = 240, height = 80): string {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3, 0xff);
    for (let x = 0; x < width; x++) {
      const phase = x % 60;
      const trace = Math.round(
        height / 2 -
          (phase > 26 && phase < 32 ? (phase < 29 ? (phase - 26) * 10 : (32 - phase) * 10) : Math.sin(x / 6) * 3),
      );
      if (Math.abs(y - trace) <= 1) row.fill(0, 1 + x * 3, 1 + x * 3 + 3);
      else if (x % 20 === 0 || y % 20 === 0) row.set([0xf4, 0xc2, 0xc2], 1 + x * 3);
    }
    row[0] = 0;
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return png.toString('base64');
}
