import { rename, writeFile } from 'node:fs/promises';
import QRCode, { type QRCodeSegment } from 'qrcode';

/**
 * A blob's frame (or a link's segments) as a PNG QR code, written whole or not at all (temp file + rename), so a
 * display or a person reading the file never sees half a picture.
 */
export async function writeQrPng(path: string, content: Uint8Array | QRCodeSegment[], scale = 10): Promise<void> {
  const segments: QRCodeSegment[] = Array.isArray(content) ? content : [{ data: content, mode: 'byte' }];
  const png = await QRCode.toBuffer(segments, { errorCorrectionLevel: 'M', margin: 4, scale });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, png);
  await rename(temp, path);
}
