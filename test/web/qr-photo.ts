import { PNG } from 'pngjs';
import { qrMatrix } from '../../src/qr/matrix.ts';

/**
 * A PNG "photo" of a QR code: drawn, turned by `degrees`, blurred (a box blur of `blur` pixels
 * each way) and set on a grey background, as a phone picture of a screen would be.
 */
export function qrPhotoPng(bytes: Uint8Array, options: { size?: number; degrees?: number; blur?: number } = {}): Buffer {
  const { size = 700, degrees = 9, blur = 1 } = options;
  const matrix = qrMatrix(bytes);
  const scale = Math.floor((size * 0.6) / (matrix.size + 8));
  const side = (matrix.size + 8) * scale;
  const cos = Math.cos((degrees * Math.PI) / 180);
  const sin = Math.sin((degrees * Math.PI) / 180);
  const grey = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Back from the photo's pixel to the upright code's.
      const dx = x - size / 2;
      const dy = y - size / 2;
      const ux = cos * dx + sin * dy + side / 2;
      const uy = -sin * dx + cos * dy + side / 2;
      let value = 150;
      if (ux >= 0 && uy >= 0 && ux < side && uy < side) {
        const mx = Math.floor(ux / scale) - 4;
        const my = Math.floor(uy / scale) - 4;
        value = mx >= 0 && my >= 0 && mx < matrix.size && my < matrix.size && matrix.dark(mx, my) ? 30 : 235;
      }
      grey[y * size + x] = value;
    }
  }
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sum = 0;
      let n = 0;
      for (let by = -blur; by <= blur; by++) {
        for (let bx = -blur; bx <= blur; bx++) {
          const v = grey[Math.min(size - 1, Math.max(0, y + by)) * size + Math.min(size - 1, Math.max(0, x + bx))]!;
          sum += v;
          n++;
        }
      }
      const v = Math.round(sum / n);
      png.data.set([v, v, v, 255], (y * size + x) * 4);
    }
  }
  return PNG.sync.write(png);
}
