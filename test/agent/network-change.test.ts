import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { AgentProcess, NetnsPair, eventually, launchChromium, netnsUnavailable, open, paste, probe, until, type ChromiumHandle } from '../harness/index.ts';

/*
 * Issue 11: the agent's address changes under a viewer that is watching (DHCP renew, Wi-Fi roam)
 * and the video comes back by itself, with no new code. For real: the agent runs in one network
 * namespace and Chromium with the built page in another, joined by a veth pair on 10.99.0.0/24,
 * addresses that exist only inside them. The agent's address is taken away and another given (or
 * the same one given back), and the page's decoded frames are counted until they flow again.
 */
const unavailable = netnsUnavailable();
/** What the issue asks: video again within 5 s of the change. */
const RESUME_MS = 5000;
/** Frames decoded past the count at the change that show the video flows again (a jitter buffer holds a few). */
const FRESH_FRAMES = 10;

const net = new NetnsPair();
let chromium: ChromiumHandle | undefined;
const agents: AgentProcess[] = [];

before(() => {
  if (unavailable) return;
  net.create();
});

after(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await chromium?.close().catch(() => undefined);
  net.destroy();
});

interface Sample {
  at: number;
  frames: number;
  status: string;
}

/**
 * The agent in its namespace and the page in the other, watching; then every 100 ms what the page
 * shows, until stop(). `offer`: the agent offers (and controls ICE); `answer`: the page offers.
 */
