import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeBlob, encodeBlob, isAgentCodec, type DecodedBlob } from '../../src/signal/index.ts';
import { type ChromiumHandle, createWeriftPeer, type FirefoxHandle, launchChromium, launchFirefox, type TestPeer, WEBRTCBIN_PACKAGES, webrtcbinAvailable, WebrtcbinPeer } from '../harness/index.ts';

/*
 * Real peers, no mocks: every SDP here is made live by Chromium, Firefox or werift, squeezed into a blob,
 * and only the SDP rebuilt from the blob reaches the other side. A data channel that opens and
 * carries a message each way proves the blob held everything the connection needed.
 */
let chromium: ChromiumHandle;
let firefox: FirefoxHandle;
const open: { close(): Promise<void> }[] = [];

before(async () => {
  [chromium, firefox] = await Promise.all([launchChromium(), launchFirefox()]);
});

after(async () => {
  await Promise.allSettled(open.map((p) => p.close()));
  await Promise.allSettled([chromium.close(), firefox.close()]);
});

async function talk(a: TestPeer, b: TestPeer): Promise<void> {
  await Promise.all([a.waitForDataChannelOpen(15000), b.waitForDataChannelOpen(15000)]);
  await a.send('from the first');
  assert.equal(await b.nextMessage(5000), 'from the first');
  await b.send('from the second');
  assert.equal(await a.nextMessage(5000), 'from the second');
}

/** Text for one hop, QR bytes for the other, as a person would mix them. */
function hop(sdp: string, type: 'offer' | 'answer', options: Parameters<typeof encodeBlob>[1], via: 'text' | 'qr'): DecodedBlob {
  const blob = encodeBlob({ type, sdp }, options);
  assert.equal(blob.mode, 'compact', `fell back: ${blob.fallbackReasons.join('; ')}`);
  return decodeBlob(via === 'text' ? blob.text : Array.from(blob.bytes), { expect: type });
}

for (const codec of ['H264', 'VP8'] as const) {
  test(`werift offers ${codec} + data channel, Chromium answers: connects through blobs alone`, async () => {
    const agent = await createWeriftPeer({ codec });
    const browser = await chromium.newPeer();
    open.push(agent, browser);
    const offer = hop(await agent.createOffer(), 'offer', { offerId: 0xbeef }, 'qr');
    assert.equal(offer.offerId, 0xbeef);
    assert.match(offer.sdp, new RegExp(`a=rtpmap:\\d+ ${codec}/90000`));
    const answer = hop(await browser.acceptOffer(offer.sdp), 'answer', { offerId: offer.offerId! }, 'text');
    assert.equal(answer.offerId, 0xbeef);
    assert.ok(answer.bytes <= 72, `Chromium's answer took ${answer.bytes} bytes`);
    await agent.acceptAnswer(answer.sdp);
    await talk(agent, browser);
  });
}

test("Chromium offers (reduced to the agent's codecs), werift answers: connects through blobs alone", async () => {
  const browser = await chromium.newPeer();
  const agent = await createWeriftPeer({ codec: 'H264' });
  open.push(agent, browser);
  const offer = hop(await browser.createOffer(), 'offer', { keepCodec: isAgentCodec }, 'text');
  assert.ok(offer.bytes <= 110, `Chromium's offer took ${offer.bytes} bytes`);
  const answer = hop(await agent.acceptOffer(offer.sdp), 'answer', {}, 'qr');
  assert.match(answer.sdp, /a=rtpmap:\d+ H264\/90000/);
  await browser.acceptAnswer(answer.sdp);
  await talk(browser, agent);
});

test("Chromium's mDNS candidates kept as 16 bytes each still connect", async () => {
  const browser = await chromium.newPeer();
  const agent = await createWeriftPeer({ codec: 'VP8' });
  open.push(agent, browser);
  const live = await browser.createOffer();
  const offer = hop(live, 'offer', { keepCodec: isAgentCodec, mdns: 'keep' }, 'qr');
  const names = (sdp: string): string[] => [...new Set(sdp.match(/[0-9a-f-]{36}\.local \d+/g))].sort();
  assert.ok(names(live).length > 0, 'Chromium offered mDNS candidates');
  assert.deepEqual(names(offer.sdp), names(live));
  const answer = hop(await agent.acceptOffer(offer.sdp), 'answer', {}, 'text');
  await browser.acceptAnswer(answer.sdp);
  await talk(browser, agent);
});

