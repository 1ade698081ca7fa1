import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

/*
 * The page's app icons (public/icon-*.png, public/icon.svg): three QR finder patterns, white on
 * Pigeon blue, inside the middle 60 % so a maskable crop keeps them. Run once; the output is
 * committed: `node --import tsx scripts/icons.ts`.
 */
const BLUE = [0x1a, 0x73, 0xe8];
/** In a 10×10 grid: the finders' outer squares (7/10 of a QR's finder, scaled). */
const FINDERS = [
  [2, 2],
  [5.4, 2],
  [2, 5.4],
];

function dark(u: number, v: number): boolean {
  for (const [x, y] of FINDERS) {
    const dx = u - x!;
    const dy = v - y!;
    if (dx < 0 || dy < 0 || dx >= 2.6 || dy >= 2.6) continue;
    const ring = Math.min(dx, dy, 2.6 - dx, 2.6 - dy);
    return ring < 0.37 || ring >= 0.74;
  }
  return false;
}

for (const size of [192, 512]) {
  const png = new PNG({ width: size, height: size });
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const white = dark((x / size) * 10, (y / size) * 10);
      const at = (y * size + x) * 4;
      png.data.set(white ? [255, 255, 255, 255] : [...BLUE, 255], at);
    }
  }
  writeFileSync(`public/icon-${size}.png`, PNG.sync.write(png));
}

const rect = (x: number, y: number, s: number, fill: string): string => `<rect x="${x}" y="${y}" width="${s}" height="${s}" fill="${fill}"/>`;
const finder = ([x, y]: number[]): string => rect(x!, y!, 2.6, '#fff') + rect(x! + 0.37, y! + 0.37, 1.86, '#1a73e8') + rect(x! + 0.74, y! + 0.74, 1.12, '#fff');
writeFileSync(
  'public/icon.svg',
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">${rect(0, 0, 10, '#1a73e8')}${FINDERS.map(finder).join('')}</svg>\n`,
);
