// The Pi's screen as one greyscale picture (--display): the offer QR on the left, what the agent
// has to tell the person beside it in a fixed grid of characters (font.ts), so a person reads it
// across a desk and a test reads it back cell by cell.
import type { QrMatrix } from '@pigeon/qr';
import { GLYPH_HEIGHT, GLYPH_WIDTH, fontText, inked } from './font.ts';
import { drawQr, greyPng, qrSide } from './qr-png.ts';

/** 720p: every HDMI screen takes it; the QR fills its height. */
export const SCREEN = {
  width: 1280,
  height: 720,
  /** Pixels a font pixel. */
  scale: 3,
  /** The text grid's top left corner and its size in characters. */
  left: 744,
  top: 24,
  columns: 29,
  rows: 22,
} as const;

/** A character cell: its glyph and one blank column beside it, three blank rows below. */
export const CELL = { width: (GLYPH_WIDTH + 1) * SCREEN.scale, height: (GLYPH_HEIGHT + 3) * SCREEN.scale } as const;

/** `paragraphs` broken into the grid's lines at spaces (a word longer than a line is cut); "" is a blank line. */
export function wrap(paragraphs: readonly string[], columns: number = SCREEN.columns): string[] {
  const lines: string[] = [];
  for (const paragraph of paragraphs) {
    let line = '';
    for (const word of fontText(paragraph).split(/ +/)) {
      for (let rest = word; rest !== ''; ) {
        const room = line === '' ? columns : columns - line.length - 1;
        if (rest.length <= room) {
          line = line === '' ? rest : `${line} ${rest}`;
          rest = '';
        } else if (line !== '') {
          lines.push(line);
          line = '';
        } else {
          lines.push(rest.slice(0, columns));
          rest = rest.slice(columns);
        }
      }
    }
    lines.push(line);
  }
  return lines;
}

function drawLine(pixels: Buffer, text: string, row: number): void {
  const { width, scale, left, top } = SCREEN;
  [...text].forEach((ch, column) => {
    const x0 = left + column * CELL.width;
    const y0 = top + row * CELL.height;
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (!inked(ch, gx, gy)) continue;
        for (let dy = 0; dy < scale; dy++) pixels.fill(0xff, (y0 + gy * scale + dy) * width + x0 + gx * scale, (y0 + gy * scale + dy) * width + x0 + (gx + 1) * scale);
      }
    }
  });
}

/**
 * The screen: the QR (black on its white quiet border) left, `paragraphs` in white on black right,
 * as many lines as the grid holds. No QR yet: the left stays black.
 */
export function screenPng(qr: QrMatrix | undefined, paragraphs: readonly string[]): Buffer {
  const { width, height, columns, rows } = SCREEN;
  const pixels = Buffer.alloc(width * height, 0);
  if (qr) {
    const scale = Math.floor(height / qrSide(qr));
    const side = qrSide(qr) * scale;
    drawQr(pixels, width, qr, Math.max(0, Math.floor((SCREEN.left - 24 - side) / 2)), Math.floor((height - side) / 2), scale);
  }
  wrap(paragraphs, columns)
    .slice(0, rows)
    .forEach((line, row) => drawLine(pixels, line, row));
  return greyPng(width, height, pixels);
}