test('fallback blobs connect too (Chromium offers in full, deflated)', async () => {
  const browser = await chromium.newPeer();
  const agent = await createWeriftPeer({ codec: 'H264' });
  open.push(agent, browser);
  const blob = encodeBlob({ type: 'offer', sdp: await browser.createOffer() }, { mode: 'fallback' });
  const offer = decodeBlob(blob.text, { expect: 'offer' });
  assert.equal(offer.mode, 'fallback');
  const answer = hop(await agent.acceptOffer(offer.sdp), 'answer', {}, 'text');
  await browser.acceptAnswer(answer.sdp);
  await talk(browser, agent);
});

// Firefox: VP8 only (no H.264 without OpenH264), mDNS host candidates, and both bundle policies:
// max-bundle writes the data section as port 0 + a=bundle-only; balanced gives it its own ports.
for (const bundlePolicy of ['max-bundle', 'balanced'] as const) {
  test(`Firefox (${bundlePolicy}) offers, reduced to the agent's codecs, in ≤ 110 B; werift answers; they talk`, async () => {
    const browser = await firefox.newPeer({ bundlePolicy });
    const agent = await createWeriftPeer({ codec: 'VP8' });
    open.push(agent, browser);
    const live = await browser.createOffer();
    if (bundlePolicy === 'max-bundle') assert.match(live, /m=application 0 [^]*a=bundle-only/, 'Firefox wrote its bundle-only section');
    const offer = hop(live, 'offer', { keepCodec: isAgentCodec, offerId: 5 }, 'qr');
    assert.ok(offer.bytes <= 110, `Firefox's offer took ${offer.bytes} bytes`);
    const answer = hop(await agent.acceptOffer(offer.sdp), 'answer', { offerId: 5 }, 'text');
    assert.match(answer.sdp, /a=rtpmap:\d+ VP8\/90000/);
    await browser.acceptAnswer(answer.sdp);
    await talk(browser, agent);
  });

  test(`werift offers VP8, Firefox (${bundlePolicy}) answers in ≤ 72 B; they talk`, async () => {
    const agent = await createWeriftPeer({ codec: 'VP8' });
    const browser = await firefox.newPeer({ bundlePolicy });
    open.push(agent, browser);
    const offer = hop(await agent.createOffer(), 'offer', { offerId: 6 }, 'text');
    const answer = hop(await browser.acceptOffer(offer.sdp), 'answer', { offerId: 6 }, 'qr');
    assert.ok(answer.bytes <= 72, `Firefox's answer took ${answer.bytes} bytes`);
    await agent.acceptAnswer(answer.sdp);
    await talk(agent, browser);
  });
}

test('Chromium (balanced) offers, werift answers: connects through blobs alone', async () => {
  const browser = await chromium.newPeer({ bundlePolicy: 'balanced' });
  const agent = await createWeriftPeer({ codec: 'H264' });
  open.push(agent, browser);
  const offer = hop(await browser.createOffer(), 'offer', { keepCodec: isAgentCodec }, 'qr');
  assert.ok(offer.bytes <= 110, `Chromium's balanced offer took ${offer.bytes} bytes`);
  await browser.acceptAnswer(hop(await agent.acceptOffer(offer.sdp), 'answer', {}, 'text').sdp);
  await talk(browser, agent);
});

test("Firefox cannot play an H.264-only offer: it refuses the video, and the peer says so instead of hanging", async () => {
  const browser = await firefox.newPeer({ gatherTimeoutMs: 5000 });
  const agent = await createWeriftPeer({ codec: 'H264' });
  open.push(agent, browser);
  assert.ok(!(await browser.videoCodecs()).includes('H264'), 'this Firefox has no H.264 (no OpenH264 plugin)');
  const offer = hop(await agent.createOffer(), 'offer', {}, 'text');
  await assert.rejects(browser.acceptOffer(offer.sdp), /ICE gathering not complete .*iceGatheringState=new.*rejected sections: m=video 0/);
});

test('a fallback blob of Firefox’s offer connects too: its mDNS candidates and end-of-candidates are left out', async () => {
  const browser = await firefox.newPeer();
  const agent = await createWeriftPeer({ codec: 'VP8' });
  open.push(agent, browser);
  const live = await browser.createOffer();
  assert.match(live, /\.local [^]*a=end-of-candidates/);
  const offer = decodeBlob(encodeBlob({ type: 'offer', sdp: live }, { mode: 'fallback' }).text, { expect: 'offer' });
  assert.equal(offer.mode, 'fallback');
  assert.doesNotMatch(offer.sdp, /\.local |end-of-candidates/);
  await browser.acceptAnswer(hop(await agent.acceptOffer(offer.sdp), 'answer', {}, 'text').sdp);
  await talk(browser, agent);
});

