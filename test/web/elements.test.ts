import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, test } from 'node:test';
import jsQR from 'jsqr';
import type { Page } from 'puppeteer-core';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { type ChromiumHandle, launchChromium } from '../harness/index.ts';
import { bundleElements } from './bundle.ts';

/*
 * Each element through its public API in real Chromium: create it, set a property or an
 * attribute, click, `await updateComplete`, then read the shadow DOM and the events it fired.
 * The elements come from src/index.ts, as an embedding app would import them.
 */
const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');
const OFFER = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 5 }).text;
let chromium: ChromiumHandle;
let code: string;
let page: Page;

before(async () => {
  [chromium, code] = await Promise.all([launchChromium(), bundleElements()]);
});

beforeEach(async () => {
  if (page) await page.close();
  page = await chromium.newPage();
  await page.evaluateOnNewDocument('globalThis.__name = (f) => f');
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: code, type: 'module' });
  await page.evaluate(() => customElements.whenDefined('pigeon-viewer'));
  // Every event an element fires is kept here, in order, for the test to read.
  await page.evaluate(() => {
    const log: { type: string; detail: unknown; target: string }[] = [];
    (globalThis as unknown as { fired: typeof log }).fired = log;
    for (const type of ['answer', 'offer', 'connected', 'stats', 'error']) {
      document.addEventListener(
        type,
        (event) => {
          const detail = (event as CustomEvent).detail as unknown;
          // Bytes cross back to Node as a plain array.
          const plain = detail && typeof detail === 'object' && 'bytes' in detail ? { ...detail, bytes: Array.from((detail as { bytes: Uint8Array }).bytes) } : detail;
          log.push({ type, detail: plain, target: (event.target as Element).localName });
        },
        // Capture, so the non-bubbling `error` is seen too.
        true,
      );
    }
  });
});

after(async () => {
  await chromium.close();
});

interface Fired {
  type: string;
  detail: unknown;
  target: string;
}

async function firstEvent(type: string, timeoutMs = 10_000): Promise<Fired> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await page.evaluate((t) => (globalThis as unknown as { fired: Fired[] }).fired.find((e) => e.type === t), type);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${type} event within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The viewer's shadow DOM as a person would read it. */
function viewerView(): Promise<{ status: string; statusText: string; alert: string; alertCode: string; stats: boolean; pressed: string; attr: boolean }> {
  return page.evaluate(async () => {
    const viewer = document.querySelector('pigeon-viewer')!;
    await viewer.updateComplete;
    const root = viewer.shadowRoot!;
    const status = root.querySelector('[part=status]')!;
    const alert = root.querySelector('[role=alert]');
    return {
      status: status.getAttribute('data-status') ?? '',
      statusText: status.textContent?.trim() ?? '',
      alert: alert?.textContent?.trim() ?? '',
      alertCode: alert?.getAttribute('data-code') ?? '',
      stats: !!root.querySelector('[part=stats]'),
      pressed: root.querySelector('.controls button')?.getAttribute('aria-pressed') ?? '',
      attr: viewer.hasAttribute('stats-hidden'),
    };
  });
}

/** A <pigeon-viewer> in the page, given the fixture offer. */
async function mountViewerWithOffer(): Promise<void> {
  await page.evaluate((offer) => {
    const viewer = document.createElement('pigeon-viewer');
    document.body.append(viewer);
    viewer.offer = offer;
  }, OFFER);
}

test('<pigeon-viewer>: the offer property makes an answer event with a decodable answer for that offer id', async () => {
  await mountViewerWithOffer();
  const answer = await firstEvent('answer');
  assert.equal(answer.target, 'pigeon-viewer');
  const { text, bytes, offerId } = answer.detail as { text: string; bytes: number[]; offerId: number };
  assert.equal(offerId, 5);
  const decoded = decodeBlob(text, { expect: 'answer' });
  assert.equal(decoded.offerId, 5);
  assert.deepEqual(Array.from(decoded.frame), bytes);
  assert.match(decoded.sdp, /a=setup:active/);
  const view = await viewerView();
  assert.ok(['waiting', 'connecting'].includes(view.status), view.status);
  // With how long it has waited: a person may take minutes to carry the answer over.
  assert.match(view.statusText, /^Waiting for the Pi to read the answer… · \d+:\d\d$/);
  assert.equal(view.alert, '');
  assert.equal(await page.evaluate(() => document.querySelector('pigeon-viewer')!.status), view.status);
});

test('<pigeon-viewer>: a damaged offer attribute shows the damaged message and fires error E_CHECKSUM', async () => {
  const damaged = OFFER.slice(0, 20) + (OFFER[20] === 'A' ? 'B' : 'A') + OFFER.slice(21);
  await page.evaluate((offer) => {
    document.body.innerHTML = `<pigeon-viewer offer="${offer}"></pigeon-viewer>`;
  }, damaged);
  const error = await firstEvent('error');
  assert.equal((error.detail as { code: string }).code, 'E_CHECKSUM');
  const view = await viewerView();
  assert.equal(view.status, 'failed');
  assert.equal(view.alertCode, 'E_CHECKSUM');
  assert.match(view.alert, /This code is damaged/);
  assert.equal(await page.evaluate(() => (globalThis as unknown as { fired: Fired[] }).fired.some((e) => e.type === 'answer')), false);
});

