import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { qrMatrix } from '../../src/qr/matrix.ts';
import { renderTerminal } from '../../src/qr/terminal.ts';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { scanGrid } from './raster.ts';

const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const blob = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 0x1234 });

/** Reads the half-block text back into module rows: a block half is light, a space half dark. */
function parsePlain(text: string): boolean[][] {
  const halves: Record<string, [boolean, boolean]> = { '█': [true, true], '▀': [true, false], '▄': [false, true], ' ': [false, false] };
  const grid: boolean[][] = [];
  for (const line of text.trimEnd().split('\n')) {
    const cells = [...line].map((ch) => halves[ch] ?? assert.fail(`unexpected character ${JSON.stringify(ch)}`));
    grid.push(cells.map((c) => c[0]), cells.map((c) => c[1]));
  }
  return grid;
}

test('the agent offer renders as a version-5 terminal QR, 41 columns, matching the golden file', () => {
  const matrix = qrMatrix(blob.bytes);
  assert.equal(matrix.version, 5);
  const text = renderTerminal(matrix);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 21);
  assert.ok(lines.every((l) => [...l].length === 41));
  assert.equal(text, readFileSync(new URL('../fixtures/werift-offer.qr.txt', import.meta.url), 'utf8'));
});

test('what the terminal shows scans back to the same frame bytes', () => {
  const scanned = scanGrid(parsePlain(renderTerminal(qrMatrix(blob.bytes))));
  assert.ok(scanned, 'jsqr found the code');
  assert.deepEqual(scanned, blob.bytes);
  assert.equal(decodeBlob(scanned).offerId, 0x1234);
});

test('colour mode paints each cell with ANSI black/white and resets every line', () => {
  const text = renderTerminal(qrMatrix(blob.bytes), { color: true });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 21);
  for (const line of lines) {
    assert.ok(line.endsWith('\x1b[0m'));
    assert.equal(line.match(/▀/g)?.length, 41);
  }
});

test('a code wider than the terminal is refused with the numbers, not wrapped', () => {
  const big = qrMatrix(new Uint8Array(400));
  assert.throws(() => renderTerminal(big), /QR version \d+ needs \d+ columns; the terminal allows 80/);
});
