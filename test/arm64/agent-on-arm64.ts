import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { decodeBlob, encodeBlob, encodeMessage, isAgentCodec, parseAgentMessage } from '../../src/signal/index.ts';
import { agentRig, eventually, type AgentProcess, type BrowserPeer } from '../harness/index.ts';

/*
 * The agent as a Pi runs it: Node and GStreamer from an arm64 Debian 12 root with the README's Pi
 * packages (scripts/arm64-root.sh), run by qemu-user, with Chromium on this machine as the viewer.
 * Not in `test:node` (the file name does not end in .test.ts): `npm run test:arm64` runs it with
 * PIGEON_AGENT_NODE set to the root's node. The named subset of test/agent/stream.test.ts that
 * emulation can carry: both hand-over directions with video and the data channel. Its waits are
 * emulation's: Node starts ~10x slower, and the emulated x264 makes a few frames a second at first,
 * so these tests ask for video that plays, not for a frame rate.
 */
const NODE = process.env.PIGEON_AGENT_NODE;
const rig = agentRig();
const BASE = ['--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--bitrate', '2000', '--stats-interval', '1'];
const SLOW = { timeoutMs: 240_000 };

test('the agent runs on arm64 (the root\'s own node, by emulation)', (t) => {
  if (!NODE) return t.skip('PIGEON_AGENT_NODE is not set: run this file with `npm run test:arm64`');
  const reported = execFileSync(NODE, ['-p', '`${process.arch} ${process.version}`'], { encoding: 'utf8' }).trim();
  console.log(`agent's node: ${reported}`);
  assert.match(reported, /^arm64 v18\./);
});

/** Frames decoded keep growing: video plays, however slowly emulation encodes it. */
async function plays(viewer: BrowserPeer): Promise<number> {
  const stats = await eventually(() => viewer.videoStats(3000), (s) => s.frames > 0 && s.fps > 0, 120_000, 1000);
  assert.equal(stats.width, 640);
  return stats.fps;
}

async function messageEachWay(agent: AgentProcess, viewer: BrowserPeer): Promise<void> {
  await viewer.waitForDataChannelOpen(60_000);
  assert.equal(parseAgentMessage(await viewer.nextMessage(60_000)).type, 'hello');
  const keyframe = encodeMessage({ v: 1, type: 'keyframe' });
  await viewer.send(keyframe);
  await agent.next('message', { ...SLOW, where: (e) => e.text === keyframe });
}

test('on arm64, pi-agent offer: Chromium answers, plays the video, and the data channel carries a message each way', async (t) => {
  if (!NODE) return t.skip('PIGEON_AGENT_NODE is not set');
  const spawnedAt = Date.now();
  const agent = rig.startAgent(['offer', ...BASE]);
  const offer = await agent.next('offer', SLOW);
  console.log(`arm64 first offer: ${((Date.now() - spawnedAt) / 1000).toFixed(1)} s after the agent was spawned`);
  const viewer = await rig.chromium().newPeer();
  const answerSdp = await viewer.acceptOffer(decodeBlob(offer.text, { expect: 'offer' }).sdp);
  const answeredAt = Date.now();
  agent.write(encodeBlob({ type: 'answer', sdp: answerSdp }, { offerId: offer.offerId }).text);
  await agent.next('viewer-joined', { ...SLOW, where: (e) => e.viewer === offer.offerId });
  await messageEachWay(agent, viewer);
  const fps = await plays(viewer);
  console.log(`arm64 offer flow: video playing ${((Date.now() - answeredAt) / 1000).toFixed(1)} s after the answer, ${fps.toFixed(1)} fps`);
  assert.equal(await agent.stop(), 0);
});

test('on arm64, pi-agent answer: the browser offers, the agent answers, video plays and messages flow', async (t) => {
  if (!NODE) return t.skip('PIGEON_AGENT_NODE is not set');
  const agent = rig.startAgent(['answer', ...BASE]);
  await agent.next('pipeline', { ...SLOW, where: (e) => e.state === 'started' });
  const viewer = await rig.chromium().newPeer();
  const offer = encodeBlob({ type: 'offer', sdp: await viewer.createOffer() }, { keepCodec: isAgentCodec, offerId: 77 });
  const offeredAt = Date.now();
  agent.write(offer.text);
  const answer = await agent.next('answer', SLOW);
  console.log(`arm64 answer flow: answer ${((Date.now() - offeredAt) / 1000).toFixed(1)} s after the offer`);
  await viewer.acceptAnswer(decodeBlob(answer.text, { expect: 'answer' }).sdp);
  await messageEachWay(agent, viewer);
  const fps = await plays(viewer);
  console.log(`arm64 answer flow: ${fps.toFixed(1)} fps`);
  assert.equal(await agent.stop(), 0);
});