test('<pigeon-viewer>: an answer given as the offer fires error E_EXPECTED_OFFER; the error event does not bubble', async () => {
  const answer = encodeBlob({ type: 'answer', sdp: SDP.replaceAll('a=setup:actpass', 'a=setup:active') }, { offerId: 1 }).text;
  const bubbled = await page.evaluate(async (text) => {
    let atWindow = false;
    window.addEventListener('error', () => (atWindow = true));
    const viewer = document.createElement('pigeon-viewer');
    const own = new Promise<string>((resolve) => viewer.addEventListener('error', (e) => resolve((e as Event as CustomEvent<{ code: string }>).detail.code)));
    document.body.append(viewer);
    viewer.offer = text;
    return { code: await own, atWindow };
  }, answer);
  assert.deepEqual(bubbled, { code: 'E_EXPECTED_OFFER', atWindow: false });
  assert.match((await viewerView()).alert, /This is an answer, but an offer was expected/);
});

test('<pigeon-viewer>: the Stats button hides and shows the overlay through the stats-hidden property', async () => {
  await page.evaluate(() => document.body.append(document.createElement('pigeon-viewer')));
  const before = await viewerView();
  assert.deepEqual([before.status, before.pressed, before.attr], ['idle', 'true', false]);
  await page.evaluate(async () => {
    const viewer = document.querySelector('pigeon-viewer')!;
    viewer.shadowRoot!.querySelector<HTMLButtonElement>('.controls button')!.click();
    await viewer.updateComplete;
  });
  const hidden = await viewerView();
  assert.deepEqual([hidden.pressed, hidden.attr, hidden.stats], ['false', true, false]);
  assert.equal(await page.evaluate(() => document.querySelector('pigeon-viewer')!.statsHidden), true);
});

test('<pigeon-viewer>: clearing the offer closes the connection', async () => {
  await mountViewerWithOffer();
  await firstEvent('answer');
  await page.evaluate(() => {
    document.querySelector('pigeon-viewer')!.offer = '';
  });
  assert.equal((await viewerView()).status, 'closed');
});

test('<qr-view>: the data property is drawn as a QR code that jsqr reads back byte for byte', async () => {
  const blob = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 9 });
  const image = await page.evaluate(async (bytes) => {
    const view = document.createElement('qr-view');
    view.style.width = '300px';
    document.body.append(view);
    view.data = new Uint8Array(bytes);
    await view.updateComplete;
    const canvas = view.shadowRoot!.querySelector('canvas')!;
    const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    return { width: canvas.width, height: canvas.height, data: Array.from(pixels.data), label: canvas.getAttribute('aria-label') };
  }, Array.from(blob.bytes));
  assert.ok(image.width >= 300, `${image.width} px`);
  assert.equal(image.label, 'QR code');
  const read = jsQR(Uint8ClampedArray.from(image.data), image.width, image.height);
  assert.ok(read, 'jsqr found no code');
  assert.deepEqual(read.binaryData, Array.from(blob.bytes));
});

test('<pigeon-viewer>: an offer from an address nobody answers on ends in E_ICE_FAILED, "Could not reach the Pi"', async () => {
  // The fixture's only candidate is 192.0.2.2 (TEST-NET-1): never reachable. Chromium gives up after ~15 s.
  await mountViewerWithOffer();
  const error = await firstEvent('error', 40_000);
  assert.equal((error.detail as { code: string }).code, 'E_ICE_FAILED');
  const view = await viewerView();
  assert.equal(view.status, 'failed');
  assert.equal(view.statusText, 'Not connected');
  assert.match(view.alert, /Could not reach the Pi\. Is this device on the same network as the Pi\?.*firewall/);
});

test('<pigeon-viewer>: createOffer() fires an offer event; an answer to another offer is refused and the offer stands', async () => {
  await page.evaluate(async () => {
    const viewer = document.createElement('pigeon-viewer');
    document.body.append(viewer);
    await viewer.updateComplete;
    await viewer.createOffer();
  });
  const offer = await firstEvent('offer');
  const { text, offerId } = offer.detail as { text: string; offerId: number };
  const decoded = decodeBlob(text, { expect: 'offer' });
  assert.equal(decoded.offerId, offerId);
  assert.equal(decoded.mode, 'compact');
  // The Pi refuses an offer without its codec on its own screen only, so the wait names them.
  assert.match((await viewerView()).statusText, /^Waiting for the Pi’s answer… · \d+:\d\d \(this page offered (VP8 and H\.264|H\.264 and VP8); a Pi that sends another codec refuses it\)$/);
  const other = encodeBlob({ type: 'answer', sdp: SDP.replaceAll('a=setup:actpass', 'a=setup:active') }, { offerId: (offerId + 1) & 0xffff }).text;
  await page.evaluate((answer) => {
    document.querySelector('pigeon-viewer')!.answer = answer;
  }, other);
  const error = await firstEvent('error');
  assert.equal((error.detail as { code: string }).code, 'E_OTHER_OFFER');
  const view = await viewerView();
  assert.equal(view.status, 'waiting');
  assert.match(view.alert, /This answer is for another offer/);
});