async function watching(mode: 'offer' | 'answer' = 'offer'): Promise<{ agent: AgentProcess; page: Page; samples: Sample[]; stop(): Promise<void> }> {
  chromium ??= await launchChromium({ wrap: NetnsPair.wrap(net.viewerNs) });
  const agent = new AgentProcess([mode, '--source', 'test', '--width', '320', '--height', '240', '--fps', '30'], process.env, NetnsPair.wrap(net.agentNs));
  agents.push(agent);
  const { page } = await open(chromium, undefined, { keepPeerConnections: true });
  if (mode === 'offer') {
    const offer = await agent.next('offer');
    await paste(page, offer.text);
    const shown = await until(page, 'the answer', (s) => s.answer !== '');
    agent.write(shown.answer);
  } else {
    await agent.next('pipeline', { where: (e) => e.state === 'started' });
    await page.evaluate(() => {
      const root = document.querySelector('pigeon-app')!.shadowRoot!;
      [...root.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Create an offer'))!.click();
    });
    const shown = await until(page, 'the page’s offer', (s) => s.answer !== '');
    agent.write(shown.answer);
    await paste(page, (await agent.next('answer')).text);
  }
  await agent.next('viewer-joined');
  await until(page, 'connected', (s) => s.viewerStatus === 'connected');
  const app = await probe(page);
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const sample = await app.evaluate(async (p) => {
        let frames = 0;
        (await p.peerConnections().at(-1)!.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number }) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded ?? 0;
        });
        return { frames, status: (await p.look()).viewerStatusText };
      });
      samples.push({ at: Date.now(), ...sample });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const playing = await eventually(() => samples.at(-1)?.frames ?? 0, (frames) => frames > 30, 15_000);
  assert.ok(playing > 30, `the video plays before the change (${playing} frames decoded)`);
  return {
    agent,
    page,
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** When the frames decoded first passed the count at `since` by FRESH_FRAMES, waiting up to `boundMs`. */
async function resumed(samples: Sample[], since: number, boundMs: number): Promise<number | undefined> {
  const before = samples.filter((s) => s.at <= since).at(-1)?.frames ?? 0;
  const fresh = (): Sample | undefined => samples.find((s) => s.at > since && s.frames >= before + FRESH_FRAMES);
  return (await eventually(fresh, (s) => s !== undefined, boundMs))?.at;
}

const reconnecting = /^Connection interrupted, reconnecting… · \d+:\d\d$/;

test('the agent’s address is taken away and a new one given: the video comes back by itself within 5 s, no new code', { skip: unavailable }, async (t) => {
  // The agent back on .1 however this test ends, so a failure here is not also the next test's.
  t.after(() => net.setAgentAddresses([1]));
  const { agent, page, samples, stop } = await watching();
  const mark = agent.events.length;
  const changedAt = Date.now();
  net.removeAgentAddress(1);
  net.addAgentAddress(3);
  const at = await resumed(samples, changedAt, RESUME_MS + 10_000);
  await stop();
  assert.ok(at !== undefined, `the video came back (frames: ${samples.map((s) => s.frames).join(' ')})`);
  const ms = at - changedAt;
  const shown = samples.filter((s) => s.at >= changedAt && s.at <= at).map((s) => s.status);
  t.diagnostic(`new address: video again ${ms} ms after the change; the page said: ${[...new Set(shown)].join(' | ')}`);
  assert.ok(ms <= RESUME_MS, `video again within ${RESUME_MS} ms of the change (took ${ms} ms)`);

  const checked = await agent.next('path-checked', { after: mark, timeoutMs: 5000 });
  const changed = await agent.next('network-changed', { after: mark, where: (e) => e.addresses.includes(`${NetnsPair.SUBNET}.3`) });
  assert.ok(!changed.addresses.includes(`${NetnsPair.SUBNET}.1`), `the agent saw its old address go: ${changed.addresses.join(', ')}`);
  t.diagnostic(`the viewer answered the agent's check from the new address in ${checked.ms} ms`);
  assert.equal(agent.events.filter((e) => e.type === 'viewer-joined').length, 1, 'the same viewer, no new connection');
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left').length, 0);
  const seen = await until(page, 'connected again', (s) => s.viewerStatus === 'connected');
  assert.equal(seen.viewerAlert, '', 'no request for a fresh code');
  await page.close();
  await agent.stop();
});

test('the agent’s address goes away and the same one comes back 3 s later: the page says it is reconnecting, then the video goes on', { skip: unavailable }, async (t) => {
  // The agent back on .1 however this test ends, so a failure here is not also the next test's.
  t.after(() => net.setAgentAddresses([1]));
  const { agent, page, samples, stop } = await watching();
  const goneAt = Date.now();
  net.removeAgentAddress(1);
  // The outage itself, 3 s (longer only if a loaded machine keeps the page from saying so sooner):
  // the page should say it is reconnecting, with the time, while it lasts.
  const said = await eventually(() => samples.filter((s) => s.at > goneAt).find((s) => reconnecting.test(s.status)), (s) => s !== undefined, 10_000);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, goneAt + 3000 - Date.now())));
  const backAt = Date.now();
  const mark = agent.events.length;
  net.addAgentAddress(1);
  const at = await resumed(samples, backAt, RESUME_MS + 10_000);
  await stop();
  assert.ok(said, `the page said it is reconnecting during the outage (it said: ${[...new Set(samples.filter((s) => s.at > goneAt).map((s) => s.status))].join(' | ')})`);
  t.diagnostic(`the page said "${said.status}" ${said.at - goneAt} ms after the address went`);
  assert.ok(at !== undefined, `the video came back (frames: ${samples.map((s) => s.frames).join(' ')})`);
  const ms = at - backAt;
  const checked = await agent.next('path-checked', { after: mark, timeoutMs: 5000 });
  t.diagnostic(`same address back after ${backAt - goneAt} ms: video again ${ms} ms after it came back; the agent's check answered ${Date.parse(checked.time) - backAt} ms after`);
  assert.ok(ms <= RESUME_MS, `video again within ${RESUME_MS} ms of the address coming back (took ${ms} ms)`);
  const seen = await until(page, 'connected again', (s) => s.viewerStatus === 'connected');
  assert.equal(seen.viewerAlert, '', 'no request for a fresh code');
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left').length, 0);
  await page.close();
  await agent.stop();
});

test('the page offered (pi-agent answer: the page controls ICE) and the agent’s address changes: the video comes back within 5 s', { skip: unavailable }, async (t) => {
  // The agent back on .1 however this test ends, so a failure here is not also the next test's.
  t.after(() => net.setAgentAddresses([1]));
  const { agent, page, samples, stop } = await watching('answer');
  const changedAt = Date.now();
  net.removeAgentAddress(1);
  net.addAgentAddress(4);
  const at = await resumed(samples, changedAt, RESUME_MS + 10_000);
  await stop();
  assert.ok(at !== undefined, `the video came back (frames: ${samples.map((s) => s.frames).join(' ')})`);
  const ms = at - changedAt;
  const shown = samples.filter((s) => s.at >= changedAt && s.at <= at).map((s) => s.status);
  t.diagnostic(`page offered, new address: video again ${ms} ms after the change; the page said: ${[...new Set(shown)].join(' | ')}`);
  assert.ok(ms <= RESUME_MS, `video again within ${RESUME_MS} ms of the change (took ${ms} ms)`);
  assert.equal(agent.events.filter((e) => e.type === 'viewer-left').length, 0);
  await page.close();
  await agent.stop();
});
