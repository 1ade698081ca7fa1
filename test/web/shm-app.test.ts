/**
 * The user's own hailo-apps app keeps the camera and the Hailo (docs/hailo.md): a stand-in app
 * (test/harness/hailo-app.py, python3-gi, no Hailo elements) puts its frames on a shmsink and
 * sends one set of boxes a frame from its callback through Pigeon's helper
 * (pi-agent/python/pigeon_detections.py) to the agent's `--detections unix:` socket, never
 * blocking. The agent reads the frames with --source shm; a Chromium page watches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { HailoApp, agentRig, eventually, hailoAppOverShm, watchAgent } from '../harness/index.ts';

const rig = agentRig();
const STOPPED_MS = 10_000;

/** Frames the page's <video> presented (requestVideoFrameCallback) and the boxes it draws now. */
async function seen(page: Page, ms = 1000): Promise<{ frames: number; width: number; labels: string[] }> {
  return page.evaluate(async (windowMs) => {
    const viewer = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!;
    const video = viewer.shadowRoot!.querySelector('video')!;
    let frames = 0;
    // The width of the frames presented, as each callback reports it: videoWidth reads 0 while the
    // element re-renders or reloads its source, even with frames going by.
    let width = 0;
    const count = (_now: number, frame: VideoFrameCallbackMetadata): void => {
      frames++;
      width = frame.width;
      video.requestVideoFrameCallback(count);
    };
    video.requestVideoFrameCallback(count);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    return { frames, width, labels: viewer.drawnDetections.map((box) => box.label ?? '') };
  }, ms);
}

async function playsWithBoxes(page: Page, what: string): Promise<void> {
  const last = await eventually(() => seen(page), (s) => s.frames >= 10 && s.width > 0 && s.labels.some((l) => /^frame \d+$/.test(l)), 30_000, 200);
  assert.ok(last.frames >= 10, `${what}: video plays (${last.frames} frames in 1 s)`);
  assert.equal(last.width, 320, `${what}: the app's frames`);
  assert.ok(last.labels.some((l) => /^frame \d+$/.test(l)), `${what}: the app's boxes are drawn: ${JSON.stringify(last.labels)}`);
}

test('the app\'s frames and boxes reach the page; the agent stopped 10 s does not slow the app; a new agent picks up again; the app restarting does not end the agent', async (t) => {
  const { app, shm, unix } = await hailoAppOverShm(t, 'shm-app');

  const args = ['offer', '--source', 'shm', '--shm', shm, '--width', '320', '--height', '240', '--fps', '30', '--detections', `unix:${unix}`, '--stats-interval', '0'];
  const first = rig.startAgent(args);
  const ready = await first.next('ready', { timeoutMs: 30_000 });
  assert.match(ready.pipeline ?? '', /QR reader/, 'the QR reader reads the app\'s frames by default');
  const page = await watchAgent(first, rig.chromium());
  await playsWithBoxes(page, 'first agent');
  await page.close();

  // The app's rate while the agent reads, then while it is gone.
  const before = Date.now();
  await sleep(3000);
  const reading = app.fpsBetween(before, Date.now());
  const sentBefore = app.rates.at(-1)?.sent ?? 0;
  const droppedBefore = app.rates.at(-1)?.dropped ?? 0;
  await first.stop();
  const gone = Date.now();
  await sleep(STOPPED_MS);
  const stopped = app.fpsBetween(gone + 1000, Date.now());
  const last = app.rates.at(-1);
  console.log(
    `hailo-app: ${reading.toFixed(1)} fps while the agent reads, ${stopped.toFixed(1)} fps while it is stopped; ` +
      `${(last?.dropped ?? 0) - droppedBefore} sets dropped and ${(last?.sent ?? 0) - sentBefore} sent from the stop on; callback ${last?.callbackUs ?? '?'} µs/frame`,
  );
  assert.ok(reading > 20, `the app runs at its rate: ${reading.toFixed(1)} fps`);
  assert.ok(Math.abs(stopped - reading) <= reading * 0.1, `within 10 %: ${stopped.toFixed(1)} vs ${reading.toFixed(1)} fps`);
  assert.ok((last?.dropped ?? 0) - droppedBefore > 0, 'sets nobody read were dropped, not waited on');

  const second = rig.startAgent(args);
  const again = await watchAgent(second, rig.chromium());
  await playsWithBoxes(again, 'second agent');

  // The app stops and starts again: the agent's pipeline loses its shmsrc, restarts with backoff
  // until the new shmsink is there, and the same viewer plays on.
  await app.stop();
  await second.next('pipeline', { where: (e) => e.state === 'exited', timeoutMs: 20_000 });
  const restarted = new HailoApp({ unix, shm });
  t.after(() => restarted.stop());
  await restarted.started();
  await second.next('pipeline', { where: (e) => e.state === 'started', after: second.events.length, timeoutMs: 30_000 });
  await playsWithBoxes(again, 'after the app restarted');
  await again.close();
  await second.stop();
});
