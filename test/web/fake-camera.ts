import { writeFileSync } from 'node:fs';
import { qrMatrix } from '../../src/qr/matrix.ts';

/**
 * A Chromium fake camera showing a QR code: a YUV4MPEG2 file of grey frames (the chroma planes
 * at neutral 128) for `--use-file-for-fake-video-capture`, which Chromium plays in a loop.
 * `tilt` shears the code a little, so the scanner is not only shown a perfect square.
 */
export function writeQrY4m(path: string, bytes: Uint8Array, options: { width?: number; height?: number; scale?: number; tilt?: number } = {}): void {
  const { width = 640, height = 480, tilt = 0 } = options;
  const matrix = qrMatrix(bytes);
  // The code, with its quiet zone, fills about 80% of the frame's height unless told otherwise.
  const scale = options.scale ?? Math.floor((height * 0.8) / (matrix.size + 8));
  const side = (matrix.size + 8) * scale;
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  const luma = Buffer.alloc(width * height, 235);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const mx = Math.floor((x - left - tilt * (y - height / 2)) / scale) - 4;
      const my = Math.floor((y - top) / scale) - 4;
      if (mx >= 0 && my >= 0 && mx < matrix.size && my < matrix.size && matrix.dark(mx, my)) luma[y * width + x] = 16;
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(path, Buffer.concat([header, frame, frame]));
}
