import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PNG } from 'pngjs';
import { AgentProcess, type ChromiumHandle, firstFrame, launchChromium, onCameraFrame, open, StandInCamera, until } from '../harness/index.ts';

/*
 * Two scans, zero keystrokes. The agent's offer QR (its --qr-png file) becomes Chromium's fake
 * camera; the built page scans it and shows its answer QR; a screenshot of that QR becomes the
 * agent's camera (a PNG that GStreamer re-reads, standing in for libcamerasrc); the agent reads
 * it with its own pipeline and the video plays in the page. Nothing is pasted anywhere.
 */
const dir = mkdtempSync(join(tmpdir(), 'pigeon-loop-'));
const cleanup: (() => Promise<unknown>)[] = [];
// A person carries the phone from the Pi's screen back to its camera: not milliseconds.
const HOLD_MS = Number(process.env.HOLD_MS ?? 35_000);

after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

/** The picture as Chromium's fake camera: a YUV4MPEG2 file of grey frames. */
function y4mOf(image: PNG, path: string): void {
  const frame = onCameraFrame(image);
  const luma = Buffer.alloc(640 * 480);
  for (let i = 0; i < luma.length; i++) {
    const [r, g, b] = [frame.data[i * 4]!, frame.data[i * 4 + 1]!, frame.data[i * 4 + 2]!];
    luma[i] = Math.round(16 + (219 * (0.299 * r + 0.587 * g + 0.114 * b)) / 255);
  }
  const chroma = Buffer.alloc(320 * 240 * 2, 128);
  const one = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  writeFileSync(path, Buffer.concat([Buffer.from('YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n'), one, one]));
}

test('nobody types: offer QR -> page camera, answer QR -> Pi camera 35 s later, and the video plays at once', async () => {
  const piCamera = new StandInCamera(dir);
  const offerPng = join(dir, 'offer.png');
  const camera = piCamera.pipeline;
  const agent = new AgentProcess(['offer', '--pipeline', camera, '--scan', '--qr-png', offerPng, '--stats-interval', '0']);
  cleanup.push(() => agent.stop());
  const offer = await agent.next('offer');
  const started = Date.now();
  await sleep(300);

  // Scan 1: the phone (Chromium) points its camera at the Pi's offer QR.
  const fakeCamera = join(dir, 'offer.y4m');
  y4mOf(PNG.sync.read(readFileSync(offerPng)), fakeCamera);
  const chromium: ChromiumHandle = await launchChromium({
    args: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${fakeCamera}`, '--use-fake-ui-for-media-stream'],
  });
  cleanup.push(() => chromium.close());
  const { page, blocked } = await open(chromium);
  await page.evaluate(() => {
    const scan = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-scan')!;
    [...scan.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.includes('Scan with camera'))!.click();
  });
  await until(page, 'the answer QR', (seen) => seen.answer !== '' && seen.qr !== null);
  const answerShownAt = Date.now();

  // The person walks over to the Pi: the answer QR reaches its camera HOLD_MS later.
  const qr = await page.evaluateHandle(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-view')!);
  const shot = await qr.asElement()!.screenshot({ type: 'png' });
  await sleep(HOLD_MS);

  // Scan 2: the phone's screen, as it is, held up to the Pi's camera.
  const shownToPi = Date.now();
  piCamera.show(PNG.sync.read(Buffer.from(shot)));
  // The page notices the connection by itself and shows the video.
  const playingAt = await firstFrame(page, 15_000);
  const joined = await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  assert.deepEqual(blocked, []);
  assert.equal(agent.events.filter((e) => e.type === 'refused').length, 0);
  console.log(
    `no-keyboard loop: offer shown -> page showed its answer ${answerShownAt - started} ms (incl. Chromium start), ` +
      `held ${HOLD_MS / 1000} s, answer on the Pi's camera -> viewer joined ${Date.parse(joined.time) - shownToPi} ms, ` +
      `-> first frame ${playingAt - shownToPi} ms`,
  );
  // The camera reads 4 frames a second, so a scan adds up to 250 ms (and the stand-in camera,
  // a PNG re-read 5 times a second, up to 200 ms more) to the hand-over's bound (see handover.test.ts).
  assert.ok(playingAt - shownToPi <= 3500, `first frame ${playingAt - shownToPi} ms after the QR reached the Pi's camera`);
  await until(page, 'connected', (seen) => seen.viewerStatus === 'connected');
});