// GStreamer's webrtcbin, the third stack, in both bundle policies and both roles. Skipped only
// outside CI, where ./pigeon test installs it. No size limits here: webrtcbin offers a candidate
// for every address of the machine (the agent picks its own, see --ip), but the blob is compact.
const noWebrtcbin = webrtcbinAvailable() || process.env.CI ? false : `apt-get install ${WEBRTCBIN_PACKAGES}`;

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const bundlePolicy of ['max-bundle', 'balanced'] as const) {
  test(`webrtcbin (${bundlePolicy}) offers H.264, Chromium answers: frames decode through blobs alone`, { skip: noWebrtcbin }, async () => {
    const sender = await WebrtcbinPeer.start('send', { bundlePolicy });
    const browser = await chromium.newPeer({ bundlePolicy });
    open.push(sender, browser);
    const offer = hop(await sender.offer(), 'offer', { offerId: 3 }, 'qr');
    const answer = hop(await browser.acceptOffer(offer.sdp), 'answer', { offerId: 3 }, 'text');
    await sender.acceptAnswer(answer.sdp);
    await until('decoded frames in Chromium', 20_000, async () => (await browser.videoStats()).framesDecoded > 10);
  });

  test(`webrtcbin (${bundlePolicy}) offers over IPv4 in a blob without its IPv6 and TCP candidates; Chromium answers: frames decode`, { skip: noWebrtcbin }, async () => {
    const sender = await WebrtcbinPeer.start('send', { bundlePolicy });
    const browser = await chromium.newPeer({ bundlePolicy });
    open.push(sender, browser);
    const live = await sender.offer();
    // No offer id, as `pi-agent blob encode` makes it for another stack (an id is 2 bytes more).
    const blob = encodeBlob({ type: 'offer', sdp: live }, { ipv6: 'drop' });
    const offer = decodeBlob(blob.bytes, { expect: 'offer' });
    assert.ok(!/^a=candidate:.* (tcp|TCP) /m.test(offer.sdp) && !/^a=candidate:\S+ 1 udp \d+ [0-9a-f]*:/m.test(offer.sdp), offer.sdp);
    // With one IPv4 address (as here: 192.0.2.2, fd00::2, fe80::…), a one-section webrtcbin offer is 100 bytes.
    if (bundlePolicy === 'max-bundle' && live.match(/ UDP \d+ \d+\.\d+\.\d+\.\d+ /g)?.length === 1) assert.ok(blob.bytes.length <= 100, `${blob.bytes.length} bytes`);
    const answer = hop(await browser.acceptOffer(offer.sdp), 'answer', {}, 'text');
    await sender.acceptAnswer(answer.sdp);
    await until('decoded frames in Chromium', 20_000, async () => (await browser.videoStats()).framesDecoded > 10);
  });

  for (const engine of ['Chromium', 'Firefox'] as const) {
    test(`${engine} (${bundlePolicy}) offers, webrtcbin (${bundlePolicy}) answers: the data channel opens through blobs alone`, { skip: noWebrtcbin }, async () => {
      const browser = await (engine === 'Chromium' ? chromium : firefox).newPeer({ bundlePolicy });
      const receiver = await WebrtcbinPeer.start('receive', { bundlePolicy });
      open.push(receiver, browser);
      const offer = hop(await browser.createOffer(), 'offer', { keepCodec: isAgentCodec }, 'qr');
      const live = await receiver.answer(offer.sdp);
      // webrtcbin answers a balanced offer unbundled (no BUNDLE group, a transport per section),
      // which one compact transport cannot say: that blob is a fallback, and it must connect too.
      const answer =
        bundlePolicy === 'max-bundle'
          ? hop(live, 'answer', {}, 'text')
          : decodeBlob(encodeBlob({ type: 'answer', sdp: live }).text, { expect: 'answer' });
      if (bundlePolicy === 'balanced') assert.equal(answer.mode, 'fallback');
      await browser.acceptAnswer(answer.sdp);
      await browser.waitForDataChannelOpen(15_000);
      await until("webrtcbin's on-data-channel", 10_000, () => receiver.dataChannels().includes('pigeon'));
    });
  }
}
