// A QR matrix (src/qr/matrix.ts) as a PNG file: greyscale, one byte a pixel, `scale` pixels a module
// and the four-module quiet border the QR spec asks for. Written whole or not at all (temp file +
// rename), so a display or a person reading the file never sees half a picture.
import { rename, writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import type { QrMatrix } from '@pigeon/qr';
import { crc32 } from '@pigeon/signal';

const QUIET = 4;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export function qrPng(matrix: QrMatrix, scale = 10): Buffer {
  const side = (matrix.size + 2 * QUIET) * scale;
  const pixels = Buffer.alloc(side * side, 0xff);
  drawQr(pixels, side, matrix, 0, 0, scale);
  return greyPng(side, side, pixels);
}

/** Draws `matrix` with its quiet border into a greyscale image `width` pixels wide, top left at (left, top). */
export function drawQr(pixels: Buffer, width: number, matrix: QrMatrix, left: number, top: number, scale: number): void {
  const side = (matrix.size + 2 * QUIET) * scale;
  for (let y = 0; y < side; y++) {
    const my = Math.floor(y / scale) - QUIET;
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - QUIET;
      const inside = mx >= 0 && my >= 0 && mx < matrix.size && my < matrix.size;
      pixels[(top + y) * width + left + x] = inside && matrix.dark(mx, my) ? 0 : 0xff;
    }
  }
}

/** Modules a QR code of `matrix` takes across, its quiet border included. */
export const qrSide = (matrix: QrMatrix): number => matrix.size + 2 * QUIET;

/** A greyscale image, one byte a pixel row by row, as a PNG. */
export function greyPng(width: number, height: number, pixels: Buffer): Buffer {
  // Each row: filter byte 0 (none), then its pixels.
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) pixels.copy(raw, y * (width + 1) + 1, y * width, (y + 1) * width);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // colour type: greyscale
  // Compression, filter and interlace methods: 0, 0, none.
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** `png` at `path`, whole or not at all. */
export async function writePngFile(path: string, png: Buffer): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, png);
  await rename(temp, path);
}

export async function writeQrPng(path: string, matrix: QrMatrix, scale = 10): Promise<void> {
  await writePngFile(path, qrPng(matrix, scale));
}
