import { QrError } from './errors.ts';
import type { QrMatrix } from './matrix.ts';

/**
 * Draws whole pixels per module (no smoothing between them), sized to fit `pixels` across.
 * Returns the module size used, so callers can tell when a code is too dense for the space.
 */
export function drawQrOnCanvas(canvas: HTMLCanvasElement, matrix: QrMatrix, pixels: number, quiet = 4): number {
  const side = matrix.size + 2 * quiet;
  const scale = Math.max(1, Math.floor(pixels / side));
  canvas.width = canvas.height = side * scale;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new QrError('E_QR_NO_CANVAS', 'This browser gave no 2D canvas to draw the QR code on; copy the code’s text instead.');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000';
  for (let y = 0; y < matrix.size; y++) {
    for (let x = 0; x < matrix.size; x++) {
      if (matrix.dark(x, y)) ctx.fillRect((x + quiet) * scale, (y + quiet) * scale, scale, scale);
    }
  }
  return scale;
}
