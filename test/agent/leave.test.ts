/**
 * A viewer that leaves is noticed at once and its slot freed; one that vanishes without a word
 * is still found, by ICE consent, with a reason of its own. Real agent, real werift viewers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { type AgentProcess, agentRig, weriftViewer, type WeriftViewer } from '../harness/index.ts';

const rig = agentRig();
const BOUND_MS = 2000;

/** One werift viewer joins through the offer shown now; the agent takes one viewer (--viewers 1). */
async function join(agent: AgentProcess): Promise<{ viewer: WeriftViewer; id: number }> {
  const taken = new Set(agent.events.flatMap((e) => (e.type === 'viewer-joined' ? [e.viewer] : [])));
  const offer = await agent.next('offer', { where: (e) => !taken.has(e.offerId!) });
  const viewer = await weriftViewer(decodeBlob(offer.text).sdp);
  agent.write(encodeBlob({ type: 'answer', sdp: viewer.sdp }, { offerId: offer.offerId }).text);
  await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId });
  await viewer.channelOpen();
  return { viewer, id: offer.offerId! };
}

test('werift viewers that leave are reported as left within 2 s, and their one slot is offered again', async (t) => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--viewers', '1']);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { viewer, id } = await join(agent);
    const offersBefore = agent.events.filter((e) => e.type === 'offer').length;
    const leftAt = Date.now();
    const leaving = viewer.leave('the robot is done');
    const left = await agent.next('viewer-left', { where: (e) => e.viewer === id, timeoutMs: 10_000 });
    await leaving;
    const ms = Date.parse(left.time) - leftAt;
    times.push(ms);
    assert.equal(left.reason, 'it said bye (the robot is done)');
    assert.equal(left.viewers, 0);
    assert.ok(ms < BOUND_MS, `noticed ${ms} ms after the viewer left`);
    // Full with one viewer, so a new offer means the slot is free again.
    await agent.next('offer', { after: offersBefore });
  }
  t.diagnostic(`time to "left" after a werift viewer's bye: ${times.join(', ')} ms`);
  assert.equal(await agent.stop(), 0);
});

test('a werift viewer that only closes its connection (nothing on the wire) is found by ICE consent, saying so', async (t) => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--viewers', '1']);
  const { viewer, id } = await join(agent);
  const goneAt = Date.now();
  await viewer.vanish();
  // ICE consent gives up after 30 s without a reply (RFC 7675).
  const left = await agent.next('viewer-left', { where: (e) => e.viewer === id, timeoutMs: 60_000 });
  t.diagnostic(`a viewer gone without a word: found after ${Date.parse(left.time) - goneAt} ms`);
  assert.equal(left.reason, 'connection failed (network changed, or the viewer went away)');
  assert.equal(await agent.stop(), 0);
});
