// Proves the webrtcbin rig: GStreamer's WebRTC stack talks to Chromium and to itself with
// non-trickle SDPs handed across verbatim.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BrowserPeer, type ChromiumHandle, createWeriftPeer, launchChromium, WEBRTCBIN_PACKAGES, webrtcbinAvailable, WebrtcbinPeer, type WebrtcbinRole } from './index.ts';

// Skipped only outside CI, where ./pigeon test installs the packages: there a missing one must fail.
const skip = webrtcbinAvailable() || process.env.CI ? false : `webrtcbin is not usable from /usr/bin/python3; apt-get install ${WEBRTCBIN_PACKAGES}`;

let chromium: ChromiumHandle | undefined;
const closers: Array<() => Promise<void>> = [];

before(async () => {
  if (!skip) chromium = await launchChromium();
});

after(async () => {
  await Promise.allSettled(closers.map((close) => close()));
  await chromium?.close();
});

async function webrtcbin(role: WebrtcbinRole): Promise<WebrtcbinPeer> {
  const peer = await WebrtcbinPeer.start(role);
  closers.push(() => peer.close());
  return peer;
}

async function browserPeer(): Promise<BrowserPeer> {
  if (!chromium) throw new Error('Chromium not launched');
  const peer = await chromium.newPeer();
  closers.push(() => peer.close());
  return peer;
}

/** Polls `check` until it returns a value, failing after `timeoutMs` with what was awaited. */
async function waitUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The lines of the m-section whose m= line starts with `media`. */
function section(sdp: string, media: string): string[] {
  const lines = sdp.split(/\r?\n/);
  const start = lines.findIndex((l) => l.startsWith(`m=${media} `));
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith('m='));
  return lines.slice(start, end < 0 ? undefined : end);
}

test('webrtcbin send offers H.264 42e01f with every candidate, and Chromium decodes it', { skip }, async (t) => {
  const sender = await webrtcbin('send');
  const offer = await sender.offer();
  const video = section(offer, 'video');
  assert.ok(video.includes('a=sendonly'), 'sendonly video');
  assert.ok(video.some((l) => /^a=rtpmap:96 H264\/90000$/.test(l)));
  assert.ok(video.some((l) => /^a=fmtp:96 .*profile-level-id=42e01f/.test(l) && l.includes('packetization-mode=1')));
  assert.ok(video.some((l) => /^a=candidate:\S+ 1 udp \d+ [\d.]+ \d+ typ host/i.test(l)), 'a host candidate: gathering was complete');

  const viewer = await browserPeer();
  const answer = await viewer.acceptOffer(offer);
  const answeredAt = Date.now();
  await sender.acceptAnswer(answer);
  const stats = await waitUntil('first frame decoded in Chromium', 20_000, async () => {
    const s = await viewer.videoStats();
    return s.firstFrameAt === null ? undefined : s;
  });
  t.diagnostic(`acceptAnswer → Chromium's first frame: ${Math.round((stats.firstFrameAt ?? 0) - answeredAt)} ms`);
  await sender.connected();
  const later = await waitUntil('30 frames in Chromium', 20_000, async () => {
    const s = await viewer.videoStats();
    return s.frames >= 30 ? s : undefined;
  });
  assert.deepEqual([later.width, later.height], [640, 480]);
});

test('webrtcbin send → webrtcbin receive: the receiver decodes frames', { skip }, async (t) => {
  const [sender, receiver] = await Promise.all([webrtcbin('send'), webrtcbin('receive')]);
  const answer = await receiver.answer(await sender.offer());
  const video = section(answer, 'video');
  assert.ok(video.includes('a=recvonly'));
  assert.ok(video.some((l) => /^a=fmtp:96 .*profile-level-id=42e01f/.test(l)), 'the offered profile-level-id is kept');
  const answeredAt = Date.now();
  await sender.acceptAnswer(answer);
  const firstAt = await receiver.firstFrameAt(20_000);
  t.diagnostic(`acceptAnswer → receiver's first frame: ${Math.round(firstAt - answeredAt)} ms`);
  await Promise.all([sender.connected(), receiver.connected()]);
  await waitUntil('30 frames decoded by the receiver', 20_000, async () => (receiver.frames() >= 30 ? true : undefined));
});

test('webrtcbin receive answers an offer that says a=setup:active with a=setup:passive', { skip }, async () => {
  const [sender, receiver] = await Promise.all([webrtcbin('send'), webrtcbin('receive')]);
  // The sender's own description stays actpass; the passive answer makes it the DTLS client
  // anyway, so both ends agree with what the edited offer claimed.
  const offer = (await sender.offer()).replace(/^a=setup:actpass$/gm, 'a=setup:active');
  const answer = await receiver.answer(offer);
  assert.deepEqual(section(answer, 'video').filter((l) => l.startsWith('a=setup:')), ['a=setup:passive']);
  await sender.acceptAnswer(answer);
  await receiver.firstFrameAt(20_000);
});

test("webrtcbin receive answers Chromium's offer (recvonly video + data channel); the channel opens", { skip }, async () => {
  const viewer = await browserPeer();
  const receiver = await webrtcbin('receive');
  const offer = await viewer.createOffer();
  const answer = await receiver.answer(offer);
  assert.ok(section(answer, 'application').length > 0, 'the answer keeps the data m-section');
  await viewer.acceptAnswer(answer);
  await viewer.waitForDataChannelOpen(15_000);
  await receiver.connected();
  await waitUntil("webrtcbin's on-data-channel", 10_000, async () => (receiver.dataChannels().includes('pigeon') ? true : undefined));
});

test('webrtcbin receive answers an agent-like werift offer (sendonly VP8 + data channel)', { skip }, async () => {
  const agent = await createWeriftPeer({ codec: 'VP8' });
  closers.push(() => agent.close());
  const receiver = await webrtcbin('receive');
  const answer = await receiver.answer(await agent.createOffer());
  const video = section(answer, 'video');
  assert.ok(video.includes('a=recvonly') && video.some((l) => /^a=rtpmap:\d+ VP8\/90000$/.test(l)));
  await agent.acceptAnswer(answer);
  await agent.waitForDataChannelOpen(15_000);
  await receiver.connected();
});
