import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PNG } from 'pngjs';
import { launchChromium, type ChromiumHandle } from '../support/chromium.ts';
import { open, until } from '../web/driver.ts';
import { AgentProcess } from './agent-process.ts';

/*
 * Two scans, zero keystrokes. The agent's offer QR (its --qr-png file) becomes Chromium's fake
 * camera; the built page scans it and shows its answer QR; a screenshot of that QR becomes the
 * agent's camera (a PNG that GStreamer re-reads, standing in for libcamerasrc); the agent reads
 * it with its own pipeline and the video plays in the page. Nothing is pasted anywhere.
 */
const dir = mkdtempSync(join(tmpdir(), 'pigeon-loop-'));
const agentCamera = join(dir, 'agent-camera.png');
const cleanup: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

/** `image` (any size) shrunk by whole steps to fit and centred on a white 640×480 picture. */
function onCameraFrame(image: PNG): PNG {
  const frame = new PNG({ width: 640, height: 480 });
  frame.data.fill(255);
  const step = Math.max(1, Math.ceil(Math.max(image.width / 600, image.height / 440)));
  const width = Math.floor(image.width / step);
  const height = Math.floor(image.height / step);
  const left = Math.floor((640 - width) / 2);
  const top = Math.floor((480 - height) / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * step * image.width + x * step) * 4;
      const to = ((top + y) * 640 + left + x) * 4;
      frame.data.set(image.data.subarray(from, from + 4), to);
      frame.data[to + 3] = 255;
    }
  }
  return frame;
}

function showToAgent(image: PNG): void {
  writeFileSync(`${agentCamera}.next`, PNG.sync.write(onCameraFrame(image)));
  renameSync(`${agentCamera}.next`, agentCamera);
}

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

test('nobody types: offer QR -> page camera, answer QR -> Pi camera, and the video plays', async () => {
  const blank = new PNG({ width: 640, height: 480 });
  blank.data.fill(255);
  showToAgent(blank);
  const offerPng = join(dir, 'offer.png');
  const camera = `multifilesrc location=${agentCamera} loop=true caps=image/png,framerate=5/1 ! pngdec ! videoconvert ! identity sync=true`;
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

  // Scan 2: the phone's screen, as it is, held up to the Pi's camera.
  const qr = await page.evaluateHandle(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-view')!);
  const shot = await qr.asElement()!.screenshot({ type: 'png' });
  showToAgent(PNG.sync.read(Buffer.from(shot)));
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId, timeoutMs: 15_000 });
  const joinedAt = Date.now();

  // The page notices the connection by itself and shows the video.
  await until(page, 'connected', (seen) => seen.viewerStatus === 'connected');
  const deadline = Date.now() + 10_000;
  while ((await page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')?.shadowRoot?.querySelector('video')?.videoWidth ?? 0)) !== 640) {
    if (Date.now() > deadline) throw new Error('no video in the page');
    await sleep(100);
  }
  const playingAt = Date.now();
  assert.deepEqual(blocked, []);
  assert.equal(agent.events.filter((e) => e.type === 'refused').length, 0);
  console.log(
    `no-keyboard loop: offer shown -> page showed its answer ${answerShownAt - started} ms (incl. Chromium start), ` +
      `answer on the Pi's camera -> viewer joined ${joinedAt - answerShownAt} ms, -> video playing ${playingAt - joinedAt} ms; ` +
      `whole loop ${playingAt - started} ms`,
  );
});
