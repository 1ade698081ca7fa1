import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'puppeteer-core';
import { type AgentProcess, agentRig, open, paste, probe, until } from '../harness/index.ts';

/*
 * A page that leaves frees its viewer slot at once (issue 11): the built page watching the real
 * agent, which takes one viewer (--viewers 1), so a fresh offer shows the slot is free again.
 */
const rig = agentRig();
const BOUND_MS = 2000;

async function watch(agent: AgentProcess): Promise<{ page: Page; viewer: number }> {
  const taken = new Set(agent.events.flatMap((e) => (e.type === 'viewer-joined' ? [e.viewer] : [])));
  const offer = await agent.next('offer', { where: (e) => !taken.has(e.offerId!) });
  const { page } = await open(rig.chromium(), undefined, { keepPeerConnections: true });
  await paste(page, offer.text);
  agent.write((await until(page, 'the answer', (s) => s.answer !== '')).answer);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await until(page, 'connected', (s) => s.viewerStatus === 'connected' && s.hello !== '');
  return { page, viewer: offer.offerId! };
}

const ways: [string, (page: Page) => Promise<unknown>, RegExp][] = [
  ['its tab is closed', (page) => page.close(), /^it said bye \(the page was closed\)$|^it closed the connection$/],
  ['it navigates away', (page) => page.goto('about:blank'), /^it said bye \(the page was closed\)$/],
  ['its script calls pc.close()', async (page) => (await probe(page)).evaluate((p) => p.peerConnections().at(-1)!.close()), /^it closed the connection$/],
];

test('a page that goes (tab closed, navigated away, pc.close()) is reported as left within 2 s and frees its slot', async (t) => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--viewers', '1']);
  for (const [how, leave, reason] of ways) {
    const { page, viewer } = await watch(agent);
    const offersBefore = agent.events.filter((e) => e.type === 'offer').length;
    const leftAt = Date.now();
    await leave(page);
    const left = await agent.next('viewer-left', { where: (e) => e.viewer === viewer, timeoutMs: 40_000 });
    const ms = Date.parse(left.time) - leftAt;
    t.diagnostic(`${how}: "${left.reason}" after ${ms} ms`);
    assert.match(left.reason, reason, how);
    assert.ok(ms < BOUND_MS, `${how}: noticed after ${ms} ms`);
    await agent.next('offer', { after: offersBefore });
    if (!page.isClosed()) await page.close();
  }
  assert.equal(await agent.stop(), 0);
});
