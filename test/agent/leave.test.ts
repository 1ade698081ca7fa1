/**
 * A viewer that leaves is noticed at once and its slot freed; one that vanishes without a word
 * (killed, lid closed, Wi-Fi gone) is found within 5 s by its silence, with a reason of its own.
 * Real agent, real werift and Chromium viewers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeBlob, encodeBlob } from '../../src/signal/index.ts';
import { type AgentProcess, agentRig, joinChromiumViewer, eventually, launchChromium, weriftViewer, type WeriftViewer } from '../harness/index.ts';

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

const SILENT = /^it went silent: no packets for \d+\.\d s \(closed lid, killed browser, Wi-Fi gone\)$/;
const SILENCE_BOUND_MS = 5000;

test('a werift viewer that only closes its connection (nothing on the wire) is found by its silence within 5 s', async (t) => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--viewers', '1']);
  const { viewer, id } = await join(agent);
  const goneAt = Date.now();
  await viewer.vanish();
  const left = await agent.next('viewer-left', { where: (e) => e.viewer === id, timeoutMs: 60_000 });
  const ms = Date.parse(left.time) - goneAt;
  t.diagnostic(`a werift viewer gone without a word: found after ${ms} ms`);
  assert.match(left.reason, SILENT);
  assert.ok(ms <= SILENCE_BOUND_MS, `found ${ms} ms after it went`);
  assert.equal(await agent.stop(), 0);
});

test('a Chromium viewer killed with SIGKILL is reported left within 5 s, and its one slot is taken by a new viewer', async (t) => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0', '--viewers', '1']);
  const killed = await launchChromium();
  const next = await launchChromium();
  t.after(() => Promise.allSettled([killed.close(), next.close()]));
  const used = new Set<number>();
  await joinChromiumViewer(agent, killed, used);
  const id = [...used][0]!;
  const offersBefore = agent.events.filter((e) => e.type === 'offer').length;
  const goneAt = Date.now();
  await killed.kill();
  const left = await agent.next('viewer-left', { where: (e) => e.viewer === id, timeoutMs: 60_000 });
  const ms = Date.parse(left.time) - goneAt;
  t.diagnostic(`a Chromium viewer killed (SIGKILL): reported left after ${ms} ms (ICE consent took 27-30 s)`);
  assert.match(left.reason, SILENT);
  assert.equal(left.viewers, 0);
  assert.ok(ms <= SILENCE_BOUND_MS, `reported ${ms} ms after the kill`);
  // Full with one viewer: a new viewer joining proves the slot is free.
  await agent.next('offer', { after: offersBefore });
  const viewer = await joinChromiumViewer(agent, next, used);
  const stats = await eventually(() => viewer.videoStats(), (v) => v.framesDecoded > 10, 20_000);
  assert.ok(stats.framesDecoded > 10, `the new viewer decoded ${stats.framesDecoded} frames`);
  assert.equal(await agent.stop(), 0);
});
