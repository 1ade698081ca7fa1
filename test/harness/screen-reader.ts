import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { GLYPH_HEIGHT, GLYPH_WIDTH, fontCharacters, inked } from '../../pi-agent/src/output/font.ts';
import { CELL, SCREEN } from '../../pi-agent/src/output/screen.ts';

/**
 * Reads the Pi's screen (--display) back from a frame its pipeline wrote: the QR code with jsQR,
 * the words cell by cell of the agent's text grid against its bitmap font. What it reads is what
 * a person at the screen sees, so a test asserts on words, not on pixels.
 */
export interface ReadScreen {
  qr: Uint8Array | undefined;
  /** The grid's lines, trailing blanks cut; an unknown cell reads as '?'. */
  lines: string[];
  /** The lines as one text, wrapped lines joined by a space. */
  text: string;
}

const GLYPHS = new Map(fontCharacters().map((ch) => [[...Array(GLYPH_WIDTH * GLYPH_HEIGHT).keys()].map((i) => (inked(ch, i % GLYPH_WIDTH, Math.floor(i / GLYPH_WIDTH)) ? '#' : '.')).join(''), ch]));

export function readScreen(png: Buffer): ReadScreen {
  const image = PNG.sync.read(png);
  const grey = (x: number, y: number): number => image.data[(y * image.width + x) * 4]!;
  const lines: string[] = [];
  for (let row = 0; row < SCREEN.rows; row++) {
    let line = '';
    for (let column = 0; column < SCREEN.columns; column++) {
      let bits = '';
      for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
        for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
          // The middle of each font pixel, away from any scaling's blur at its edges.
          const x = SCREEN.left + column * CELL.width + gx * SCREEN.scale + Math.floor(SCREEN.scale / 2);
          const y = SCREEN.top + row * CELL.height + gy * SCREEN.scale + Math.floor(SCREEN.scale / 2);
          bits += grey(x, y) > 128 ? '#' : '.';
        }
      }
      line += GLYPHS.get(bits) ?? '?';
    }
    lines.push(line.trimEnd());
  }
  const found = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
  return { qr: found ? Uint8Array.from(found.binaryData) : undefined, lines, text: lines.filter((l) => l !== '').join(' ') };
}

/**
 * Whether `text` (readScreen's) says `words`, in the font's capitals, however the screen wrapped
 * them: a long word is cut at the line's end, so spaces are not compared.
 */
export function says(text: string, words: string): boolean {
  const squash = (t: string): string => t.toUpperCase().replaceAll(' ', '');
  return squash(text).includes(squash(words));
}

/** The newest frame a `multifilesink location=DIR/frame-%05d.png` wrote, if one is whole yet. */
export function newestFrame(dir: string): Buffer | undefined {
  const frames = readdirSync(dir).filter((name) => /^frame-\d+\.png$/.test(name)).sort();
  // The newest may be half written; the one before it is whole.
  for (const name of frames.reverse()) {
    const png = readFileSync(join(dir, name));
    try {
      PNG.sync.read(png);
      return png;
    } catch {
      continue;
    }
  }
  return undefined;
}
