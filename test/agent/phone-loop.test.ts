import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import type { CDPSession, Page } from 'puppeteer-core';
import { AgentProcess, type ChromiumHandle, firstFrame, launchChromium, look, StandInCamera, until } from '../harness/index.ts';

/*
 * The two-scan loop on a phone, zero keystrokes: the agent serves the page itself
 * (--serve-page) and its offer QR is a link. The "phone" (Chromium emulating one: 360 px wide,
 * DPR 3, touch) opens whatever URL that QR holds, as a camera app would; the page answers at
 * once and shows its answer QR; a screenshot of it becomes the agent's camera (a PNG GStreamer
 * re-reads, standing in for libcamerasrc); the video plays on the phone.
 */
const dir = mkdtempSync(join(tmpdir(), 'pigeon-phone-'));
const SHOTS = new URL('../../docs/screenshots/', import.meta.url);
const PHONE = { width: 360, height: 740, deviceScaleFactor: 3, mobile: true };
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});


/** A phone-sized screenshot for the docs. */
async function shot(session: CDPSession, name: string): Promise<void> {
  const { data } = await session.send('Page.captureScreenshot', { format: 'png' });
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(new URL(name, SHOTS), Buffer.from(data, 'base64'));
}

/** Widths and touch targets as laid out: no sideways scrolling, every button 44 px or more. */
function layout(page: Page): Promise<{ scrollWidth: number; small: string[]; qr: number; video: number }> {
  return page.evaluate(async () => {
    const app = document.querySelector('pigeon-app')!;
    await app.updateComplete;
    const roots: ShadowRoot[] = [];
    const walk = (root: ShadowRoot | Document): void => {
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) {
          roots.push(el.shadowRoot);
          walk(el.shadowRoot);
        }
      }
    };
    walk(document);
    const small: string[] = [];
    for (const root of roots) {
      for (const target of root.querySelectorAll('button, select, label:has(input[type=file])')) {
        const box = target.getBoundingClientRect();
        if (box.width > 0 && (box.height < 44 || box.width < 44)) small.push(`${target.textContent?.trim()} ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
    }
    const root = app.shadowRoot!;
    const video = root.querySelector('pigeon-viewer')?.shadowRoot?.querySelector('video');
    return {
      scrollWidth: document.documentElement.scrollWidth,
      small,
      qr: root.querySelector('qr-view')?.getBoundingClientRect().width ?? 0,
      video: video?.getBoundingClientRect().width ?? 0,
    };
  });
}

/** `count` GETs (and some junk) at the page server, `parallel` at a time; how each ended. */
async function flood(url: string, count: number, parallel: number): Promise<Record<string, number>> {
  const outcomes: Record<string, number> = {};
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const i = next++;
      // Mostly small answers (HEAD, 404, 405) with a whole page every tenth request.
      const path = i % 10 === 0 ? '/' : i % 3 === 1 ? `/nothing/${i}` : '/index.html';
      const method = i % 10 === 0 ? 'GET' : i % 5 === 4 ? 'POST' : 'HEAD';
      const req = request(new URL(path, url), { method, agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          outcomes[res.statusCode ?? 0] = (outcomes[res.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        outcomes[error.code ?? 'error'] = (outcomes[error.code ?? 'error'] ?? 0) + 1;
        resolve();
      });
      req.end();
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await one();
    }),
  );
  return outcomes;
}

test('a phone opens the link in the Pi’s QR, shows its answer to the Pi’s camera, and plays: no keys, no file', async () => {
  const piCamera = new StandInCamera(dir);
  const offerPng = join(dir, 'offer.png');
  const camera = piCamera.pipeline;
  const agent = new AgentProcess(['offer', '--pipeline', camera, '--scan', '--serve-page', '0', '--qr-png', offerPng, '--stats-interval', '0']);
  cleanup.push(() => agent.stop());
  const served = await agent.next('page-served', { timeoutMs: 60_000 });
  const offer = await agent.next('offer', { timeoutMs: 60_000 });
  const started = Date.now();
  assert.equal(offer.link?.startsWith(served.url), true);
  assert.ok(offer.qrVersion <= 6, `link QR version ${offer.qrVersion}`);

  // Scan 1: the phone's camera app reads the Pi's QR (its PNG, as jsqr sees it) and opens the link.
  let link = '';
  // The PNG is written just after the event: wait for it.
  for (let tries = 0; link === '' && tries < 300; tries++) {
    const file = (() => {
      try {
        return readFileSync(offerPng);
      } catch {
        return undefined;
      }
    })();
    const png = file ? PNG.sync.read(file) : undefined;
    link = png ? (jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? '') : '';
    if (!link) await sleep(100);
  }
  assert.equal(link.toLowerCase(), offer.link?.toLowerCase());

  const chromium: ChromiumHandle = await launchChromium();
  cleanup.push(() => chromium.close());
  const page = await chromium.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
  await page.setViewport(null);
  const session = await page.createCDPSession();
  await session.send('Emulation.setDeviceMetricsOverride', PHONE);
  await session.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 5 });
  await session.send('Emulation.setUserAgentOverride', {
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
  });
  await page.goto(link);
  await page.bringToFront();
  const answered = await until(page, 'the answer QR', (seen) => seen.answer !== '' && seen.qr !== null, 60_000);
  const answerShownAt = Date.now();
  assert.match(answered.instruction, /Pi’s camera/);

  const waiting = await layout(page);
  assert.ok(waiting.scrollWidth <= PHONE.width, `no sideways scrolling (page ${waiting.scrollWidth} px wide)`);
  assert.deepEqual(waiting.small, [], 'touch targets of 44 px or more');
  assert.ok(waiting.qr >= 300, `the answer QR fills the phone's width (${waiting.qr} px)`);
  const hint = await page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('.brightness')?.textContent ?? '');
  assert.match(hint, /brightness up.*20–40 cm/);
  // The first thing on screen is the answer: its QR starts within the first screenful.
  const qrTop = await page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-view')!.getBoundingClientRect().top);
  assert.ok(qrTop < PHONE.height / 2, `answer QR at ${qrTop} px from the top`);
  await shot(session, '9-link-answer-phone.png');

  // Scan 2: the phone's screen, held up to the Pi's camera.
  const qr = await page.evaluateHandle(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('qr-view')!);
  const picture = PNG.sync.read(Buffer.from(await qr.asElement()!.screenshot({ type: 'png' })));
  const shownToPi = Date.now();
  piCamera.show(picture);
  const playingAt = await firstFrame(page, 60_000);
  const joined = await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId, timeoutMs: 30_000 });
  console.log(
    `phone loop: offer shown -> phone showed its answer ${answerShownAt - started} ms (incl. Chromium start and page load), ` +
      `answer on the Pi's camera -> viewer joined ${Date.parse(joined.time) - shownToPi} ms -> first frame ${playingAt - shownToPi} ms; ` +
      `total ${playingAt - started} ms`,
  );
  await until(page, 'connected', (seen) => seen.viewerStatus === 'connected', 30_000);
  const watching = await layout(page);
  assert.ok(watching.scrollWidth <= PHONE.width, `no sideways scrolling while watching (${watching.scrollWidth} px)`);
  assert.deepEqual(watching.small, [], 'touch targets of 44 px or more while watching');
  assert.ok(watching.video >= PHONE.width - 40, `the video fills the width (${watching.video} px)`);
  await shot(session, '10-link-watching-phone.png');

  // A bounded flood of requests at the page server (loopback only) does not touch the video.
  await page.evaluate(() => {
    const video = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!.shadowRoot!.querySelector('video')!;
    const w = window as unknown as { gaps: number[]; last: number };
    w.gaps = [];
    w.last = performance.now();
    const tick = (now: number): void => {
      w.gaps.push(now - w.last);
      w.last = now;
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  });
  const before = Date.now();
  const outcomes = await flood(served.url, 1000, 48);
  const floodMs = Date.now() - before;
  const gaps = await page.evaluate(() => (window as unknown as { gaps: number[] }).gaps);
  const longest = Math.max(...gaps);
  console.log(`flood: 1000 requests in ${floodMs} ms (${JSON.stringify(outcomes)}); ${gaps.length} video frames meanwhile, longest gap ${Math.round(longest)} ms`);
  assert.ok((outcomes['200'] ?? 0) > 0 && (outcomes['404'] ?? 0) > 0);
  assert.ok(gaps.length >= Math.floor(floodMs / 1000), `video kept coming during the flood (${gaps.length} frames in ${floodMs} ms)`);
  // The stand-in camera makes 5 frames a second; a loaded machine stalls things for a while, never this long.
  assert.ok(longest < 3000, `longest pause between video frames during the flood: ${Math.round(longest)} ms`);
  const seen = await look(page);
  assert.equal(seen.viewerStatus, 'connected');
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left').length, 0);
  assert.deepEqual(errors, []);
});
