import QRCode, { type QRCodeSegment } from 'qrcode';

export type EccLevel = 'L' | 'M' | 'Q' | 'H';

/** A QR symbol as a grid of modules, dark = true. Renderers take this, never the encoder. */
export interface QrMatrix {
  size: number;
  version: number;
  dark(x: number, y: number): boolean;
}

/**
 * Bytes go in byte mode as they are (a Pigeon frame); a string goes in byte mode as UTF-8;
 * segments (e.g. a link's, from `linkSegments`) as given.
 * ECC M by default: it survives a smudged screen and keeps a compact blob at version 5.
 */
export function qrMatrix(data: Uint8Array | string | QRCodeSegment[], ecc: EccLevel = 'M'): QrMatrix {
  const segments: QRCodeSegment[] = Array.isArray(data)
    ? data
    : [{ data: typeof data === 'string' ? new TextEncoder().encode(data) : data, mode: 'byte' }];
  const code = QRCode.create(segments, { errorCorrectionLevel: ecc });
  const { size, data: cells } = code.modules;
  return { size, version: code.version, dark: (x, y) => cells[y * size + x] === 1 };
}
