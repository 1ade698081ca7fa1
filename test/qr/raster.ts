import jsQR from 'jsqr';

/** Paints a light/dark grid into RGBA pixels, `scale` pixels a cell, and reads it with jsqr. */
export function scanGrid(light: boolean[][], scale = 4): Uint8Array | undefined {
  const rows = light.length;
  const cols = light[0]?.length ?? 0;
  const width = cols * scale;
  const height = rows * scale;
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = light[Math.floor(y / scale)]![Math.floor(x / scale)] ? 255 : 0;
      pixels.set([value, value, value, 255], (y * width + x) * 4);
    }
  }
  const found = jsQR(pixels, width, height, { inversionAttempts: 'dontInvert' });
  return found ? Uint8Array.from(found.binaryData) : undefined;
}
