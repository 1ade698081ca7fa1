// The agent's inputs through their public interfaces: BlobInput reading a real stream and a real
// file (joining a split paste, capping what it holds, handing pastes over in order, refusals as
// events), and QrScanner reading a QR code out of grey frames as gst-launch writes them to fd 3.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { qrMatrix } from '../../src/qr/matrix.ts';
import { encodeBlob, isPigeonError } from '../../src/signal/index.ts';
import { BlobInput } from '../../pi-agent/src/input/inputs.ts';
import { QrScanner } from '../../pi-agent/src/input/scanner.ts';
import { eventually } from '../harness/index.ts';

const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const BLOB = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 7 });

interface Seen {
  taken: string[];
  partial: number[];
  refused: string[];
}

function reading(t: TestContext, sources: { stdin?: PassThrough; file?: string }, take: (text: string) => Promise<unknown> = async () => undefined): Seen {
  const seen: Seen = { taken: [], partial: [], refused: [] };
  const input = new BlobInput(sources, {
    take: async (text) => {
      seen.taken.push(text);
      await take(text);
    },
  });
  input.on('partial', (chars) => seen.partial.push(chars));
  input.on('refused', (error) => seen.refused.push(isPigeonError(error) ? error.code : String(error)));
  input.start();
  t.after(() => input.close());
  return seen;
}

test('whole pastes are handed over once each, in order; a paste split over lines waits for the rest', async (t) => {
  const stdin = new PassThrough();
  const seen = reading(t, { stdin });
  const text = BLOB.text;
  stdin.write(`${text}\n`);
  stdin.write(`${text.slice(0, 20)}\r\n${text.slice(20, 50)}\n  ${text.slice(50)}\n`);
  await eventually(() => seen.taken.length, (n) => n >= 2, 5000);
  assert.equal(seen.taken[0], text);
  assert.equal(seen.taken[1]?.replace(/\s+/g, ''), text, 'the three pieces, joined');
  assert.deepEqual(seen.partial, [20, 51], 'one cut-short for each piece that was not whole yet');
  assert.deepEqual(seen.refused, []);
});

test('a line over 64 KiB is refused once and skipped unread; the next line is read as usual', async (t) => {
  const stdin = new PassThrough();
  const seen = reading(t, { stdin });
  for (let i = 0; i < 20; i++) stdin.write('A'.repeat(10_000));
  stdin.write(`\n${BLOB.text}\n`);
  await eventually(() => seen.taken.length, (n) => n >= 1, 5000);
  assert.deepEqual(seen.refused, ['E_TOO_LARGE']);
  assert.deepEqual(seen.taken, [BLOB.text]);
});

test("what the taker throws is refused in the order of the input, before the next line's own refusal", async (t) => {
  const stdin = new PassThrough();
  const seen = reading(t, { stdin }, async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    throw new Error('taken and refused');
  });
  stdin.write(`${BLOB.text}\nnot a code at all\n`);
  await eventually(() => seen.refused.length, (n) => n >= 2, 5000);
  assert.deepEqual(seen.refused, ['Error: taken and refused', 'E_NOT_PIGEON']);
});

test('a file is read when it appears, again when it changes, and refused unread when it is over 64 KiB', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pigeon-inputs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'answer.txt');
  writeFileSync(file, `${BLOB.text}\n`);
  const seen = reading(t, { file });
  await eventually(() => seen.taken.length, (n) => n >= 1, 5000);
  assert.equal(seen.taken[0]?.trim(), BLOB.text);
  writeFileSync(file, 'B'.repeat(70_000));
  await eventually(() => seen.refused.length, (n) => n >= 1, 10_000);
  assert.deepEqual(seen.refused, ['E_TOO_LARGE']);
  assert.equal(seen.taken.length, 1);
});

/** A GRAY8 frame, `width` × `height`, white, with `bytes` as a QR code in the middle. */
function frameWith(bytes: Uint8Array | undefined, width: number, height: number): Buffer {
  const frame = Buffer.alloc(width * height, 255);
  if (!bytes) return frame;
  const matrix = qrMatrix(bytes);
  const scale = Math.floor(Math.min(width, height) / (matrix.size + 8));
  const left = Math.floor((width - matrix.size * scale) / 2);
  const top = Math.floor((height - matrix.size * scale) / 2);
  for (let y = 0; y < matrix.size * scale; y++) {
    for (let x = 0; x < matrix.size * scale; x++) {
      if (matrix.dark(Math.floor(x / scale), Math.floor(y / scale))) frame[(top + y) * width + left + x] = 0;
    }
  }
  return frame;
}

test('QrScanner reads a code from the grey frames while an answer is awaited, once per code, cut however the pipe cuts it', () => {
  const size = { width: 320, height: 240, fps: 4 };
  let waiting = false;
  const scanner = new QrScanner(size, { waiting: () => waiting });
  const codes: Uint8Array[] = [];
  const looking: boolean[] = [];
  scanner.on('code', (bytes) => codes.push(bytes));
  scanner.on('looking', (active) => looking.push(active));
  const frame = frameWith(BLOB.bytes, size.width, size.height);

  scanner.push(frame);
  assert.deepEqual(codes, [], 'nothing is read while no offer waits');
  waiting = true;
  // A pipe hands frames over in pieces of any size.
  scanner.push(frame.subarray(0, 1000));
  scanner.push(Buffer.concat([frame.subarray(1000), frame]));
  assert.deepEqual(looking, [true]);
  assert.equal(codes.length, 1, 'the same code in view is handed over once');
  assert.deepEqual(Buffer.from(codes[0]!), Buffer.from(BLOB.bytes));
  waiting = false;
  scanner.push(frameWith(undefined, size.width, size.height));
  assert.deepEqual(looking, [true, false]);
});
