import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'puppeteer-core';
import { decodeBlob } from '../../src/signal/index.ts';
import { AgentProcess, type FirefoxHandle, launchFirefox, look, PAGE, paste, until } from '../harness/index.ts';

/*
 * The built page (dist/index.html, from disk) in Debian's Firefox ESR with a fresh profile: no
 * H.264 there, so against the default agent the page must say why nothing can play, at once,
 * rather than wait on "Preparing the answer…"; against an agent sending VP8 it plays.
 */
const BASE = ['--source', 'test', '--width', '640', '--height', '480', '--fps', '30'];

let firefox: FirefoxHandle | undefined;
const agents: AgentProcess[] = [];
const pages: Page[] = [];

before(async () => {
  firefox = await launchFirefox();
});

// Each test's agents and pages stop when it ends: an earlier test's agent (its encoder) and page
// (a peer connection that never finished gathering) left running are load a 2-core machine feels.
afterEach(async () => {
  await Promise.allSettled([...agents.splice(0).map((a) => a.stop()), ...pages.splice(0).map((p) => p.close())]);
});

after(async () => {
  await firefox?.close();
});

function startAgent(args: string[]): AgentProcess {
  const agent = new AgentProcess([...args, ...BASE]);
  agents.push(agent);
  return agent;
}

async function openPage(init?: string): Promise<Page> {
  const page = await firefox!.newPage();
  pages.push(page);
  if (init) await page.evaluateOnNewDocument(init);
  await page.goto(PAGE);
  // tsx names functions with __name(); the page has none, and evaluate() ships function source.
  await page.evaluate('globalThis.__name = (f) => f');
  await page.waitForFunction(() => customElements.get('pigeon-app') !== undefined);
  return page;
}

test('Firefox and an H.264-only agent (--single-codec): the page says it cannot play H.264 and what to start the agent with', async () => {
  const agent = startAgent(['offer', '--single-codec']);
  const offer = await agent.next('offer', { timeoutMs: 30_000 });
  const page = await openPage();
  await paste(page, offer.text);
  const seen = await until(page, 'the codec message', (s) => s.viewerAlert !== '', 10_000);
  assert.match(seen.viewerAlert, /^This browser cannot play H\.264 and the Pi offered only H\.264 — start the agent without --single-codec \(it then offers H\.264 and VP8\), or with --encoder vp8\. This browser plays VP8, VP9, AV1\.$/);
  assert.equal(seen.viewerStatus, 'failed');
  assert.equal(seen.answer, '', 'no answer is shown for a video this browser refused');
});

test('ICE gathering that never completes ends in an error that says so, within its bound', async () => {
  // A Firefox that claims H.264 gets past the up-front check, then refuses the video as it must
  // and never gathers: exactly the hang the bound is for.
  const claimH264 = `{
    const real = RTCRtpReceiver.getCapabilities.bind(RTCRtpReceiver);
    RTCRtpReceiver.getCapabilities = (kind) => {
      const caps = real(kind);
      return kind === 'video' && caps ? { ...caps, codecs: [...caps.codecs, { mimeType: 'video/H264', clockRate: 90000 }] } : caps;
    };
  }`;
  const agent = startAgent(['offer', '--single-codec']);
  const offer = await agent.next('offer', { timeoutMs: 30_000 });
  const page = await openPage(claimH264);
  const started = Date.now();
  await paste(page, offer.text);
  const seen = await until(page, 'the gathering error', (s) => s.viewerAlert !== '', 30_000);
  assert.match(seen.viewerAlert, /did not finish gathering its network addresses within 15 s.*ICE gathering is “new”; this browser refused the Pi’s video/);
  assert.ok(Date.now() - started >= 14_000, 'not before the bound');
  assert.equal(seen.viewerStatus, 'failed');
});

test('Firefox offers: the page says which codecs it offered while it waits for the Pi', async () => {
  const page = await openPage();
  await page.evaluate(() => {
    const root = document.querySelector('pigeon-app')!.shadowRoot!;
    [...root.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Create an offer'))!.click();
  });
  const shown = await until(page, 'the page’s offer', (s) => s.answer !== '', 20_000);
  assert.equal(decodeBlob(shown.answer, { expect: 'offer' }).mode, 'compact');
  assert.match(shown.viewerStatusText, /Waiting for the Pi’s answer….*\(this page offered VP8; a Pi that sends another codec refuses it\)/);
});

test('Firefox and the agent on its defaults (H.264 and VP8): paste the offer, give the agent the answer, the video plays', async (t) => {
  const agent = startAgent(['offer']);
  const offer = await agent.next('offer', { timeoutMs: 30_000 });
  const page = await openPage();
  await page.evaluate(() => {
    const seen: unknown[] = [];
    (globalThis as unknown as { pigeonStats: unknown[] }).pigeonStats = seen;
    document.addEventListener('stats', (event) => seen.push(event.detail));
  });
  await paste(page, offer.text);
  const shown = await until(page, 'the answer', (s) => s.answer !== '', 20_000);
  assert.ok(decodeBlob(shown.answer, { expect: 'answer' }).bytes <= 72);
  agent.write(shown.answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId, timeoutMs: 20_000 });
  await until(page, 'connected', (s) => s.viewerStatus === 'connected', 20_000);
  // Firefox keeps getVideoPlaybackQuality() at 0 frames for a MediaStream, so: frames decoded
  // (the viewer's own stats events) and frames the <video> presented at the agent's size, counted
  // by requestVideoFrameCallback (what a person sees change); its clock is reported beside them.
  await page.evaluate(() => {
    const v = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!.shadowRoot!.querySelector('video')!;
    (globalThis as unknown as { pigeonShown: number }).pigeonShown = 0;
    const count = (): void => {
      (globalThis as unknown as { pigeonShown: number }).pigeonShown++;
      v.requestVideoFrameCallback(count);
    };
    v.requestVideoFrameCallback(count);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const state = await page.evaluate(() => {
      const v = document.querySelector('pigeon-app')!.shadowRoot!.querySelector('pigeon-viewer')!.shadowRoot!.querySelector('video');
      const last = (globalThis as unknown as { pigeonStats: { framesDecoded: number | null }[] }).pigeonStats.at(-1);
      const shown = (globalThis as unknown as { pigeonShown: number }).pigeonShown;
      return { width: v?.videoWidth ?? 0, paused: v?.paused ?? true, shown, time: v?.currentTime ?? 0, readyState: v?.readyState ?? 0, decoded: last?.framesDecoded ?? 0 };
    });
    if (state.width === 640 && !state.paused && state.shown >= 30 && state.decoded > 30) {
      t.diagnostic(`Firefox playing: ${state.shown} frames presented, ${state.decoded} decoded, video clock ${state.time.toFixed(2)} s, readyState ${state.readyState}`);
      break;
    }
    if (Date.now() > deadline) throw new Error(`video not playing in Firefox (30 frames presented, 30 decoded): ${JSON.stringify(state)}`);
    await sleep(200);
  }
  assert.match((await until(page, 'the agent hello', (s) => s.hello !== '', 15_000)).hello, /pi-agent says hello/);
  assert.equal((await look(page)).viewerAlert, '');
});
