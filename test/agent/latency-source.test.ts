import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import jsQR from 'jsqr';
import { LatencySource } from '../../pi-agent/src/gst/latency-source.ts';

function read(frame: Buffer, width: number, height: number): string | undefined {
  const rgba = new Uint8ClampedArray(width * height * 4);
  frame.forEach((v, i) => rgba.set([v, v, v, 255], i * 4));
  return jsQR(rgba, width, height)?.data;
}

test('each latency frame is a GRAY8 picture of the output size whose QR code is its clock stamp', () => {
  const source = new LatencySource(640, 480, 30, () => undefined);
  const frame = source.frame(1795474891287);
  assert.equal(frame.length, 640 * 480);
  assert.equal(read(frame, 640, 480), '1795474891287');
});

test('frames are written at the frame rate, and dropped (not queued) while the pipe is full', async () => {
  const pipe = new PassThrough({ highWaterMark: 640 * 480 * 2 });
  const source = new LatencySource(640, 480, 30, () => pipe);
  source.start();
  await sleep(1000);
  source.stop();
  // Nobody reads the pipe: two frames fill it and the rest of the second's ~30 are dropped.
  assert.ok(pipe.readableLength <= 640 * 480 * 3, `${pipe.readableLength / (640 * 480)} frames queued`);
  const frames: Buffer[] = [];
  const reader = new PassThrough({ highWaterMark: 64 * 1024 * 1024 });
  const free = new LatencySource(64, 64, 30, () => reader);
  // Judged against the time it really ran: a loaded machine's one-second sleep may last longer.
  const startedAt = performance.now();
  free.start();
  await sleep(1000);
  free.stop();
  const ranMs = performance.now() - startedAt;
  reader.on('data', (chunk: Buffer) => frames.push(chunk));
  await sleep(10);
  const count = Buffer.concat(frames).length / (64 * 64);
  const expected = (30 * ranMs) / 1000;
  assert.ok(Math.abs(count - expected) <= 3, `${count} frames in ${ranMs.toFixed(0)} ms at 30 fps (${expected.toFixed(1)} expected)`);
});
