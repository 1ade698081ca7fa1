import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { agentRig, look, open as openPage, PAGE, paste, screenshots, until } from '../harness/index.ts';

/*
 * The built page, opened from disk with every non-file request failed, driven as a person would:
 * paste the Pi's code, read the answer off the page, give it to the real agent, watch.
 * (npm test builds dist/ before the node tests run.) Each state is also saved as a screenshot.
 */
const SDP = readFileSync(new URL('../fixtures/werift-offer.sdp', import.meta.url), 'utf8');

// One Chromium for the file; every agent started is stopped at the end.
const rig = agentRig();

const open = (url?: string) => openPage(rig.chromium(), url);

function damage(text: string): string {
  return text.slice(0, 20) + (text[20] === 'A' ? 'B' : 'A') + text.slice(21);
}

test('the built page from file:// makes no request to any other origin and obeys its own CSP', async () => {
  const { page, blocked, errors } = await open();
  const csp = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '');
  assert.match(csp, /default-src 'none'/);
  // The one connection allowed: a WebSocket to pigeon-bridge on this machine (?bridge=).
  assert.match(csp, /connect-src ws:\/\/127\.0\.0\.1:\*;/);
  const seen = await look(page);
  assert.equal(seen.alert, '');
  await screenshots(page, '1-start');
  assert.deepEqual(blocked, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a damaged paste shows the damaged message', async () => {
  const { page } = await open();
  const seen = await paste(page, damage(encodeBlob({ type: 'offer', sdp: SDP }).text));
  assert.match(seen.alert, /This code is damaged/);
  assert.equal(seen.answer, '');
  assert.equal(seen.viewerStatus, '');
  await screenshots(page, '2-damaged');
  await page.close();
});

test('an answer pasted where the offer goes says it is an answer', async () => {
  const { page } = await open();
  const seen = await paste(page, encodeBlob({ type: 'answer', sdp: SDP.replaceAll('a=setup:actpass', 'a=setup:active') }, { offerId: 3 }).text);
  assert.match(seen.alert, /This is an answer, but an offer was expected/);
  assert.equal(seen.viewerStatus, '');
  await page.close();
});

test('text that is no Pigeon code says so', async () => {
  const { page } = await open();
  assert.match((await paste(page, 'hello there')).alert, /This is not a Pigeon code/);
  assert.match((await paste(page, 'pigeon:AAAA')).alert, /cut short|damaged|not a Pigeon/);
  await page.close();
});

/** Tabs through the page and names each control that takes focus, looking through shadow roots. */
async function tabOrder(page: Page, presses: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < presses; i++) {
    await page.keyboard.press('Tab');
    names.push(
      await page.evaluate(() => {
        let el: Element | null = document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return '';
        const label = (el.id ? (el.getRootNode() as ShadowRoot).querySelector?.(`label[for="${el.id}"]`) : null) ?? el.closest('label');
        return `${el.localName}:${(label ? label.textContent : el.textContent)?.replace(/\s+/g, ' ').trim() ?? ''}`;
      }),
    );
  }
  return names;
}

test('a 10 MB paste is refused whole with the limit, and the box stays empty', async () => {
  const { page } = await open();
  const prevented = await page.evaluate((length) => {
    const area = document.querySelector('pigeon-app')!.shadowRoot!.querySelector<HTMLTextAreaElement>('#code-text')!;
    const data = new DataTransfer();
    data.setData('text/plain', `pigeon:${'A'.repeat(length)}`);
    const event = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true, composed: true });
    area.dispatchEvent(event);
    return event.defaultPrevented && area.value === '';
  }, 10_000_000);
  assert.equal(prevented, true);
  const seen = await look(page);
  assert.match(seen.alert, /far larger than any Pigeon code.*at most 65536/);
  // Set some other way (a script, drag and drop), it is refused as quickly by the codec.
  assert.match((await paste(page, 'A'.repeat(100_000))).alert, /far larger than any Pigeon code.*at most 65536/);
  await page.close();
});

