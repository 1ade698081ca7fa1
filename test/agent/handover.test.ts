import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentRig, runCli, WEBRTCBIN_PACKAGES, webrtcbinAvailable, WebrtcbinPeer } from '../harness/index.ts';

/*
 * Any answerer that gets the agent's SDP from the blob, not only Pigeon's page, with the answer
 * held 35 s the way a person carries it: the SDP comes out of `pi-agent blob decode`, the answer
 * goes back through `pi-agent blob encode`, and the video must start within 3 s of the hand-over (goal 1 s).
 * The two answerers hold their answers at the same time, each with an agent of its own.
 */
const HOLD_MS = Number(process.env.HOLD_MS ?? 35_000);
// The goal is 1 s (usually 0.2–0.7 s); see test/web/handover.test.ts for why the bound is 3 s.
const AFTER_HANDOVER_MS = 3000;

const rig = agentRig();

async function decoded(text: string): Promise<string> {
  const run = await runCli(['blob', 'decode'], text);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

async function encoded(sdp: string, offerId: number): Promise<string> {
  const run = await runCli(['blob', 'encode', '--type', 'answer', '--offer-id', String(offerId)], sdp);
  assert.equal(run.code, 0, run.stderr);
  return run.stdout.trim();
}

/** Waits for `firstFrameAt` to give a time, polling; fails with what it waited for. */
async function firstFrame(what: string, firstFrameAt: () => Promise<number | null>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = await firstFrameAt();
    if (at !== null) return at;
    if (Date.now() > deadline) throw new Error(`no video frame in ${what} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

// Skipped only outside CI, where ./pigeon test installs the packages: there a missing one must fail.
const noWebrtcbin = webrtcbinAvailable() || process.env.CI ? false : `webrtcbin is not usable from /usr/bin/python3; apt-get install ${WEBRTCBIN_PACKAGES}`;

describe('third-party answerers with the answer held 35 s', { concurrency: 2 }, () => {
  test('Chromium answering the SDP from `pi-agent blob decode` (no Pigeon page code)', async () => {
    const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0']);
    const offer = await agent.next('offer');
    const sdp = await decoded(offer.text);
    assert.match(sdp, /^a=setup:active$/m, 'the agent offers as the DTLS client');
    const viewer = await rig.chromium().newPeer();
    const answerSdp = await viewer.acceptOffer(sdp);
    assert.match(answerSdp, /^a=setup:passive$/m);
    const answer = await encoded(answerSdp, offer.offerId);

    await sleep(HOLD_MS);
    const handedOver = Date.now();
    agent.write(answer);
    const at = await firstFrame('Chromium', async () => (await viewer.videoStats()).firstFrameAt, 15_000);
    console.log(`Chromium (raw SDP), answer held ${HOLD_MS / 1000} s: first frame ${Math.round(at - handedOver)} ms after the hand-over`);
    assert.ok(at - handedOver <= AFTER_HANDOVER_MS, `first frame ${Math.round(at - handedOver)} ms after the hand-over`);
    await viewer.close();
    await agent.stop();
  });

  test('GStreamer webrtcbin answering the SDP from `pi-agent blob decode`', { skip: noWebrtcbin }, async () => {
    const agent = rig.startAgent(['offer', '--source', 'test', '--stats-interval', '0']);
    const offer = await agent.next('offer');
    const receiver = await WebrtcbinPeer.start('receive');
    try {
      const answerSdp = await receiver.answer(await decoded(offer.text));
      assert.match(answerSdp, /^a=setup:passive\r?$/m);
      const answer = await encoded(answerSdp, offer.offerId);

      await sleep(HOLD_MS);
      const handedOver = Date.now();
      agent.write(answer);
      const at = await receiver.firstFrameAt(15_000);
      console.log(`webrtcbin, answer held ${HOLD_MS / 1000} s: first frame ${Math.round(at - handedOver)} ms after the hand-over`);
      assert.ok(at - handedOver <= AFTER_HANDOVER_MS, `first frame ${Math.round(at - handedOver)} ms after the hand-over`);
    } finally {
      await receiver.close();
      await agent.stop();
    }
  });
});

test('pi-agent answer: an answer nobody reads expires after --offer-ttl, is said so, and its socket is let go', async () => {
  const agent = rig.startAgent(['answer', '--source', 'test', '--offer-ttl', '3', '--stats-interval', '0']);
  await agent.next('pipeline', { where: (e) => e.state === 'started' });
  const viewer = await rig.chromium().newPeer();
  const offerRun = await runCli(['blob', 'encode', '--type', 'offer', '--offer-id', '4242', '--agent-codecs'], await viewer.createOffer());
  assert.equal(offerRun.code, 0, offerRun.stderr);
  agent.write(offerRun.stdout.trim());
  const answer = await agent.next('answer');
  const port = Number(/ (\d+) typ host/.exec(await decoded(answer.text))?.[1]);
  assert.ok(port > 0, 'the answer names the agent’s port');
  const left = await agent.next('viewer-left', { where: (e) => e.viewer === answer.viewer, timeoutMs: 15_000 });
  assert.match(left.reason, /its answer was not read within 3 s \(--offer-ttl\)/);
  assert.equal(left.viewers, 0);
  // Its peer connection is closed: the port is free again.
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, () => resolve());
  });
  socket.close();
  await viewer.close();
  await agent.stop();
});
