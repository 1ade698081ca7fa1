import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ElementHandle, Page } from 'puppeteer-core';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { AgentProcess, type ChromiumHandle, launchChromium, look, open, screenshots, until } from '../harness/index.ts';
import { writeQrY4m } from './fake-camera.ts';
import { qrPhotoPng } from './qr-photo.ts';

/*
 * Scanning for real (and reading a photo of a code): Chromium's fake camera plays a file showing a QR code made by the codec,
 * and the built page's scanner (getUserMedia → jsqr) must find it. Each code is its own camera
 * file, so each test launches its own Chromium.
 */
const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'pigeon-camera-'));
const cleanup: (() => Promise<unknown>)[] = [];

after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function cameraShowing(name: string, bytes: Uint8Array, flags: string[] = []): Promise<ChromiumHandle> {
  const file = join(dir, `${name}.y4m`);
  writeQrY4m(file, bytes, { tilt: 0.05 });
  const chromium = await launchChromium({
    args: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${file}`, ...flags],
  });
  cleanup.push(() => chromium.close());
  return chromium;
}

async function pressScan(page: Page): Promise<void> {
  await page.evaluate(() => {
    const scan = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-scan')!;
    const button = [...scan.shadowRoot!.querySelectorAll('button')].find((b) => b.textContent?.includes('Scan with camera'));
    button!.click();
  });
}

test('scanning the live agent’s offer QR with the camera connects and plays, with no paste', async () => {
  const agent = new AgentProcess(['offer', '--source', 'test', '--width', '640', '--height', '480']);
  cleanup.push(() => agent.stop());
  const offer = await agent.next('offer');
  const chromium = await cameraShowing('offer', decodeBlob(offer.text).frame, ['--use-fake-ui-for-media-stream']);
  const { page, blocked, errors } = await open(chromium);
  await pressScan(page);
  const shown = await until(page, 'the answer after scanning', (s) => s.answer !== '');
  assert.equal(decodeBlob(shown.answer, { expect: 'answer' }).offerId, offer.offerId);
  assert.equal(await page.evaluate(() => document.querySelector('pigeon-app')!.offer), offer.text);
  // The camera is off once a code is read.
  assert.equal(await page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-scan')!.status), 'idle');
  agent.write(shown.answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await until(page, 'connected', (s) => s.viewerStatus === 'connected');
  const deadline = Date.now() + 10_000;
  while ((await page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!.shadowRoot!.querySelector('video')?.videoWidth ?? 0)) !== 640) {
    if (Date.now() > deadline) throw new Error('no video after scanning');
    await sleep(100);
  }
  assert.deepEqual(blocked, []);
  assert.deepEqual(errors, []);
});

test('a QR code that is not Pigeon’s, or an answer, is named and scanning goes on', async () => {
  for (const [name, bytes, expected] of [
    ['not-pigeon', new TextEncoder().encode('https://example.com/'), /This is not a Pigeon code/],
    ['answer', encodeBlob({ type: 'answer', sdp: SDP.replaceAll('a=setup:actpass', 'a=setup:active') }, { offerId: 2 }).bytes, /This is an answer, but an offer was expected/],
  ] as const) {
    const chromium = await cameraShowing(name, bytes, ['--use-fake-ui-for-media-stream']);
    const { page } = await open(chromium);
    await pressScan(page);
    const seen = await until(page, `the ${name} message`, (s) => expected.test(s.scan));
    assert.match(seen.scan, /Point the camera at the QR code/, 'still scanning');
    assert.equal(seen.answer, '');
    if (name === 'answer') await screenshots(page, '6-scanning');
    await chromium.close();
  }
});

test('camera permission denied says so and how to allow it', async () => {
  const chromium = await cameraShowing('denied', new Uint8Array([1]), ['--deny-permission-prompts']);
  const { page } = await open(chromium);
  await pressScan(page);
  const seen = await until(page, 'the denied message', (s) => /permission was denied/.test(s.scan));
  assert.match(seen.scan, /Allow the camera for this page/);
  assert.equal((await look(page)).answer, '');
  await chromium.close();
});

test('a photo of the offer QR (turned 9°, blurred) picked from a file is read; a photo with no code says so', async () => {
  const offer = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 11 });
  const good = join(dir, 'offer-photo.png');
  writeFileSync(good, qrPhotoPng(offer.bytes, { degrees: 9, blur: 1 }));
  const blank = join(dir, 'blank.png');
  writeFileSync(blank, qrPhotoPng(offer.bytes, { degrees: 0, blur: 12 }));
  const chromium = await launchChromium();
  cleanup.push(() => chromium.close());
  const { page } = await open(chromium);
  const input = await page.evaluateHandle(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-scan')!.shadowRoot!.querySelector('input[type=file]')!);
  await (input as ElementHandle<HTMLInputElement>).uploadFile(blank);
  assert.match((await until(page, 'the no-code message', (s) => /No QR code was found/.test(s.scan))).scan, /closer and straighter/);
  await (input as ElementHandle<HTMLInputElement>).uploadFile(good);
  const shown = await until(page, 'the answer to the photographed offer', (s) => s.answer !== '');
  assert.equal(decodeBlob(shown.answer, { expect: 'answer' }).offerId, 11);
  await chromium.close();
});