test('an offer in the URL fragment is answered without pasting; every control is reachable by keyboard; "could not reach the Pi" when nobody answers', async () => {
  // The fixture offer's only address is 192.0.2.2 (TEST-NET-1), which never answers.
  const offer = encodeBlob({ type: 'offer', sdp: SDP }, { offerId: 42 });
  const { page, blocked, errors } = await open(`${PAGE}#${offer.text}`);
  const seen = await until(page, 'the answer', (s) => s.answer !== '');
  const answer = decodeBlob(seen.answer, { expect: 'answer' });
  assert.equal(answer.offerId, 42);

  // Opened from a link, the page leads with its answer: no scan or paste step in the way.
  assert.equal(seen.instruction, 'Hold this screen up to the Pi’s camera; the video starts below by itself.');
  const order = await tabOrder(page, 5);
  assert.deepEqual(order, [
    'textarea:Answer as text',
    'button:Copy answer',
    'button:Stats',
    'button:Fullscreen',
    'button:Start over',
  ]);
  // Enter on the focused "Start over" goes back to the empty page.
  await page.keyboard.press('Enter');
  const reset = await look(page);
  assert.deepEqual([reset.answer, reset.viewerStatus], ['', '']);
  assert.equal(await page.evaluate(() => location.hash), '');

  await page.evaluate((text) => {
    location.hash = text;
  }, offer.text);
  await until(page, 'the answer again, from a hash change', (s) => s.answer !== '');
  const failed = await until(page, 'the connection failing', (s) => s.viewerStatus === 'failed', 40_000);
  assert.match(failed.viewerAlert, /Could not reach the Pi/);
  assert.equal(failed.answer, '', 'the spent answer is no longer offered');
  await screenshots(page, '5-unreachable');
  assert.deepEqual(blocked, []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('live agent: paste its offer, give it the answer from the page, the video plays and the status says connected', async () => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--width', '640', '--height', '480', '--fps', '30']);
  const offer = await agent.next('offer');
  const { page, blocked, errors } = await open();
  await page.evaluate(() => {
    const seen: unknown[] = [];
    (globalThis as unknown as { pigeonStats: unknown[] }).pigeonStats = seen;
    document.addEventListener('stats', (event) => seen.push(event.detail));
  });

  const answered = await paste(page, offer.text);
  assert.equal(answered.alert, '');
  const shown = await until(page, 'the answer', (s) => s.answer !== '');
  assert.equal(shown.instruction, 'Paste this into the Pi agent, or hold it up to the Pi’s camera.');
  assert.ok(shown.qr && shown.qr.shown >= 250, `QR shown ${JSON.stringify(shown.qr)} px wide`);
  assert.equal(decodeBlob(shown.answer, { expect: 'answer' }).offerId, offer.offerId);
  await screenshots(page, '3-answer');

  agent.write(shown.answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  const connected = await until(page, 'connected', (s) => s.viewerStatus === 'connected');
  assert.equal(connected.viewerAlert, '');

  // Frames decoding, as getStats reports them through the viewer's public stats event.
  const deadline = Date.now() + 15_000;
  let last: { framesDecoded: number | null; width: number | null; height: number | null } | undefined;
  for (;;) {
    last = (await page.evaluate(() => (globalThis as unknown as { pigeonStats: unknown[] }).pigeonStats.at(-1))) as typeof last;
    if ((last?.framesDecoded ?? 0) > 30 && last?.width) break;
    if (Date.now() > deadline) throw new Error(`video not decoding: ${JSON.stringify(last)}`);
    await sleep(200);
  }
  assert.deepEqual([last?.width, last?.height], [640, 480]);
  const video = await page.evaluate(() => {
    const v = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!.shadowRoot!.querySelector('video')!;
    return { width: v.videoWidth, paused: v.paused };
  });
  assert.deepEqual(video, { width: 640, paused: false });
  const hello = await until(page, 'the agent hello', (s) => s.hello !== '');
  assert.match(hello.hello, /pi-agent says hello \(viewer #\d+\)/);
  await sleep(1500);
  await screenshots(page, '4-watching');

  assert.deepEqual(blocked, []);
  assert.deepEqual(errors, []);
  await page.close();
  await agent.stop();
});

test('create an offer for a live pi-agent answer: the agent answers it, the answer pasted back, the video plays', async () => {
  const agent = rig.startAgent(['answer', '--source', 'test', '--width', '640', '--height', '480']);
  await agent.next('pipeline', { where: (e) => e.state === 'started' });
  const { page, blocked, errors } = await open();
  await page.evaluate(() => {
    const root = document.querySelector('pigeon-app')!.shadowRoot!;
    [...root.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Create an offer'))!.click();
  });
  const shown = await until(page, 'the page’s offer', (s) => s.answer !== '');
  assert.equal(shown.instruction, 'Paste this into pi-agent answer, or hold it up to the Pi’s camera.');
  const mine = decodeBlob(shown.answer, { expect: 'offer' });
  assert.equal(mine.mode, 'compact');
  await screenshots(page, '7-page-offer');

  agent.write(shown.answer);
  const answer = await agent.next('answer');
  assert.equal(answer.viewer, mine.offerId);
  // A wrong paste first: an offer is not an answer, and the page's offer still stands.
  assert.match((await paste(page, shown.answer)).alert, /This is an offer, but an answer was expected/);
  await paste(page, answer.text);
  await until(page, 'connected', (s) => s.viewerStatus === 'connected');
  const deadline = Date.now() + 10_000;
  while ((await page.evaluate(() => document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!.shadowRoot!.querySelector('video')?.videoWidth ?? 0)) !== 640) {
    if (Date.now() > deadline) throw new Error('no video after the Pi answered');
    await sleep(100);
  }
  assert.match((await until(page, 'the agent hello', (s) => s.hello !== '')).hello, /pi-agent says hello/);
  assert.deepEqual(blocked, []);
  assert.deepEqual(errors, []);
  await page.close();
  await agent.stop();
});
