import QRCode from 'qrcode';

export type EccLevel = 'L' | 'M' | 'Q' | 'H';

/** A QR symbol as a grid of modules, dark = true. Renderers take this, never the encoder. */
export interface QrMatrix {
  size: number;
  version: number;
  dark(x: number, y: number): boolean;
}

/**
 * Bytes go in byte mode as they are (a Pigeon frame); a string goes in byte mode as UTF-8.
 * ECC M by default: it survives a smudged screen and keeps a compact blob at version 5.
 */
export function qrMatrix(data: Uint8Array | string, ecc: EccLevel = 'M'): QrMatrix {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const code = QRCode.create([{ data: bytes, mode: 'byte' }], { errorCorrectionLevel: ecc });
  const { size, data: cells } = code.modules;
  return { size, version: code.version, dark: (x, y) => cells[y * size + x] === 1 };
}
