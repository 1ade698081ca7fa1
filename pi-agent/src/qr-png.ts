import { rename, writeFile } from 'node:fs/promises';
import QRCode from 'qrcode';

/**
 * A blob's frame as a PNG QR code, written whole or not at all (temp file + rename), so a
 * display or a person reading the file never sees half a picture.
 */
export async function writeQrPng(path: string, frame: Uint8Array, scale = 10): Promise<void> {
  const png = await QRCode.toBuffer([{ data: frame, mode: 'byte' }], { errorCorrectionLevel: 'M', margin: 4, scale });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, png);
  await rename(temp, path);
}
