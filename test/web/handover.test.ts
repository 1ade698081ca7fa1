import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBlob } from '../../src/signal/index.ts';
import { agentRig, firstFrame, open as openPage, PAGE, paste, until } from '../harness/index.ts';

/*
 * Carrier-pigeon time: a person carries the answer, so it reaches the other side seconds or
 * minutes after it was made. The built page and the real agent, with the answer held 35 s before
 * it is handed over (past Chromium's DTLS retransmission backoff and the agent's old 30 s
 * connect deadline): the video must start within seconds of the hand-over in both directions.
 */
const HOLD_MS = 35_000;
// The goal is 1 s (issue 10: within 1.2× GStreamer's webrtcbin, ~0.2 s here, and it usually is);
// now and then the first keyframe is lost and video takes ~2 s. What this must never be again is
// the old 10 s or never, so the bound is 3 s and the time is printed.
const AFTER_HANDOVER_MS = 3000;

const rig = agentRig();
const open = (url?: string) => openPage(rig.chromium(), url);

/** Whether this process can bind `port` on `address` now, i.e. nobody else holds it. */
async function free(address: string, port: number): Promise<boolean> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}

/** The host candidates of a blob's SDP (each media section repeats the bundle's). */
function candidates(text: string): { address: string; port: number }[] {
  const found = [...decodeBlob(text).sdp.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/gm)].map((m) => `${m[1]} ${m[2]}`);
  return [...new Set(found)].map((entry) => ({ address: entry.split(' ')[0]!, port: Number(entry.split(' ')[1]) }));
}

test('the Pi offers, the page answers, the answer reaches the Pi 35 s later: video within 3 s of the hand-over (goal 1 s)', async () => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0']);
  const offer = await agent.next('offer');
  const { page, errors } = await open(`${PAGE}#${offer.text}`);
  const shown = await until(page, 'the answer', (s) => s.answer !== '');

  await sleep(HOLD_MS);
  const waiting = await until(page, 'the wait shown with its time', (s) => /Waiting for the Pi to read the answer… · 0:[3-5]\d/.test(s.viewerStatusText));
  assert.equal(waiting.viewerAlert, '');
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left' || e.type === 'refused').length, 0, 'the agent gave up on nobody while it waited');

  const handedOver = Date.now();
  agent.write(shown.answer);
  const frameAt = await firstFrame(page, 15_000);
  console.log(`Pi offered, answer held ${HOLD_MS / 1000} s: first frame ${frameAt - handedOver} ms after the hand-over`);
  assert.ok(frameAt - handedOver <= AFTER_HANDOVER_MS, `first frame ${frameAt - handedOver} ms after the hand-over`);
  await until(page, 'connected', (s) => s.viewerStatus === 'connected');
  assert.deepEqual(errors, []);
  await page.close();
  await agent.stop();
});

test('the page offers, pi-agent answers, its answer reaches the page 35 s later: video within 3 s of the hand-over (goal 1 s)', async () => {
  const agent = rig.startAgent(['answer', '--source', 'test', '--stats-interval', '0']);
  await agent.next('pipeline', { where: (e) => e.state === 'started' });
  const { page, errors } = await open();
  await page.evaluate(() => {
    const root = document.querySelector('pigeon-app')!.shadowRoot!;
    [...root.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Create an offer'))!.click();
  });
  const mine = await until(page, 'the page’s offer', (s) => s.answer !== '');
  agent.write(mine.answer);
  const answer = await agent.next('answer');
  assert.ok(Date.parse(answer.expiresAt) - Date.now() > 9 * 60_000, `the agent keeps its answer for the offer TTL, not 30 s: ${answer.expiresAt}`);

  await sleep(HOLD_MS);
  assert.match((await until(page, 'the wait shown with its time', (s) => /· 0:[3-5]\d/.test(s.viewerStatusText))).viewerStatusText, /Waiting for the Pi’s answer/);
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left' || e.type === 'refused').length, 0, 'the agent gave up on nobody while it waited');

  const handedOver = Date.now();
  await paste(page, answer.text);
  const frameAt = await firstFrame(page, 15_000);
  console.log(`page offered, answer held ${HOLD_MS / 1000} s: first frame ${frameAt - handedOver} ms after the hand-over`);
  assert.ok(frameAt - handedOver <= AFTER_HANDOVER_MS, `first frame ${frameAt - handedOver} ms after the hand-over`);
  await agent.next('viewer-joined', { where: (e) => e.viewer === answer.viewer });
  assert.deepEqual(errors, []);
  await page.close();
  await agent.stop();
});

test('the Pi’s offer expires while the page waits: the page says the code expired, the agent lets go of its sockets', async () => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--offer-ttl', '4', '--stats-interval', '0']);
  const offer = await agent.next('offer');
  const held = candidates(offer.text);
  assert.ok(held.length > 0, 'the offer has a host candidate');
  const { page, errors } = await open(`${PAGE}#${offer.text}`);
  await until(page, 'the answer', (s) => s.answer !== '');
  assert.deepEqual(await Promise.all(held.map((c) => free(c.address, c.port))), held.map(() => false), 'the agent holds the offer’s port while it waits');

  await agent.next('offer-expired', { where: (e) => e.offerId === offer.offerId, timeoutMs: 15_000 });
  const gone = await until(page, 'the expired code said', (s) => s.viewerStatus === 'failed', 60_000);
  assert.match(gone.alert + gone.viewerAlert, /its code has expired/);
  assert.equal(gone.answer, '', 'the spent answer is no longer offered');
  // Its peer connection is closed: the port the offer named is free again.
  assert.deepEqual(await Promise.all(held.map((c) => free(c.address, c.port))), held.map(() => true));
  assert.deepEqual(errors, []);
  await page.close();
  await agent.stop();
});
