import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { WorkstationError } from '../../common/errors';

export interface RenderOptions {
  /** Pixels per module. Default 8. */
  scale?: number;
  /** Quiet zone in modules. Default 4 (the QR standard's). */
  margin?: number;
  /** Default 'M': survives a crease or a scratched phone screen; the payload fits either way. */
  errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
}

/** Renders payload text (A-Z 0-9 only) as a PNG, in QR alphanumeric mode. */
export async function renderEmergencyQrPng(text: string, options: RenderOptions = {}): Promise<Buffer> {
  if (!/^[A-Z0-9]+$/.test(text)) throw new WorkstationError('INVALID_INPUT', { field: 'qrText' });
  return QRCode.toBuffer([{ data: text, mode: 'alphanumeric' }], {
    type: 'png',
    errorCorrectionLevel: options.errorCorrectionLevel ?? 'M',
    margin: options.margin ?? 4,
    scale: options.scale ?? 8,
  });
}

/** The text of the QR code in a PNG image; QR_IMAGE_UNREADABLE when there is none. */
export function decodeQrPng(png: Buffer): string {
  let image: PNG;
  try {
    image = PNG.sync.read(png);
  } catch (cause) {
    throw new WorkstationError('QR_IMAGE_UNREADABLE', undefined, { cause });
  }
  const code = jsQR(
    new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.byteLength),
    image.width,
    image.height,
    {
      inversionAttempts: 'attemptBoth',
    },
  );
  if (!code) throw new WorkstationError('QR_IMAGE_UNREADABLE');
  return code.data;
}
