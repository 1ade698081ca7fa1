import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeBlob, encodeBlob, isAgentCodec, parseAgentMessage } from '../../src/signal/index.ts';
import { AgentProcess, type BrowserPeer, type ChromiumHandle, type FirefoxHandle, launchChromium, launchFirefox } from '../harness/index.ts';

/*
 * Both browser engines against the real agent, in both directions, through blobs only. Firefox
 * here is Debian's firefox-esr with a fresh profile: mDNS host candidates and no H.264 (no
 * OpenH264 download on an offline machine), so it needs an agent started with --encoder vp8.
 * Chromium runs the same steps, so a change that fixes one engine cannot quietly break the other.
 */
const BASE = ['--source', 'test', '--width', '640', '--height', '480', '--fps', '30', '--bitrate', '1500'];

let chromium: ChromiumHandle | undefined;
let firefox: FirefoxHandle | undefined;
const agents: AgentProcess[] = [];

before(async () => {
  [chromium, firefox] = await Promise.all([launchChromium(), launchFirefox()]);
});

after(async () => {
  await Promise.allSettled(agents.map((a) => a.stop()));
  await Promise.allSettled([chromium?.close(), firefox?.close()]);
});

const ENGINES = {
  Chromium: () => chromium!.newPeer(),
  Firefox: () => firefox!.newPeer(),
};

function startAgent(args: string[]): AgentProcess {
  const agent = new AgentProcess([...args, ...BASE]);
  agents.push(agent);
  return agent;
}

/** Waits for decoded video of the agent's size; returns ms from `answeredAt` to the first frame. */
async function playing(viewer: BrowserPeer, answeredAt: number, timeoutMs = 20_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const stats = await viewer.videoStats();
    if (stats.firstFrameAt !== null && stats.framesDecoded > 10 && stats.width === 640 && stats.height === 480) {
      return stats.firstFrameAt - answeredAt;
    }
    if (Date.now() > until) throw new Error(`no 640x480 video within ${timeoutMs} ms: ${JSON.stringify(stats)}`);
    await sleep(50);
  }
}

/** The data channel is open and the agent's hello came over it. */
async function helloed(viewer: BrowserPeer): Promise<void> {
  await viewer.waitForDataChannelOpen(20_000);
  assert.equal(parseAgentMessage(await viewer.nextMessage(10_000)).type, 'hello');
}

const firstFrames: string[] = [];
after(() => {
  if (firstFrames.length > 0) console.log(`first frame after the answer: ${firstFrames.join('; ')}`);
});

for (const [engine, newPeer] of Object.entries(ENGINES)) {
  // The agent's default options: H.264 and VP8 in every offer, each browser on the one it plays.
  test(`${engine}: pi-agent offer (defaults), the browser answers: video plays in its codec, the channel says hello`, async () => {
    const agent = startAgent(['offer']);
    const offer = await agent.next('offer', { timeoutMs: 30_000 });
    const viewer = await newPeer();
    try {
      const answerSdp = await viewer.acceptOffer(decodeBlob(offer.text, { expect: 'offer' }).sdp);
      const answer = encodeBlob({ type: 'answer', sdp: answerSdp }, { offerId: offer.offerId });
      assert.equal(answer.mode, 'compact');
      assert.ok(answer.bytes.length <= 72, `${engine}'s answer took ${answer.bytes.length} B`);
      const answeredAt = Date.now();
      agent.write(answer.text);
      await agent.next('viewer-joined', { where: (e) => e.viewer === offer.offerId, timeoutMs: 20_000 });
      await helloed(viewer);
      firstFrames.push(`${engine} answering ${Math.round(await playing(viewer, answeredAt))} ms`);
      // Firefox has no H.264 here: it gets VP8 from the second encoder; Chromium the preferred H.264.
      // (The encoder's 'started' comes once it has run half a second: it may follow the first frame.)
      if (engine === 'Firefox') await agent.next('pipeline', { where: (e) => e.codec === 'VP8' && e.state === 'started', timeoutMs: 10_000 });
      else assert.ok(!agent.events.some((e) => e.type === 'pipeline' && e.codec === 'VP8'), 'no VP8 encoder for Chromium');
    } finally {
      await viewer.close();
      await agent.stop();
    }
  });

  test(`${engine}: the browser offers, pi-agent answer (defaults) answers: video plays, the channel says hello`, async () => {
    const agent = startAgent(['answer']);
    await agent.next('pipeline', { where: (e) => e.state === 'started', timeoutMs: 30_000 });
    const viewer = await newPeer();
    try {
      const offer = encodeBlob({ type: 'offer', sdp: await viewer.createOffer() }, { keepCodec: isAgentCodec, offerId: 41 });
      assert.equal(offer.mode, 'compact', offer.fallbackReasons.join('; '));
      assert.ok(offer.bytes.length <= 110, `${engine}'s offer took ${offer.bytes.length} B`);
      agent.write(offer.text);
      const answer = await agent.next('answer', { timeoutMs: 20_000 });
      assert.equal(answer.viewer, 41);
      const answeredAt = Date.now();
      await viewer.acceptAnswer(decodeBlob(answer.text, { expect: 'answer' }).sdp);
      await helloed(viewer);
      firstFrames.push(`${engine} offering ${Math.round(await playing(viewer, answeredAt))} ms`);
    } finally {
      await viewer.close();
      await agent.stop();
    }
  });
}

test("Firefox given an H.264-only agent's offer (--single-codec) refuses the video, and the peer says so within a bound instead of waiting", async () => {
  const agent = startAgent(['offer', '--single-codec']);
  const offer = await agent.next('offer', { timeoutMs: 30_000 });
  const viewer = await firefox!.newPeer({ gatherTimeoutMs: 5000 });
  try {
    assert.ok(!(await viewer.videoCodecs()).includes('H264'));
    await assert.rejects(viewer.acceptOffer(decodeBlob(offer.text).sdp), /rejected sections: m=video 0/);
  } finally {
    await viewer.close();
    await agent.stop();
  }
});

test('Firefox offers to an H.264-only agent (--single-codec): the agent refuses it by name (E_CODEC_MISMATCH) and counts no viewer', async () => {
  const agent = startAgent(['answer', '--single-codec']);
  await agent.next('pipeline', { where: (e) => e.state === 'started', timeoutMs: 30_000 });
  const viewer = await firefox!.newPeer();
  try {
    const offer = encodeBlob({ type: 'offer', sdp: await viewer.createOffer() }, { keepCodec: isAgentCodec, offerId: 42 });
    assert.deepEqual(decodeBlob(offer.bytes).session?.media.flatMap((m) => m.codecs.map((c) => c.name)), ['VP8']);
    agent.write(offer.text);
    const refused = await agent.next('refused', { timeoutMs: 20_000 });
    assert.equal(refused.code, 'E_CODEC_MISMATCH');
    assert.ok(!agent.events.some((e) => e.type === 'viewer-joined'));
  } finally {
    await viewer.close();
    await agent.stop();
  }
});
