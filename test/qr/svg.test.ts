import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { qrMatrix } from '../../src/qr/matrix.ts';
import { renderSvg } from '../../src/qr/svg.ts';
import { encodeBlob } from '../../src/signal/index.ts';
import { scanGrid } from './raster.ts';

const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');

test('the SVG is one path of unit squares that scans back to the frame bytes', () => {
  const blob = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 7 });
  const matrix = qrMatrix(blob.bytes);
  const svg = renderSvg(matrix, { title: 'Pi offer <1>' });
  const side = matrix.size + 8;
  assert.match(svg, new RegExp(`viewBox="0 0 ${side} ${side}"`));
  assert.match(svg, /<title>Pi offer &lt;1&gt;<\/title>/);
  const grid = Array.from({ length: side }, () => Array<boolean>(side).fill(true));
  for (const [, x, y] of svg.matchAll(/M(\d+) (\d+)h1v1h-1z/g)) grid[Number(y)]![Number(x)] = false;
  assert.deepEqual(scanGrid(grid), blob.bytes);
});
