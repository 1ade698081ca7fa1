import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentProcess } from '../agent/agent-process.ts';
import { BridgeProcess } from './bridge-process.ts';
import { WsPage } from './ws-page.ts';

/*
 * The bridge as the agent sees it, with Node WebSocket clients as the pages: an answer carried
 * over after a long walk, several viewers from one bridge, and every way a bridged viewer
 * leaves telling the agent at once, as a browser's page does.
 */
const AGENT = ['offer', '--source', 'test', '--stats-interval', '0'];
const HOLD_MS = Number(process.env.HOLD_MS ?? 35_000);
const agents: AgentProcess[] = [];
const bridges: BridgeProcess[] = [];
after(async () => {
  await Promise.allSettled([...agents.map((a) => a.stop()), ...bridges.map((b) => b.stop())]);
});

function start(agentArgs: string[] = [], bridgeArgs: string[] = []): { agent: AgentProcess; bridge: BridgeProcess } {
  const agent = new AgentProcess([...AGENT, ...agentArgs]);
  const bridge = new BridgeProcess(bridgeArgs);
  agents.push(agent);
  bridges.push(bridge);
  return { agent, bridge };
}

/** A page answers the offer the agent shows now; returns the page, the answer text and the offer's id. */
async function answerOffer(agent: AgentProcess, url: string, taken: Set<number>): Promise<{ page: WsPage; answer: string; offerId: number }> {
  const offer = await agent.next('offer', { where: (e) => !taken.has(e.offerId) });
  taken.add(offer.offerId);
  const page = await WsPage.open(url, { origin: 'tauri://localhost' });
  page.send({ v: 1, type: 'accept', offer: offer.text });
  const answer = await page.next('answer');
  assert.equal(answer.offerId, offer.offerId, 'the answer names the offer it answers');
  return { page, answer: answer.text, offerId: offer.offerId };
}

test(`an answer carried to the Pi ${HOLD_MS / 1000} s later: nothing in the bridge gave up, and video comes within 3 s of the hand-over`, async (t) => {
  const { agent, bridge } = start();
  const { page, answer, offerId } = await answerOffer(agent, await bridge.url, new Set());
  await page.next('status', { where: (s) => s.state === 'waiting' });
  await sleep(HOLD_MS);
  assert.deepEqual(page.messages.filter((m) => m.type === 'status').map((m) => m.type === 'status' && m.state), ['waiting'], 'still only waiting after the hold');
  const handedOver = Date.now();
  agent.write(answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offerId });
  await page.framesUntil(1, 3000);
  t.diagnostic(`first frame at the page ${Date.now() - handedOver} ms after the hand-over (held ${HOLD_MS} ms)`);
  assert.equal(page.frames[0]?.keyframe, true, 'the first frame is a keyframe');
  assert.equal(page.frames[0]?.codec, 'H264');
});

test('one bridge, two viewers; a page closing and the bridge stopping each tell the agent at once', async () => {
  const { agent, bridge } = start(['--viewers', '4']);
  const url = await bridge.url;
  const taken = new Set<number>();
  const first = await answerOffer(agent, url, taken);
  agent.write(first.answer);
  const second = await answerOffer(agent, url, taken);
  agent.write(second.answer);
  await Promise.all([first.page.framesUntil(5), second.page.framesUntil(5)]).catch((error: unknown) => {
    throw new Error(`frames: ${first.page.frames.length} and ${second.page.frames.length}; ${JSON.stringify(first.page.messages.filter((m) => m.type === "status"))} ${JSON.stringify(bridge.events)} ${JSON.stringify(agent.events.filter((e) => e.type !== "offer"))}`, { cause: error });
  });
  await agent.next('viewer-joined', { where: (e) => e.viewer === second.offerId && e.viewers === 2 });

  let at = Date.now();
  first.page.send({ v: 1, type: 'close', reason: 'the person closed it' });
  const left = await agent.next('viewer-left', { where: (e) => e.viewer === first.offerId, timeoutMs: 10_000 });
  assert.equal(left.reason, 'it said bye (the person closed it)');
  assert.ok(Date.parse(left.time) - at < 3000, `the agent knew ${Date.parse(left.time) - at} ms after the page closed`);
  await first.page.next('status', { where: (s) => s.state === 'closed' && s.code === 'E_PAGE_CLOSED' });

  at = Date.now();
  assert.equal(await bridge.stop(), 0);
  const stopped = await agent.next('viewer-left', { where: (e) => e.viewer === second.offerId, timeoutMs: 10_000 });
  assert.match(stopped.reason, /^it said bye \(the bridge was stopped by SIGTERM\)/);
  assert.ok(Date.parse(stopped.time) - at < 5000, `the agent knew ${Date.parse(stopped.time) - at} ms after the bridge was told to stop`);
});

test('a page that goes and does not come back: its viewer waits --linger, then says goodbye', async () => {
  const { agent, bridge } = start([], ['--linger', '1']);
  const { page, answer, offerId } = await answerOffer(agent, await bridge.url, new Set());
  agent.write(answer);
  await page.framesUntil(3);
  page.close();
  const left = await agent.next('viewer-left', { where: (e) => e.viewer === offerId, timeoutMs: 15_000 });
  assert.equal(left.reason, 'it said bye (the page went away and did not come back)');
  await bridge.next('viewer-closed', { where: (e) => e.code === 'E_PAGE_GONE' });
});
