import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBlob, encodeBlob, isAgentCodec } from '../../src/signal/index.ts';
import { agentRig, type BrowserPeer, type FirefoxHandle, launchFirefox } from '../harness/index.ts';

/*
 * H.264 and VP8 in every offer, each viewer on the codec its browser chose, the second encoder
 * running only while somebody watches through it: Chromium plays H.264, Debian's Firefox ESR
 * (no H.264 offline) VP8; for answer mode, Chromium's offer with H.264 taken out.
 */
const rig = agentRig();
let firefox: FirefoxHandle | undefined;
before(async () => {
  firefox = await launchFirefox();
});
after(async () => {
  await firefox?.close();
});

function videoCodecs(sdp: string): string[] {
  return [...sdp.matchAll(/^a=rtpmap:\d+ (\w+)\/90000/gm)].map((m) => m[1]!);
}

async function framesAbove(viewer: BrowserPeer, count: number, what: string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { frames } = await viewer.videoStats();
    if (frames > count) return frames;
    if (Date.now() > deadline) throw new Error(`${what}: ${frames} frames, not more than ${count}, within ${timeoutMs} ms`);
    await sleep(100);
  }
}

test('offers carry H.264 and VP8 in QR version 5; Chromium (H.264) and Firefox (VP8) watch at once; the VP8 encoder stops when Firefox leaves', async () => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0']);
  const first = await agent.next('offer');
  assert.ok(first.qrVersion <= 5, `offer of ${first.bytes} B is QR version ${first.qrVersion}`);
  const offerSdp = decodeBlob(first.text, { expect: 'offer' }).sdp;
  assert.deepEqual(videoCodecs(offerSdp), ['H264', 'VP8'], 'the preferred codec first');

  const h264 = await rig.chromium().newPeer();
  const h264Answer = await h264.acceptOffer(offerSdp);
  agent.write(encodeBlob({ type: 'answer', sdp: h264Answer }, { offerId: first.offerId }).text);
  await agent.next('viewer-joined', { where: (e) => e.viewer === first.offerId });
  await framesAbove(h264, 10, 'the H.264 viewer');
  const branch = (state: string) => agent.events.filter((e) => e.type === 'pipeline' && e.codec === 'VP8' && e.state === state).length;
  assert.equal(branch('started'), 0, 'no VP8 encoder while nobody needs VP8');

  const second = await agent.next('offer', { where: (e) => e.offerId !== first.offerId });
  const vp8 = await firefox!.newPeer();
  const vp8Answer = await vp8.acceptOffer(decodeBlob(second.text).sdp);
  assert.deepEqual(videoCodecs(vp8Answer), ['VP8']);
  const answer = encodeBlob({ type: 'answer', sdp: vp8Answer }, { offerId: second.offerId });
  assert.ok(answer.bytes.length <= 72, `VP8 answer ${answer.bytes.length} B`);
  agent.write(answer.text);
  await agent.next('pipeline', { where: (e) => e.codec === 'VP8' && e.state === 'started' });
  await agent.next('viewer-joined', { where: (e) => e.viewer === second.offerId });
  const vp8Frames = await framesAbove(vp8, 10, 'the VP8 viewer');
  const { width, height } = await vp8.videoStats();
  assert.deepEqual([width, height], [640, 480]);
  // Both play at once, each from its own encoder.
  const h264Frames = (await h264.videoStats()).frames;
  await framesAbove(h264, h264Frames + 10, 'the H.264 viewer beside the VP8 one');
  await framesAbove(vp8, vp8Frames + 10, 'the VP8 viewer beside the H.264 one');

  await vp8.close();
  await agent.next('viewer-left', { where: (e) => e.viewer === second.offerId, timeoutMs: 60_000 });
  await agent.next('pipeline', { where: (e) => e.codec === 'VP8' && e.state === 'exited', timeoutMs: 15_000 });
  const after = (await h264.videoStats()).frames;
  await framesAbove(h264, after + 10, 'the H.264 viewer after the VP8 encoder stopped');
  await h264.close();
  await agent.stop();
});

test('pi-agent answer takes an offer with VP8 only and sends VP8 from the second encoder', async () => {
  const agent = rig.startAgent(['answer', '--source', 'test', '--stats-interval', '0']);
  await agent.next('pipeline', { where: (e) => e.state === 'started' });
  const viewer = await rig.chromium().newPeer();
  const offer = encodeBlob({ type: 'offer', sdp: await viewer.createOffer() }, { offerId: 77, keepCodec: (codec) => isAgentCodec(codec) && codec.name === 'VP8' });
  agent.write(offer.text);
  const answer = await agent.next('answer');
  assert.deepEqual(videoCodecs(decodeBlob(answer.text).sdp), ['VP8']);
  await viewer.acceptAnswer(decodeBlob(answer.text).sdp);
  await agent.next('pipeline', { where: (e) => e.codec === 'VP8' && e.state === 'started' });
  await framesAbove(viewer, 10, 'the VP8 viewer');
  await viewer.close();
  await agent.stop();
});

test('--single-codec offers the --encoder codec only, and no second encoder is ever started', async () => {
  const agent = rig.startAgent(['offer', '--source', 'test', '--single-codec', '--stats-interval', '0']);
  const offer = await agent.next('offer');
  assert.deepEqual(videoCodecs(decodeBlob(offer.text).sdp), ['H264']);
  assert.equal(offer.bytes, 66);
  await agent.stop();
  assert.equal(agent.events.filter((e) => e.type === 'pipeline' && e.codec !== undefined).length, 0);
});
