import { QrError } from './errors.ts';
import type { QrMatrix } from './matrix.ts';

export interface TerminalOptions {
  /** Light border in modules. Two is what phone scanners need in practice; the spec asks four. */
  quiet?: number;
  /**
   * Paint with ANSI black/white so the code reads the right way round on dark and light
   * terminals alike. Without colour, light modules are drawn as blocks, which suits the usual
   * light-on-dark terminal and the Pi's console.
   */
  color?: boolean;
  /** Refuse a code wider than this many columns instead of letting the terminal wrap it. */
  maxColumns?: number;
}

const RESET = '\x1b[0m';
// Foreground paints the upper half block, background the lower one.
const ANSI: Record<string, string> = {
  ll: '\x1b[97;107m▀',
  ld: '\x1b[97;40m▀',
  dl: '\x1b[30;107m▀',
  dd: '\x1b[30;40m▀',
};
const PLAIN: Record<string, string> = { ll: '█', ld: '▀', dl: '▄', dd: ' ' };

/** Two module rows per text row with half blocks, so a version-5 code is 41 columns by 21 rows. */
export function renderTerminal(matrix: QrMatrix, options: TerminalOptions = {}): string {
  const quiet = options.quiet ?? 2;
  const width = matrix.size + 2 * quiet;
  const maxColumns = options.maxColumns ?? 80;
  if (width > maxColumns) {
    throw new QrError('E_QR_TOO_WIDE', `QR version ${matrix.version} needs ${width} columns; the terminal allows ${maxColumns}`);
  }
  const light = (x: number, y: number): boolean =>
    x < 0 || y < 0 || x >= matrix.size || y >= matrix.size || !matrix.dark(x, y);
  const cells = options.color ? ANSI : PLAIN;
  const rows: string[] = [];
  for (let y = -quiet; y < matrix.size + quiet; y += 2) {
    let row = '';
    for (let x = -quiet; x < matrix.size + quiet; x++) {
      row += cells[(light(x, y) ? 'l' : 'd') + (light(x, y + 1) ? 'l' : 'd')];
    }
    rows.push(options.color ? row + RESET : row);
  }
  return `${rows.join('\n')}\n`;
}
