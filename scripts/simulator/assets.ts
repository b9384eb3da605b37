/**
 * Synthetic attachment content for simulated patients: a small real PNG ("photo"), a small real
 * PDF (both open in the workstation's document viewers) and random bytes of any size, produced
 * as a stream so that a 1 GB "imaging" object is never held in memory.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { PNG } from 'pngjs';

/** A 320x240 PNG: a skin-tone field with a reddish "wound" ellipse and a 1 cm ruler, seeded per patient. */
export function syntheticPhotoPng(seed: number): Buffer {
  const width = 320;
  const height = 240;
  const png = new PNG({ width, height });
  const cx = 110 + (seed % 100);
  const cy = 100 + (seed % 40);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const dx = (x - cx) / 46;
      const dy = (y - cy) / 22;
      const inWound = dx * dx + dy * dy <= 1;
      const onRuler = y >= 205 && y <= 215 && x >= 20 && x <= 300;
      const tick = onRuler && (x - 20) % 28 === 0;
      let rgb: [number, number, number];
      if (tick) rgb = [20, 20, 20];
      else if (onRuler) rgb = [245, 245, 235];
      else if (inWound) rgb = [170 + ((x * 7 + y * 3) % 30), 40, 45];
      else rgb = [222 - ((x + y) % 12), 180 - (y % 9), 150];
      png.data[i] = rgb[0];
      png.data[i + 1] = rgb[1];
      png.data[i + 2] = rgb[2];
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/** Escapes text for a PDF literal string (ASCII only; other characters become '?'). */
function pdfText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').replace(/[\\()]/g, (c) => `\\${c}`);
}

/**
 * A one-page PDF 1.4 letter (Helvetica, no compression) with a correct cross-reference table,
 * so strict viewers (PDF.js, Chromium's) open it.
 */
export function syntheticLetterPdf(lines: string[]): Buffer {
  const content = ['BT', '/F1 12 Tf', '14 TL', '56 780 Td', ...lines.map((l) => `(${pdfText(l)}) '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** Exactly `size` random bytes, generated chunk by chunk as the consumer reads (bounded memory). */
export function randomByteStream(size: number, chunkSize = 1 << 20): Readable {
  let remaining = size;
  return new Readable({
    highWaterMark: chunkSize,
    read() {
      if (remaining <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunkSize, remaining);
      remaining -= n;
      this.push(randomBytes(n));
    },
  });
}

/**
 * A synthetic PNG of at least `minBytes` (stored, not compressed: deflate level 0), for the
 * viewer's streamed large-attachment path: square, 8-bit RGB, a gradient with a grid.
 */
export function syntheticLargePng(minBytes: number): Buffer {
  const side = Math.max(16, Math.ceil(Math.sqrt(minBytes / 3)) + 8);
  const png = new PNG({ width: side, height: side, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3;
      const line = x % 256 === 0 || y % 256 === 0;
      png.data[i] = line ? 255 : (x * 255) / side;
      png.data[i + 1] = line ? 255 : (y * 255) / side;
      png.data[i + 2] = line ? 255 : (x + y) & 0x7f;
    }
  }
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false, deflateLevel: 0 });
}
