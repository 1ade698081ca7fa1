// A QR matrix (src/qr/matrix.ts) as a PNG file: greyscale, one byte a pixel, `scale` pixels a module
// and the four-module quiet border the QR spec asks for. Written whole or not at all (temp file +
// rename), so a display or a person reading the file never sees half a picture.
import { rename, writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import type { QrMatrix } from '../../src/qr/matrix.ts';
import { crc32 } from '../../src/signal/crc32.ts';

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
  // Each row: filter byte 0 (none), then one grey byte a pixel.
  const raw = Buffer.alloc((side + 1) * side, 0xff);
  for (let y = 0; y < side; y++) {
    raw[y * (side + 1)] = 0;
    const my = Math.floor(y / scale) - QUIET;
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / scale) - QUIET;
      const inside = mx >= 0 && my >= 0 && mx < matrix.size && my < matrix.size;
      if (inside && matrix.dark(mx, my)) raw[y * (side + 1) + 1 + x] = 0;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // colour type: greyscale
  // Compression, filter and interlace methods: 0, 0, none.
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

export async function writeQrPng(path: string, matrix: QrMatrix, scale = 10): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, qrPng(matrix, scale));
  await rename(temp, path);
}
